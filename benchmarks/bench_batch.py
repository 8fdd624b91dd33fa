"""twin batch on a Dask LocalCluster against the serial loop: the five plan districts, each
mode with its own empty cache (loading, layers, coverage and files included)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks._util import table


def run() -> str:
    if not os.environ.get("TWIN_DATA_DIR"):
        return "batch benchmark skipped: needs TWIN_DATA_DIR"
    from twin.batch import build_district, run_batch
    from twin.districts import PLAN_DISTRICTS

    rows = []
    seconds: dict[str, float] = {}
    for mode in ("serial loop", "Dask LocalCluster (2 workers)"):
        cache, out = tempfile.mkdtemp(prefix="twin-cache-"), tempfile.mkdtemp(prefix="twin-out-")
        old = os.environ.get("TWIN_CACHE_DIR")
        os.environ["TWIN_CACHE_DIR"] = cache
        start = time.perf_counter()
        try:
            if mode == "serial loop":
                for slug in PLAN_DISTRICTS:
                    build_district(slug, 9, out)
            else:
                run_batch(list(PLAN_DISTRICTS), Path(out), 9, workers=2)
        finally:
            seconds[mode] = time.perf_counter() - start
            if old is None:
                os.environ.pop("TWIN_CACHE_DIR", None)
            else:
                os.environ["TWIN_CACHE_DIR"] = old
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
        rows.append(
            (mode, f"{seconds[mode]:.1f}", f"{seconds['serial loop'] / seconds[mode]:.2f}×")
        )
    return "five plan districts at res 9, cold caches\n" + table(rows, ("mode", "s", "speed-up"))


if __name__ == "__main__":
    print(run())
