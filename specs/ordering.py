"""Ordering, specified: one producer's records land in a partition in the order they were sent.

The specification
-----------------
Kafka keeps order only inside a partition: a consumer reads a partition's records in offset
order, and records in different partitions have no order at all.  (The course's warning: write
to several partitions at once and the order is lost; keep records whose order matters in one
partition, under one key.)  Inside one partition the producer's settings decide:

* ORDER-1 *Acknowledged records in send order.*  Of one producer's records in one partition:
  no record is in the log twice, the records in the log stand in the order they were sent, and
  every acknowledged record is in the log (so there is no gap among them).  Kafka promises this
  with ``enable.idempotence=true`` (the default since 3.0): sequence numbers let the leader drop
  a retried batch it already has, refuse a batch that overtook an earlier one, and fence a
  batch of an epoch the producer has left behind.
* ORDER-2 *Ordering needs idempotence.*  Without idempotence a retry can write a record twice,
  and a retried batch, or a request the producer gave up on but the broker processed late, can
  land after a later batch.  So an ORDER-1 anomaly is permitted only for a non-idempotent
  producer, and then only as its settings allow: with ``retries > 0`` duplicates and
  reorderings; with ``retries = 0`` only reorderings that involve a record whose send was
  reported as failed.  A lost acknowledged record is never permitted.

The snapshot is plain data: the producer's settings, its records in send order with what the
producer learned about each (acknowledged, failed or still pending), and the ids of its records
in the partition leader's log, in offset order.  ORDER-1 judges the run; ORDER-2 judges whether
the run's ORDER-1 anomalies are ones its settings permit, so the teeth tests can show ORDER-1
failing without idempotence while ORDER-2 still holds.

Simplified from Kafka: one producer and one partition at a time; acks=all with clean leader
elections is assumed (with acks=1 or an unclean election, an acknowledged record may be lost,
which the REPL-n invariants cover).
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass

from specs.catalogue import spec

__all__ = [
    "Anomaly",
    "AnomalyKind",
    "OrderingSnapshot",
    "ProducerSettingsView",
    "SendOutcome",
    "SentRecord",
    "acknowledged_records_in_send_order",
    "order_anomalies",
    "ordering_needs_idempotence",
]


class SendOutcome(enum.Enum):
    """What the producer learned about one record's send."""

    ACKED = "acked"
    FAILED = "failed"
    PENDING = "pending"


class AnomalyKind(enum.Enum):
    """The ways ORDER-1 can fail."""

    DUPLICATE = "duplicate"
    REORDERED = "reordered"
    LOST = "lost"


@dataclass(frozen=True, slots=True, kw_only=True)
class SentRecord:
    """One record the producer sent, in send order, and its outcome so far."""

    record_id: int
    outcome: SendOutcome


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerSettingsView:
    """The settings that decide which anomalies are permitted (ORDER-2)."""

    idempotent: bool
    max_in_flight: int
    retries: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderingSnapshot:
    """One producer and one partition: settings, sends in order, and the leader's log."""

    settings: ProducerSettingsView
    sent: tuple[SentRecord, ...]
    log: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Anomaly:
    """One way the run broke ORDER-1, with a sentence a student can read."""

    kind: AnomalyKind
    message: str
    involves_failed: bool = False


def order_anomalies(snapshot: OrderingSnapshot) -> list[Anomaly]:
    """Every ORDER-1 anomaly of the run, in a stable order."""
    rank = {sent.record_id: index for index, sent in enumerate(snapshot.sent)}
    positions: dict[int, list[int]] = {}
    for position, record_id in enumerate(snapshot.log):
        positions.setdefault(record_id, []).append(position)
    found = [
        Anomaly(
            kind=AnomalyKind.DUPLICATE,
            message=f"record {record_id} is in the log {len(where)} times (positions {where})",
        )
        for record_id, where in sorted(positions.items())
        if len(where) > 1
    ]
    failed = {s.record_id for s in snapshot.sent if s.outcome is SendOutcome.FAILED}
    ours = [record_id for record_id in snapshot.log if record_id in rank]
    for earlier, later in itertools.pairwise(ours):
        if rank[later] < rank[earlier]:
            found.append(
                Anomaly(
                    kind=AnomalyKind.REORDERED,
                    message=f"record {later} follows record {earlier} in the log, against the "
                    "send order",
                    involves_failed=bool({earlier, later} & failed),
                )
            )
    found += [
        Anomaly(
            kind=AnomalyKind.LOST,
            message=f"acknowledged record {sent.record_id} is not in the log",
        )
        for sent in snapshot.sent
        if sent.outcome is SendOutcome.ACKED and sent.record_id not in positions
    ]
    return found


@spec("ORDER-1", "Acknowledged records in send order")
def acknowledged_records_in_send_order(snapshot: OrderingSnapshot) -> list[str]:
    """Of one producer's records in one partition: no record is in the log twice, the records in
    the log stand in send order, and every acknowledged record is in the log, so none is missing
    between two others.  Kafka promises this with enable.idempotence=true."""
    return [f"{anomaly.kind.value}: {anomaly.message}" for anomaly in order_anomalies(snapshot)]


def _permitted(anomaly: Anomaly, settings: ProducerSettingsView) -> bool:
    if settings.idempotent:
        return False
    match anomaly.kind:
        case AnomalyKind.DUPLICATE:
            return settings.retries > 0
        case AnomalyKind.REORDERED:
            return settings.retries > 0 or anomaly.involves_failed
        case AnomalyKind.LOST:
            return False


@spec("ORDER-2", "Ordering needs idempotence")
def ordering_needs_idempotence(snapshot: OrderingSnapshot) -> list[str]:
    """ORDER-1 needs idempotence.  Without it a retry can write a record twice, and a retried
    batch, or a request the producer gave up on but the broker processed late, can land after a
    later one.  So an ORDER-1 anomaly is permitted only for a non-idempotent producer: with
    retries, duplicates and reorderings; without retries, only reorderings that involve a record
    whose send was reported failed.  A lost acknowledged record is always a violation."""
    settings = snapshot.settings
    return [
        f"{anomaly.kind.value} with idempotent={settings.idempotent}, "
        f"max_in_flight={settings.max_in_flight}, retries={settings.retries}: {anomaly.message}"
        for anomaly in order_anomalies(snapshot)
        if not _permitted(anomaly, settings)
    ]
