"""What the scripts of chapter 5 share: the same few-line story of a partition as chapter 4.

Spec IDs: none (tutorial output).

Simplified from Kafka: see ``tutorials/ch04_replication_and_acks/common.py``.
"""

from __future__ import annotations

from tutorials.ch04_replication_and_acks.common import answers, describe, replica_line, tell

__all__ = ["answers", "describe", "replica_line", "tell"]
