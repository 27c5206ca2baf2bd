"""Benchmarks of assettui, side by side with Dagster: ``python -m benchmarks.run``."""
