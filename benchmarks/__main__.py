"""Run every benchmark and print its table: ``python -m benchmarks``."""

from benchmarks import bench_layers

if __name__ == "__main__":
    print(bench_layers.run())
