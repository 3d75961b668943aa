"""What happened at each offset of a failing partition: the data behind the history picture.

Theory of operation
-------------------
``glasskafka.viz.history`` draws each partition that a fatal anomaly names as a row of offsets,
one cell per offset anyone saw, coloured by what happened there.  This module decides the colour
(:class:`OffsetStatus`) from the analysis and the report, so the picture holds no checking logic
and the classification is tested without Graphviz.

When several things happened at one offset the worst wins, in the order of :class:`OffsetStatus`:
a reused offset, a read of a failed write, an acknowledged write never seen, a record written
twice, a record a group skipped or processed twice, and finally the good cases.

Spec IDs: shows DELIV-1, 2, 3, 5, 19 and 20 per offset.

Simplified from Kafka: nothing; Kafka's own view is ``kafka-dump-log.sh`` over the real files.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from glasskafka.history.analysis import Analysis, analyse
from glasskafka.history.anomalies import Kind
from glasskafka.history.checker import Report
from glasskafka.history.model import History
from glasskafka.ids import Offset, TopicPartition

__all__ = ["OffsetStatus", "PartitionView", "failing_partitions"]


class OffsetStatus(enum.Enum):
    """What happened at one offset, worst first; the value is the legend's wording."""

    REUSED = "offset reused: two different records"
    FAILED_BUT_SEEN = "read, though its send failed"
    ACKED_NEVER_SEEN = "acknowledged, never seen"
    WRITTEN_TWICE = "record also at another offset"
    GROUP_SKIPPED = "below the commit, never processed by the group"
    GROUP_PROCESSED_TWICE = "processed twice by an at-most-once group"
    ACKED_AND_SEEN = "acknowledged and seen"
    SEEN = "seen (write not acknowledged)"


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionView:
    """One failing partition: each known offset with its status, in offset order."""

    partition: TopicPartition
    cells: tuple[tuple[Offset, OffsetStatus], ...]
    kinds: tuple[Kind, ...]


_GROUP_STATUS = {
    Kind.GROUP_UNDELIVERED: OffsetStatus.GROUP_SKIPPED,
    Kind.GROUP_REDELIVERED: OffsetStatus.GROUP_PROCESSED_TWICE,
}


def failing_partitions(history: History, report: Report) -> list[PartitionView]:
    """A view of every partition that some fatal case of ``report`` names."""
    analysis = analyse(history)
    kinds: dict[TopicPartition, set[Kind]] = {}
    group_marks: dict[tuple[TopicPartition, Offset], OffsetStatus] = {}
    for case in report.cases:
        if not case.fatal or case.partition is None:
            continue
        kinds.setdefault(case.partition, set()).add(case.kind)
        if case.kind in _GROUP_STATUS:
            for offset in case.offsets:
                group_marks[(case.partition, offset)] = _GROUP_STATUS[case.kind]
    views = []
    for tp in sorted(kinds):
        statuses = _statuses(analysis, tp)
        for (marked_tp, offset), status in group_marks.items():
            if marked_tp == tp:
                statuses[offset] = min(statuses.get(offset, status), status, key=_rank)
        views.append(
            PartitionView(
                partition=tp,
                cells=tuple(sorted(statuses.items())),
                kinds=tuple(k for k in Kind if k in kinds[tp]),
            )
        )
    return views


def _rank(status: OffsetStatus) -> int:
    return list(OffsetStatus).index(status)


def _statuses(analysis: Analysis, tp: TopicPartition) -> dict[Offset, OffsetStatus]:
    order = analysis.orders.get(tp)
    if order is None:
        return {}
    read = analysis.ok_readers.get(tp, {})
    places: dict[object, int] = {}
    for writes in order.log.values():
        for write in writes:
            places[write] = places.get(write, 0) + 1
    statuses = {}
    for offset, writes in order.log.items():
        found = [OffsetStatus.SEEN]
        if len(writes) > 1:
            found.append(OffsetStatus.REUSED)
        for write in writes:
            writer = analysis.writer_of.get((tp[0], write))
            send = None if writer is None else analysis.send_at(writer)
            if places[write] > 1:
                found.append(OffsetStatus.WRITTEN_TWICE)
            if send is not None and send.definitely_failed and write in read:
                found.append(OffsetStatus.FAILED_BUT_SEEN)
            if send is not None and send.acknowledged and send.offset == offset:
                acked = (
                    OffsetStatus.ACKED_AND_SEEN if write in read else OffsetStatus.ACKED_NEVER_SEEN
                )
                found.append(acked)
        statuses[offset] = min(found, key=_rank)
    return statuses
