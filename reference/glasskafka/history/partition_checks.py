"""Checks over each partition's inferred log: was every acknowledged write kept, once, in place?

Theory of operation
-------------------
These five checks read the version orders of ``orders.py`` and the reads and writes gathered in
``analysis.py`` (definitions from ``reference/delivery-semantics.md`` §4 and Jepsen's
``jepsen/src/jepsen/tests/kafka.clj``):

* ``inconsistent-offsets`` (DELIV-1): an offset of the inferred log holds two or more writes.
  Evidence is every poll (any outcome) and every send that must have happened.
* ``duplicate`` (DELIV-2): one write sits at two or more offsets.  Producers never re-send a value
  themselves in a history (``validate.py``), so a second copy is the broker's or the producer
  library's doing, e.g. a retried batch without idempotence.
* ``G1a`` (DELIV-3): an ``ok`` poll returned a write whose send *definitely* failed.
* ``lost-write`` (DELIV-5): let ``b`` be the largest first index of any write that ``ok`` polls
  returned.  Every write whose *last* index is at most ``b`` was below something a reader saw, so
  some reader should have returned it; those none did, and whose send must have happened, are lost.
  Using first and last indices keeps this conservative when offsets conflict.
* ``unseen`` (DELIV-5): an ``ok`` send that no ``ok`` poll ever returned.  Loss cannot be told
  from delay here, which is why a history should end with a final drain: a fresh consumer that
  assigns every partition, seeks to the beginning and polls to the end.

Only ``ok`` polls count as having *observed* a write (G1a, lost-write, unseen), as in Jepsen.

Spec IDs: DELIV-5, DELIV-1, DELIV-2, DELIV-3.

Simplified from Kafka: nothing; these check Kafka's promises, they do not implement them.
"""

from __future__ import annotations

from glasskafka.history.analysis import Analysis
from glasskafka.history.anomalies import Case, Kind
from glasskafka.history.model import Poll, Record, Send
from glasskafka.history.orders import VersionOrder, Write
from glasskafka.ids import Offset, TopicPartition

__all__ = ["duplicates", "g1a", "inconsistent_offsets", "lost_writes", "unseen"]


def _name(tp: TopicPartition) -> str:
    return f"{tp[0]}-{tp[1]}"


def _show(write: Write) -> str:
    key, value = write
    return f"value {value!r}" if key is None else f"key {key!r} value {value!r}"


def _seen_at(analysis: Analysis) -> dict[tuple[TopicPartition, Offset, Write], list[int]]:
    """Positions of the operations that showed each write at each offset."""
    seen: dict[tuple[TopicPartition, Offset, Write], list[int]] = {}
    for position, op in enumerate(analysis.history.operations):
        if isinstance(op, Poll):
            for record in op.records:
                tp = (record.topic, record.partition)
                seen.setdefault((tp, record.offset, (record.key, record.value)), []).append(
                    position
                )
        elif isinstance(op, Send) and op.partition is not None and op.offset is not None:
            tp = (op.topic, op.partition)
            order = analysis.orders.get(tp)
            if order is not None and (op.key, op.value) in order.log.get(op.offset, ()):
                seen.setdefault((tp, op.offset, (op.key, op.value)), []).append(position)
    return seen


def inconsistent_offsets(analysis: Analysis) -> list[Case]:
    """Offsets that held two or more different writes (DELIV-1)."""
    seen = _seen_at(analysis)
    cases = []
    for tp, order in analysis.orders.items():
        for offset, writes in order.log.items():
            if len(writes) < 2:
                continue
            shown = [f"{_show(w)} (line {analysis.line(seen[(tp, offset, w)][0])})" for w in writes]
            positions = sorted({p for w in writes for p in seen[(tp, offset, w)]})
            cases.append(
                Case(
                    kind=Kind.INCONSISTENT_OFFSETS,
                    fatal=True,
                    message=f"{_name(tp)} offset {offset} held {len(writes)} different records: "
                    + ", ".join(shown),
                    lines=tuple(analysis.line(p) for p in positions),
                    partition=tp,
                    offsets=(offset,),
                )
            )
    return cases


def duplicates(analysis: Analysis) -> list[Case]:
    """Writes found at two or more offsets of one partition (DELIV-2)."""
    seen = _seen_at(analysis)
    cases = []
    for tp, order in analysis.orders.items():
        offsets_of: dict[Write, list[Offset]] = {}
        for offset, writes in order.log.items():
            for write in writes:
                offsets_of.setdefault(write, []).append(offset)
        for write, offsets in offsets_of.items():
            if len(offsets) < 2:
                continue
            positions = sorted({p for o in offsets for p in seen[(tp, o, write)]})
            cases.append(
                Case(
                    kind=Kind.DUPLICATE,
                    fatal=True,
                    message=f"{_name(tp)}: {_show(write)} sits at offsets "
                    + ", ".join(str(o) for o in offsets),
                    lines=tuple(analysis.line(p) for p in positions),
                    partition=tp,
                    offsets=tuple(offsets),
                )
            )
    return cases


def g1a(analysis: Analysis) -> list[Case]:
    """Ok polls that returned a write whose send definitely failed (DELIV-3)."""
    cases = []
    for tp, readers in analysis.ok_readers.items():
        for write, positions in readers.items():
            writer = analysis.writer_of.get((tp[0], write))
            if writer is None or not analysis.send_at(writer).definitely_failed:
                continue
            send = analysis.send_at(writer)
            for position in positions:
                offsets = tuple(
                    r.offset
                    for r in _records(analysis, position)
                    if (r.topic, r.partition) == tp and (r.key, r.value) == write
                )
                cases.append(
                    Case(
                        kind=Kind.G1A,
                        fatal=True,
                        message=f"poll at line {analysis.line(position)} returned {_show(write)}"
                        f" from {_name(tp)}, whose send at line {analysis.line(writer)} failed"
                        f" with {send.error or 'an error'}",
                        lines=(analysis.line(writer), analysis.line(position)),
                        partition=tp,
                        offsets=offsets,
                    )
                )
    return cases


def _records(analysis: Analysis, position: int) -> tuple[Record, ...]:
    op = analysis.history.operations[position]
    assert isinstance(op, Poll), f"operation {position} is not a poll"
    return op.records


def lost_writes(analysis: Analysis) -> list[Case]:
    """Writes below what readers saw that no reader returned, though they happened (DELIV-5)."""
    cases = []
    for tp, order in analysis.orders.items():
        read = analysis.ok_readers.get(tp, {})
        known = [order.first_index[w] for w in read if w in order.first_index]
        if not known:
            continue
        bound = max(known)
        witness = _reader_at(analysis, order, read, bound)
        for write, last in order.last_index.items():
            if last > bound or write in read:
                continue
            writer = analysis.writer_of.get((tp[0], write))
            if writer is None or not analysis.must_have_committed(writer):
                continue
            offsets = tuple(o for o, writes in order.log.items() if write in writes)
            cases.append(
                Case(
                    kind=Kind.LOST_WRITE,
                    fatal=True,
                    message=f"{_name(tp)}: {_show(write)} (send at line {analysis.line(writer)},"
                    f" offset {', '.join(str(o) for o in offsets)}) was never read, though the"
                    f" poll at line {analysis.line(witness)} read offset {order.offset_at[bound]}"
                    " beyond it",
                    lines=(analysis.line(writer), analysis.line(witness)),
                    partition=tp,
                    offsets=offsets,
                )
            )
    return cases


def _reader_at(
    analysis: Analysis, order: VersionOrder, read: dict[Write, list[int]], index: int
) -> int:
    """A poll that read a write first appearing at dense ``index`` (the lost-write witness)."""
    for write, positions in read.items():
        if order.first_index.get(write) == index:
            return positions[0]
    raise AssertionError(f"no reader at index {index} of {order.partition}")


def unseen(analysis: Analysis) -> list[Case]:
    """Acknowledged sends that no ok poll ever returned (DELIV-5)."""
    cases = []
    for position in sorted(analysis.writer_of.values()):
        send = analysis.send_at(position)
        if not send.acknowledged or analysis.was_read(send.topic, (send.key, send.value)):
            continue
        tp = (send.topic, send.partition) if send.partition is not None else None
        cases.append(
            Case(
                kind=Kind.UNSEEN,
                fatal=True,
                message=f"{send.topic}-{send.partition}: {_show((send.key, send.value))},"
                f" acknowledged at offset {send.offset} by line {analysis.line(position)},"
                " was never returned by a poll",
                lines=(analysis.line(position),),
                partition=tp,
                offsets=() if send.offset is None else (send.offset,),
            )
        )
    return cases
