"""Performance benchmarks of dltips: run with `python -m benchmarks` (see __main__.py)."""
