"""Run every benchmark and print its table: ``python -m benchmarks``."""

from benchmarks import bench_cli, bench_engine, bench_layers, bench_siting

if __name__ == "__main__":
    print(bench_cli.run())
    print()
    print(bench_layers.run())
    print()
    print(bench_engine.run())
    print()
    print(bench_siting.run())
