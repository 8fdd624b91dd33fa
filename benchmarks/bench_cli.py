"""Command-line start: ``twin --help`` and ``twin districts`` against a bare Python start, and
a warm ``twin report hongkou --json`` against ``python -c "import geopandas"``.

The baselines run on the same interpreter in the same run; the goals are at most 4× a bare
start (issue "One house") and at most 2× importing geopandas (issue "Speed where users wait":
a warm report needs neither geopandas nor scipy). Medians of several runs, wall clock.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

from benchmarks._util import table

RUNS = 7


def _median_run(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
