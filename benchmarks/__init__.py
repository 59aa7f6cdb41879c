"""Benchmarks (scripts; a package only so that module names are unique for mypy)."""
