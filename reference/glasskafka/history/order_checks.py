"""Checks of order: do consumers read each partition in log order, and producers write in order?

Theory of operation
-------------------
A Kafka consumer reads each assigned partition from its position forward, one record after the
next; a producer's records to one partition land in the order ``send()`` was called (with
``max.in.flight.requests.per.connection`` = 1, or with idempotence, KIP-98).  Positions are compared
in the *dense* order of ``orders.py``, so empty offsets (control batches, compaction) are never
counted as skips.  When either position is unknown the distance is taken as 1: no evidence, no
error.  Definitions follow Jepsen's ``kafka.clj`` and ``reference/delivery-semantics.md`` §4:

* ``int-poll-skip`` / ``int-nonmonotonic-poll`` (DELIV-7): two consecutive records of one
  partition within one poll are more than one apart / not ahead of each other.  Always errors.
* ``poll-skip`` / ``nonmonotonic-poll`` (DELIV-7): a process's poll starts a partition more than
  one past / at or before where its last ``ok`` poll of that partition ended.  Only ``ok`` polls
  move the "last read" mark, but polls of every outcome are compared against it.  Errors in assign
  mode; *allowed* in subscribe mode, where the group may move partitions between polls.
* ``nonmonotonic-send`` (DELIV-13): a process's send (``ok`` or ``unknown``) lands at or before
  its previous send to the same partition.  Skips between sends are not errors: other producers
  write too.

Tracking restarts when the partitions change: ``assign`` or ``subscribe`` taking effect keeps only
partitions still in the new set; a ``revoked``, ``lost`` or ``assigned`` callback forgets those
partitions (the consumer resumes from the committed offset); ``crash`` and ``restart`` forget all.

Spec IDs: DELIV-7, DELIV-13.

Simplified from Kafka: Jepsen also forgets a process's *send* marks on ``assign``/``subscribe``,
because its clients pair one producer with one consumer; a Kafka producer's order does not depend
on a consumer, so here only ``crash`` and ``restart`` forget them.
"""

from __future__ import annotations

import itertools

from glasskafka.history.analysis import Analysis
from glasskafka.history.anomalies import Case, Kind
from glasskafka.history.model import (
    Assign,
    Crash,
    Operation,
    Outcome,
    Poll,
    Rebalance,
    Record,
    Restart,
    Send,
    Subscribe,
)
from glasskafka.history.sessions import Mode
from glasskafka.ids import Offset, TopicPartition

__all__ = ["internal_poll_order", "poll_order", "send_order"]


def _name(tp: TopicPartition) -> str:
    return f"{tp[0]}-{tp[1]}"


def _by_partition(records: tuple[Record, ...]) -> dict[TopicPartition, list[Record]]:
    grouped: dict[TopicPartition, list[Record]] = {}
    for record in records:
        grouped.setdefault((record.topic, record.partition), []).append(record)
    return grouped


def internal_poll_order(analysis: Analysis) -> list[Case]:
    """Skips and reorderings between consecutive records of one poll (DELIV-7)."""
    cases = []
    for position, op in enumerate(analysis.history.operations):
        if not isinstance(op, Poll):
            continue
        for tp, records in _by_partition(op.records).items():
            order = analysis.orders[tp]
            for before, after in itertools.pairwise(records):
                delta = order.delta(order.index_at[before.offset], order.index_at[after.offset])
                if delta == 1:
                    continue
                kind = Kind.INT_POLL_SKIP if delta > 1 else Kind.INT_NONMONOTONIC_POLL
                what = "skipped" if delta > 1 else "went back"
                cases.append(
                    Case(
                        kind=kind,
                        fatal=True,
                        message=f"poll at line {analysis.line(position)} {what} within"
                        f" {_name(tp)}: offset {before.offset} then {after.offset}"
                        f" (dense distance {delta})",
                        lines=(analysis.line(position),),
                        partition=tp,
                        offsets=(before.offset, after.offset),
                    )
                )
    return cases


def _forget(marks: dict[TopicPartition, tuple[int, Offset]], op: Operation) -> None:
    """Drop the "last read" marks that ``op`` makes meaningless (see the module docstring)."""
    match op:
        case Assign(outcome=outcome) if outcome is not Outcome.ERROR:
            kept = set(op.partitions)
            for tp in [tp for tp in marks if tp not in kept]:
                del marks[tp]
        case Subscribe(outcome=outcome) if outcome is not Outcome.ERROR:
            for tp in [tp for tp in marks if tp[0] not in op.topics]:
                del marks[tp]
        case Rebalance():
            for tp in op.partitions:
                marks.pop(tp, None)
        case Crash() | Restart():
            marks.clear()
        case _:
            pass


def poll_order(analysis: Analysis) -> list[Case]:
    """Skips and reorderings between a process's consecutive polls of a partition (DELIV-7)."""
    cases = []
    # process -> partition -> (position of its last ok poll, the last offset that poll read)
    last_read: dict[int, dict[TopicPartition, tuple[int, Offset]]] = {}
    for position, op in enumerate(analysis.history.operations):
        marks = last_read.setdefault(op.process, {})
        if not isinstance(op, Poll):
            _forget(marks, op)
            continue
        subscribed = analysis.sessions[position].mode is Mode.SUBSCRIBED
        for tp, records in _by_partition(op.records).items():
            first = records[0]
            if tp in marks:
                earlier, offset = marks[tp]
                order = analysis.orders[tp]
                delta = order.delta(order.index_at[offset], order.index_at[first.offset])
                if delta != 1:
                    kind = Kind.POLL_SKIP if delta > 1 else Kind.NONMONOTONIC_POLL
                    cases.append(
                        Case(
                            kind=kind,
                            fatal=not subscribed,
                            message=f"process {op.process} read {_name(tp)} up to offset"
                            f" {offset} (line {analysis.line(earlier)}), then began at offset"
                            f" {first.offset} (line {analysis.line(position)}), dense distance"
                            f" {delta}" + (" while subscribed" if subscribed else ""),
                            lines=(analysis.line(earlier), analysis.line(position)),
                            partition=tp,
                            offsets=(offset, first.offset),
                        )
                    )
            if op.outcome is Outcome.OK:
                marks[tp] = (position, records[-1].offset)
    return cases


def send_order(analysis: Analysis) -> list[Case]:
    """A process's sends to one partition landing at or before its previous one (DELIV-13)."""
    cases = []
    # process -> partition -> (position of its last send there, that send's dense index)
    last_sent: dict[int, dict[TopicPartition, tuple[int, int | None]]] = {}
    for position, op in enumerate(analysis.history.operations):
        marks = last_sent.setdefault(op.process, {})
        if isinstance(op, Crash | Restart):
            marks.clear()
        if not isinstance(op, Send) or op.definitely_failed:
            continue
        tp = _partition_of_send(analysis, op)
        if tp is None:
            continue
        order = analysis.orders[tp]
        here = order.position(op.offset, (op.key, op.value))
        if tp in marks:
            earlier, previous = marks[tp]
            if order.delta(previous, here) < 1:
                assert previous is not None and here is not None
                offsets = (order.offset_at[previous], order.offset_at[here])
                cases.append(
                    Case(
                        kind=Kind.NONMONOTONIC_SEND,
                        fatal=True,
                        message=f"process {op.process} sent to {_name(tp)} at line"
                        f" {analysis.line(earlier)} (offset {offsets[0]}), then at line"
                        f" {analysis.line(position)} its next send landed at offset {offsets[1]}",
                        lines=(analysis.line(earlier), analysis.line(position)),
                        partition=tp,
                        offsets=offsets,
                    )
                )
        marks[tp] = (position, here)
    return cases


def _partition_of_send(analysis: Analysis, send: Send) -> TopicPartition | None:
    """The partition a send landed in: its own if known, else where readers found its value."""
    if send.partition is not None:
        tp = (send.topic, send.partition)
        return tp if tp in analysis.orders else None
    write = (send.key, send.value)
    for tp, order in analysis.orders.items():
        if tp[0] == send.topic and write in order.index_of:
            return tp
    return None
