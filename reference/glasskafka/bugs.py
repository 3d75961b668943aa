"""Named bug flags: historical Kafka bugs and unsafe shortcuts, all off by default.

Theory of operation
-------------------
Each flag re-introduces one known defect at the single place in the code where that defect lives
(DESIGN §5).  They serve three uses: the "teeth" tests, which prove a model suite finds the
violation a flag causes; tutorials that show a counterexample; and "find the bug" exercises.

Flags are plain data in a frozen :class:`BugFlags` that a node receives at construction, never a
global switch: two nodes in one simulation may differ, a run is reproducible from its inputs, and
``grep bugs.<name>`` finds the one line each flag changes.  :data:`CATALOGUE` describes each flag:
the invariants it breaks, the scenario it recreates, and where in the code it acts.  A meta-test
keeps the catalogue, the dataclass and the teeth tests in step.

This module sits in the lowest layer (beside ``ids`` and ``errors``), not where DESIGN §2's table
lists it, because every layer that hosts a bug (``log``, ``broker``, ``client``...) must read it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["CATALOGUE", "NO_BUGS", "BugFlags", "BugInfo"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BugFlags:
    """Which bugs are switched on.  The default, ``BugFlags()``, is glasskafka as designed."""

    index_entry_off_by_one: bool = False
    recover_without_crc_check: bool = False
    assign_partition_twice: bool = False

    def enabled(self) -> tuple[str, ...]:
        """Names of the flags that are on, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(self) if getattr(self, f.name))

    @classmethod
    def only(cls, name: str) -> BugFlags:
        """A ``BugFlags`` with just ``name`` on (raises ``ValueError`` for an unknown name)."""
        if name not in {f.name for f in dataclasses.fields(cls)}:
            raise ValueError(f"unknown bug flag {name!r}; known: {', '.join(CATALOGUE)}")
        return cls(**{name: True})


NO_BUGS = BugFlags()


@dataclass(frozen=True, slots=True, kw_only=True)
class BugInfo:
    """What a flag does, for docs, tests and the bug-hunt exercise."""

    name: str
    summary: str
    breaks: tuple[str, ...]
    location: str
    source: str


CATALOGUE: dict[str, BugInfo] = {
    info.name: info
    for info in (
        BugInfo(
            name="index_entry_off_by_one",
            summary="The offset index records each entry one batch too late, so a lookup can "
            "land past the batch that holds the wanted offset.",
            breaks=("LOG-3",),
            location="glasskafka/log/index.py",
            source="a classic sparse-index bug; Kafka's OffsetIndex maps a batch to its position",
        ),
        BugInfo(
            name="recover_without_crc_check",
            summary="Recovery after a crash checks batch lengths but not CRCs, so a torn or "
            "corrupt tail is kept as if it were data.",
            breaks=("LOG-4",),
            location="glasskafka/log/recovery.py",
            source="Kafka's LogSegment.recover validates every batch (UnifiedLog.scala)",
        ),
        BugInfo(
            name="assign_partition_twice",
            summary="The sticky assignors believe every claim on a partition that two members "
            "report owning in the same generation, so both keep it and it is consumed twice.",
            breaks=("ASSIGN-1", "ASSIGN-4"),
            location="glasskafka/assignors/claims.py",
            source="KAFKA-12984 (apache/kafka PR #10985): AbstractStickyAssignor now invalidates "
            "partitions claimed by several members in one generation",
        ),
    )
}
