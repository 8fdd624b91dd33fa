"""Every benchmark module imports (``make bench`` is not left to break unseen); the heavy runs
themselves live in ``benchmarks/`` and are not timed here."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from twin.norms import PROJECT_ROOT

MODULES = sorted(p.stem for p in (PROJECT_ROOT / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("name", MODULES)
def test_make_bench_can_call_every_run(name):
    """``make bench`` calls ``run()`` with no argument: every parameter has a default."""
    module = importlib.import_module(f"benchmarks.{name}")
    parameters = inspect.signature(module.run).parameters.values()
    assert all(p.default is not inspect.Parameter.empty for p in parameters), name


@pytest.mark.parametrize(
    "name", ["bench_batch", "bench_measurements", "bench_load", "bench_viewer"]
)
def test_a_benchmark_without_its_data_says_it_skipped(name, monkeypatch):
    """Without the data pack a benchmark returns a line saying what it needs, not a traceback."""
    monkeypatch.delenv("TWIN_DATA_DIR", raising=False)
    out = importlib.import_module(f"benchmarks.{name}").run()
    assert "skipped" in out and "TWIN_DATA_DIR" in out


def test_every_benchmark_runs_from_make_bench():
    main = (PROJECT_ROOT / "benchmarks" / "__main__.py").read_text()
    assert all(f"{name}.run()" in main for name in MODULES)
    assert Path(PROJECT_ROOT / "Makefile").read_text().count("-m benchmarks") == 1


def test_peak_rss_sees_native_memory():
    """The memory figure is resident memory (numpy's buffers included), not tracemalloc's."""
    import numpy as np

    from benchmarks._util import peak_rss_mib

    assert peak_rss_mib(lambda: np.ones(64 * 2**20 // 8).sum()) > 40
