"""Command-line start: ``twin --help`` and ``twin districts`` against a bare Python start.

The baseline is ``python -c "import argparse"`` on the same interpreter in the same run; the
goal (issue "One house") is at most 4× that. Medians of several runs, wall clock.
"""

from __future__ import annotations

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
    return "CLI start (median of 7 runs)\n" + table(rows, ("command", "median", "vs baseline"))


if __name__ == "__main__":
    print(run())
