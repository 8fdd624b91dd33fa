"""Run every benchmark and print its table: ``python -m benchmarks``."""

import os

from benchmarks import (
    bench_batch,
    bench_cli,
    bench_engine,
    bench_layers,
    bench_load,
    bench_measurements,
    bench_siting,
    bench_viewer,
)

if __name__ == "__main__":
    print(bench_cli.run())
    print()
    print(bench_cli.cold_prepare())
    print()
    print(bench_layers.run())
    print()
    print(bench_layers.points_inside())
    print()
    print(bench_engine.run())
    print()
    print(bench_siting.run())
    print()
    print(bench_batch.run())
    print()
    print(bench_measurements.run())
    if os.environ.get("TWIN_BENCH_VIEWER", "1") != "0":
        print()
        print(bench_viewer.run())
        print()
        print(bench_load.run())
