"""Benchmarks: each compares twin's implementation with a baseline on the same inputs, in one run."""
