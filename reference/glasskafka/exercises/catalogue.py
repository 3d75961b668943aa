"""Every lab by name, in the order a course meets them.

Theory of operation
-------------------
:data:`LABS` maps a lab's name (what ``glasskafka exercise start NAME`` takes) to its
:class:`~glasskafka.exercises.lab.Lab`.  The order follows the curriculum
(``docs/guide/curriculum.md``): the bytes of a batch and the log (chapter 2), replication and
leader election (4, 5), keys and partitions (6), the idempotent producer (7), assignment (9),
delivery semantics (10).  Adding a
lab is one module defining a ``LAB`` and one line here (see the teacher's guide).

Spec IDs: none (a registry).

Simplified from Kafka: not applicable.
"""

from __future__ import annotations

from glasskafka.errors import GlassKafkaError
from glasskafka.exercises import (
    lab_assignors,
    lab_auto_commit,
    lab_crc32c,
    lab_high_watermark,
    lab_idempotent_dedupe,
    lab_index,
    lab_murmur2,
    lab_truncation,
    lab_varint,
)
from glasskafka.exercises.lab import Lab

__all__ = ["LABS", "lab_named"]

LABS: dict[str, Lab] = {
    lab.name: lab
    for lab in (
        lab_crc32c.LAB,
        lab_varint.LAB,
        lab_index.LAB,
        lab_high_watermark.LAB,
        lab_truncation.LAB,
        lab_murmur2.LAB,
        lab_idempotent_dedupe.LAB,
        lab_assignors.RANGE_LAB,
        lab_assignors.ROUND_ROBIN_LAB,
        lab_auto_commit.LAB,
    )
}


def lab_named(name: str) -> Lab:
    """The lab called ``name``; raises :class:`GlassKafkaError` listing the labs otherwise."""
    if name not in LABS:
        raise GlassKafkaError(f"unknown lab {name!r}; labs: {', '.join(LABS)}")
    return LABS[name]
