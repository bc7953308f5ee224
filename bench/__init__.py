"""Benchmarks (not tests): `python -m bench.search --customers 1000000`. Output goes to bench/out/."""
