"""The files ``glasskafka exercise start`` copies into a student's workspace, one per lab.

Each holds the function to write, its full contract in the docstring and ``raise
NotImplementedError`` as its body.  They are plain modules, so mypy and ruff keep them honest.

Spec IDs: none (exercise templates).

Simplified from Kafka: not applicable.
"""

__all__: list[str] = []
