"""Throughput benchmarks of the platform (``python -m bench``, see bench/README.md)."""
