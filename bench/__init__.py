"""Benchmarks (not tests), each runnable as `python -m bench.<name>` (e.g. `python -m bench.search
--customers 1000000`). Their databases and reports go to bench/out/, which git ignores."""
