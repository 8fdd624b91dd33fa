"""Timing helpers: medians of repeated runs, and peak resident memory of a call."""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import time
from collections.abc import Callable


def median_seconds(func: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def high_water_mib() -> float:
    """This process's peak resident memory so far (VmHWM, MiB). Unlike ``ru_maxrss`` it starts
    afresh in a spawned child: ``ru_maxrss`` carries the parent's peak across ``exec``."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def peak_rss_mib(func: Callable[[], object]) -> float:
    """The resident memory (RSS, MiB) a call adds at its peak: run in a forked child, whose
    peak RSS less its RSS when it started is the call's own (Python and native memory alike)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def child() -> None:
        start = _rss_mib()
        func()
        queue.put(high_water_mib() - start)

    process = context.Process(target=child)
    process.start()
    added = queue.get()
    process.join()
    return max(added, 0.0)


def conditions() -> str:
    """Under which conditions a table was taken: the load average and the usable cores."""
    import os

    one, five, _ = os.getloadavg()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"conditions: load average {one:.2f} (1 min) / {five:.2f} (5 min), {cores} usable cores"


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """An aligned table, headed by the conditions it was taken under (:func:`conditions`)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    body = [line(header), line(tuple("-" * w for w in widths)), *map(line, rows)]
    return "\n".join([conditions(), *body])
