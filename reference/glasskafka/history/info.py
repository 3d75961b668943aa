"""Informational outputs: facts about a history that never decide its verdict.

Theory of operation
-------------------
Beside its anomalies, Jepsen's Kafka checker reports figures that help explain a run without
judging it (``reference/delivery-semantics.md`` §5).  glasskafka computes these:

* **Partitions**: per partition, how many offsets anyone saw, the first and last of them, and
  how many offsets held conflicting records: a summary of the version orders.
* **Unknown causes** (Jepsen's ``info-txn-causes``): the distinct errors on operations whose
  outcome is unknown, with counts; they say why the history holds uncertainty.
* **Double consumption** (Jepsen's ``consume-counts``): per process, how many records its ``ok``
  polls in subscribe mode returned more than once.  Expected after rebalances; it is the raw
  material of at-most-once.
* **Realtime lag** (Jepsen's ``realtime-lag``, needs ``time_ms``): for a poll by a process of a
  partition, a lower bound on how long the newest record it had read had already not been the
  last one: the poll's time minus the first time the next offset was known to exist.  The worst
  per process and partition is kept.  Lines carry the time an operation *completed*, so the bound
  is loose by the length of the poll itself (Jepsen uses the invocation time).
* **Committed offsets**: each group's final committed offset per partition, the ``C`` of DELIV-19.

Spec IDs: none; nothing here is an invariant.

Simplified from Kafka: none; these are observations.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass

from glasskafka.history.analysis import Analysis
from glasskafka.history.model import (
    INDEFINITE_ERRORS,
    Assign,
    Commit,
    Crash,
    Outcome,
    Poll,
    Restart,
    Send,
    Subscribe,
)
from glasskafka.history.sessions import Mode
from glasskafka.ids import Offset, TopicPartition

__all__ = [
    "Lag",
    "PartitionSummary",
    "double_consumption",
    "partition_summaries",
    "realtime_lags",
    "unknown_causes",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionSummary:
    """What the history showed of one partition's log."""

    partition: TopicPartition
    offsets_seen: int
    first_offset: Offset
    last_offset: Offset
    conflicting_offsets: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Lag:
    """The worst realtime lag of one process on one partition, and the poll that showed it."""

    process: int
    partition: TopicPartition
    lag_ms: int
    line: int


def partition_summaries(analysis: Analysis) -> list[PartitionSummary]:
    """A summary of each partition's version order."""
    return [
        PartitionSummary(
            partition=tp,
            offsets_seen=len(order.log),
            first_offset=order.offset_at[0],
            last_offset=order.offset_at[-1],
            conflicting_offsets=sum(1 for writes in order.log.values() if len(writes) > 1),
        )
        for tp, order in analysis.orders.items()
        if order.offset_at
    ]


def unknown_causes(analysis: Analysis) -> list[tuple[str, int]]:
    """Distinct errors on operations of unknown outcome, with how often each occurred."""
    causes: Counter[str] = Counter()
    for op in analysis.history.operations:
        if not isinstance(op, Send | Poll | Commit):
            continue
        indefinite = op.outcome is Outcome.ERROR and op.error in INDEFINITE_ERRORS
        if op.outcome is Outcome.UNKNOWN or indefinite:
            causes[op.error or "(no error given)"] += 1
    return sorted(causes.items())


def double_consumption(analysis: Analysis) -> list[tuple[int, int]]:
    """Per process, the number of records its subscribe-mode ok polls returned more than once."""
    counts: dict[int, Counter[tuple[TopicPartition, Offset]]] = {}
    for position, op in enumerate(analysis.history.operations):
        if not isinstance(op, Poll) or op.outcome is not Outcome.OK:
            continue
        if analysis.sessions[position].mode is not Mode.SUBSCRIBED:
            continue
        seen = counts.setdefault(op.process, Counter())
        for record in op.records:
            seen[((record.topic, record.partition), record.offset)] += 1
    found = [(process, sum(1 for n in seen.values() if n > 1)) for process, seen in counts.items()]
    return sorted((process, n) for process, n in found if n > 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Existence:
    """For one partition: known offsets, sorted, and the earliest time any offset >= each was seen.

    ``earliest[i]`` is the first time some offset at or beyond ``offsets[i]`` was known to exist,
    so "when did the log first reach past offset o" is one binary search.
    """

    offsets: list[int]
    earliest: list[int]

    def first_time_beyond(self, offset: int) -> int | None:
        at = bisect.bisect_right(self.offsets, offset)
        return self.earliest[at] if at < len(self.offsets) else None


def _existence(analysis: Analysis) -> dict[TopicPartition, _Existence]:
    """Per partition, when each offset was first known to exist (by an ok send or any poll)."""
    first_seen: dict[TopicPartition, dict[int, int]] = {}
    for op in analysis.history.operations:
        if op.time_ms is None:
            continue
        if isinstance(op, Send) and op.acknowledged and op.partition is not None:
            if op.offset is not None:
                times = first_seen.setdefault((op.topic, op.partition), {})
                times.setdefault(op.offset, op.time_ms)
        elif isinstance(op, Poll):
            for record in op.records:
                times = first_seen.setdefault((record.topic, record.partition), {})
                times.setdefault(record.offset, op.time_ms)
    found = {}
    for tp, times in first_seen.items():
        offsets = sorted(times)
        earliest = [times[o] for o in offsets]
        for i in range(len(earliest) - 2, -1, -1):
            earliest[i] = min(earliest[i], earliest[i + 1])
        found[tp] = _Existence(offsets=offsets, earliest=earliest)
    return found


def realtime_lags(analysis: Analysis) -> list[Lag]:
    """The worst realtime lag per process and partition (empty without ``time_ms``)."""
    existence = _existence(analysis)
    highest: dict[int, dict[TopicPartition, Offset]] = {}
    worst: dict[tuple[int, TopicPartition], Lag] = {}
    for position, op in enumerate(analysis.history.operations):
        mine = highest.setdefault(op.process, {})
        if isinstance(op, Assign | Subscribe | Crash | Restart):
            mine.clear()
        if not isinstance(op, Poll) or op.outcome is not Outcome.OK or op.time_ms is None:
            continue
        for record in op.records:
            tp = (record.topic, record.partition)
            mine[tp] = max(mine.get(tp, record.offset), record.offset)
        for tp, offset in mine.items():
            beyond = existence[tp].first_time_beyond(offset) if tp in existence else None
            if beyond is None:
                continue
            lag = Lag(
                process=op.process,
                partition=tp,
                lag_ms=max(0, op.time_ms - beyond),
                line=analysis.line(position),
            )
            if (op.process, tp) not in worst or lag.lag_ms > worst[(op.process, tp)].lag_ms:
                worst[(op.process, tp)] = lag
    return [worst[key] for key in sorted(worst)]
