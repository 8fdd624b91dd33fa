"""Command-line start: ``twin --help`` and ``twin districts`` against a bare Python start, and
a warm ``twin report hongkou --json`` against ``python -c "import geopandas"``.

The baselines run on the same interpreter in the same run; the goals are at most 4× a bare
start (issue "One house") and at most 2× importing geopandas (issue "Speed where users wait":
a warm report needs neither geopandas nor scipy). Medians of several runs, wall clock.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._util import table

RUNS = 7


# a user's Python keeps compiled bytecode: a shell that forbids it (PYTHONDONTWRITEBYTECODE)
# would time the compiler, not the start
USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _median_run(argv: list[str]) -> float:
    subprocess.run(argv, check=True, capture_output=True, env=USER_ENV)  # bytecode written
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=USER_ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (the child's user + system) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cold_prepare() -> str:
    """``twin prepare`` of the five plan districts from an empty cache (what ``make demo`` runs
    first) against one ``osmnx.graph_from_xml`` of the pack's street file, in the same run
    (goal ≤ 3×), with twin's own reader of that file beside it: wall and CPU seconds of whole
    processes (imports included); the parses are medians of 3 runs, the prepare one run."""
    pack = os.environ.get("TWIN_DATA_DIR")
    street_file = Path(pack or ".") / "osm" / "shanghai_center.osm"
    if not pack or not street_file.exists():
        return "cold prepare skipped: needs TWIN_DATA_DIR with osm/shanghai_center.osm"
    twin_exe = str(Path(sys.executable).with_name("twin"))
    parse = [sys.executable, "-c",
             f"import osmnx; osmnx.graph_from_xml({str(street_file)!r}, retain_all=True)"]  # fmt: skip
    parses = sorted(_timed(parse) for _ in range(3))
    wall_parse, cpu_parse = parses[1]
    read = [sys.executable, "-c", "from twin.sources.osm_reader import graph_from_osm_file; "
            f"graph_from_osm_file(__import__('pathlib').Path({str(street_file)!r}))"]  # fmt: skip
    wall_read, cpu_read = sorted(_timed(read) for _ in range(3))[1]  # the same graph (tests)
    with tempfile.TemporaryDirectory() as cache:
        env = os.environ | {"TWIN_CACHE_DIR": cache, "TWIN_OFFLINE": "1"}
        wall, cpu = _timed([twin_exe, "prepare"], env)
    rows = [
        (f"osmnx.graph_from_xml({street_file.name}) (baseline)", f"{wall_parse:.1f}",
         f"{cpu_parse:.1f}", "1.0×"),
        ("twin's osm_reader, the same file to the same graph", f"{wall_read:.1f}",
         f"{cpu_read:.1f}", f"{wall_read / wall_parse:.2f}× (imports included)"),
        ("twin prepare, five plan districts, empty cache", f"{wall:.1f}", f"{cpu:.1f}",
         f"{wall / wall_parse:.1f}× (goal ≤ 3×)"),
    ]  # fmt: skip
    return "cold start\n" + table(rows, ("step", "wall s", "CPU s", "vs baseline"))


def run() -> str:
    twin_exe = shutil.which("twin") or str(
        __import__("pathlib").Path(sys.executable).with_name("twin")
    )
    baseline = _median_run([sys.executable, "-c", "import argparse"])
    rows = [("python -c 'import argparse' (baseline)", f"{baseline * 1000:.0f} ms", "1.0×")]
    for args in (["--help"], ["districts"]):
        seconds = _median_run([twin_exe, *args])
        rows.append((f"twin {' '.join(args)}", f"{seconds * 1000:.0f} ms",
                     f"{seconds / baseline:.1f}× (goal ≤ 4×)"))  # fmt: skip
    if os.environ.get("TWIN_DATA_DIR"):
        report = [twin_exe, "report", "hongkou", "--json"]
        subprocess.run(report, check=True, capture_output=True)  # warm: build once, then stored
        geopandas = _median_run([sys.executable, "-c", "import geopandas"])
        warm = _median_run(report)
        rows += [("python -c 'import geopandas' (baseline)", f"{geopandas * 1000:.0f} ms", "1.0×"),
                 ("twin report hongkou --json, warm", f"{warm * 1000:.0f} ms",
                  f"{warm / geopandas:.2f}× import geopandas (goal ≤ 2×)")]  # fmt: skip
    return "CLI start (median of 7 runs)\n" + table(rows, ("command", "median", "vs baseline"))


if __name__ == "__main__":
    print(run())
    print(cold_prepare())
