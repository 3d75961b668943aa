"""Version-order inference: what each partition's log must have held, from what clients saw.

Theory of operation
-------------------
The checker never reads a broker's log; it rebuilds each partition's log from the history
(``reference/delivery-semantics.md`` §3, after Jepsen's ``version-orders`` in
``jepsen/src/jepsen/tests/kafka.clj``):

1. **Evidence.** Every record any poll returned (whatever the poll's outcome: a consumer must
   return safe data even when the operation around it fails), and every send that *must have
   happened*: an ``ok`` send at its acknowledged offset, or an ``unknown`` send that named an
   offset and whose value some ``ok`` poll returned.  ``error`` sends add nothing.
2. **The log** maps each offset to the writes seen there.  Two or more at one offset is the
   ``inconsistent-offsets`` anomaly (DELIV-1).
3. **The dense order** drops offsets nobody saw (control batches, aborted or compacted records,
   gaps) and keeps one write per offset: the first seen, in history order.  ``by_index`` lists
   them, ``index_at`` maps an offset to its dense index and ``index_of`` a write to its first.
   Skips and reorderings are measured in dense indices, so an empty offset is never an error.
   A read or an acknowledged send carries its offset, and its position is that offset's index;
   only a send of unknown outcome is placed by its value (Jepsen places everything by value,
   which is the same while values are unique, but turns a duplicated value into extra skips).
4. **For lost-write**, ``first_index`` and ``last_index`` give the first and last dense index at
   which each write appears in the *raw* log, which stays conservative when offsets conflict.

Everything is sparse: offsets are sorted keys, never array positions, so a history with offsets
near 2**63 costs no more than one with small offsets (Maelstrom's checker once stalled on sparse
offsets, jepsen-io/maelstrom#51).

Spec IDs: the order every DELIV-n check that compares positions relies on (DELIV-1, 2, 5, 7, 13).

Simplified from Kafka: none; Kafka does not infer orders, it has them.  A write is identified by
its ``(key, value)`` within the partition, since the history format makes values unique.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from glasskafka.history.model import Datum
from glasskafka.ids import Offset, TopicPartition

__all__ = ["VersionOrder", "Write", "build_order"]

Write = tuple[Datum | None, Datum]
"""A write's identity within a partition: its ``(key, value)``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionOrder:
    """The inferred log of one partition and its dense order.

    ``log`` maps each offset someone saw to the writes seen there, in sorted offset order and
    first-seen order within an offset.
    """

    partition: TopicPartition
    log: dict[Offset, tuple[Write, ...]]
    by_index: tuple[Write, ...]
    offset_at: tuple[Offset, ...]
    index_at: dict[Offset, int]
    index_of: dict[Write, int]
    first_index: dict[Write, int]
    last_index: dict[Write, int]

    def position(self, offset: Offset | None, write: Write) -> int | None:
        """The dense index of a read or write: by its offset when known, else by its value."""
        if offset is not None and offset in self.index_at:
            return self.index_at[offset]
        return self.index_of.get(write)

    @staticmethod
    def delta(earlier: int | None, later: int | None) -> int:
        """Dense distance between two positions; 1 (no evidence, no error) if either is unknown."""
        return 1 if earlier is None or later is None else later - earlier

    def offset_of(self, write: Write) -> Offset | None:
        """The offset of ``write`` in the dense order, if known."""
        index = self.index_of.get(write)
        return None if index is None else self.offset_at[index]


def build_order(partition: TopicPartition, seen: Iterable[tuple[Offset, Write]]) -> VersionOrder:
    """Build the version order of ``partition`` from ``(offset, write)`` evidence in history order.

    Invariants: DELIV-1 (conflicts are kept, not resolved, so the check can see them).
    """
    raw: dict[Offset, list[Write]] = {}
    for offset, write in seen:
        at_offset = raw.setdefault(offset, [])
        if write not in at_offset:
            at_offset.append(write)
    log = {offset: tuple(raw[offset]) for offset in sorted(raw)}
    by_index = tuple(writes[0] for writes in log.values())
    index_of: dict[Write, int] = {}
    for index, write in enumerate(by_index):
        index_of.setdefault(write, index)
    first_index: dict[Write, int] = {}
    last_index: dict[Write, int] = {}
    for index, writes in enumerate(log.values()):
        for write in writes:
            first_index.setdefault(write, index)
            last_index[write] = index
    return VersionOrder(
        partition=partition,
        log=log,
        by_index=by_index,
        offset_at=tuple(log),
        index_at={offset: index for index, offset in enumerate(log)},
        index_of=index_of,
        first_index=first_index,
        last_index=last_index,
    )
