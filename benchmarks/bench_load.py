"""Several viewers at once: N browser sessions open the coverage map against one server.

Prints per level (1, 5, 10 sessions) the median and 95th percentile of the time until each
session's map is drawn, and the server's resident memory afterwards. Chromium with software
WebGL on this 2-core machine: the browsers compete with the server for the same cores, so the
figures are an upper bound of what separate client machines would see.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

from benchmarks._util import table
from benchmarks.bench_viewer import ARGS, CHROMIUM, HEX_KEY, MAP, _serve

LEVELS = (1, 5, 10)


async def _session(browser, url: str) -> float:  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(url + "/coverage", timeout=600_000)
    await page.get_by_text("residents unserved").first.wait_for(timeout=600_000)
    await page.frame_locator(MAP).first.locator("canvas").wait_for(timeout=600_000)
    await page.wait_for_function(HEX_KEY, timeout=600_000)  # the map holds its hexagons
    seconds = time.perf_counter() - start
    await context.close()
    return seconds


async def _level(url: str, n: int) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            return list(await asyncio.gather(*(_session(browser, url) for _ in range(n))))
        finally:
            await browser.close()


def run(levels: tuple[int, ...] = LEVELS) -> str:
    if not os.path.exists(CHROMIUM) or not os.environ.get("TWIN_DATA_DIR"):
        return "load benchmark skipped: needs Chromium and TWIN_DATA_DIR"
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import psutil

    cache = tempfile.mkdtemp(prefix="twin-load-")
    env = os.environ | {"TWIN_CACHE_DIR": cache, "TWIN_OFFLINE": "1"}
    subprocess.run([str(Path(sys.executable).with_name("twin")), "prepare", "hongkou"], env=env,
                   check=True, capture_output=True)  # fmt: skip
    proc, url = _serve(env)
    rows = []
    try:
        asyncio.run(_level(url, 1))  # warm the server's caches once
        for n in levels:
            times = sorted(asyncio.run(_level(url, n)))
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            rss = psutil.Process(proc.pid).memory_info().rss / 2**20
            rows.append(
                (str(n), f"{statistics.median(times):.1f}", f"{p95:.1f}", f"{rss:,.0f} MiB")
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return ("sessions opening the coverage map at once (Chromium, software WebGL, same 2 cores)\n"
            + table(rows, ("sessions", "p50 s", "p95 s", "server RSS after")))  # fmt: skip


if __name__ == "__main__":
    print(run())
