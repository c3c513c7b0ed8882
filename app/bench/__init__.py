"""Benchmark ceilings (issue #9): mounted only when BENCH_ENDPOINTS=1."""
