"""Benchmarks: each measures glasskafka against a peer in the same run and prints a ratio.

Run one with ``python -m benchmarks.<name>``; ``docs/benchmarks/`` records the figures.
"""

__all__: list[str] = []
