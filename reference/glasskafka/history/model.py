"""The operations of a client-observed history, as typed values.

Theory of operation
-------------------
A *history* is what Kafka clients saw, written down one completed operation per line: a producer's
``send`` and what became of it, a consumer's ``poll`` and the records it returned, the moment the
application finished *processing* records, offset ``commit`` calls and their outcome, ``assign``
and ``subscribe``, the rebalance callbacks a group member received, the final ``committed``
offsets fetched from the group coordinator, and the ``crash`` and ``restart`` of a client.  The
checker (``checker.py``) reads nothing else: not the brokers, not the logs on disk.  So a history
recorded against real Kafka, against glasskafka or against any other system that speaks Kafka's
protocol is checked the same way.

Every operation carries the same header: ``process`` (one logical thread of the application; it
runs one operation at a time, except that a producer may have several sends in flight), ``client``
(the Kafka ``client.id``, shown in reports), and ``index`` and/or ``time_ms`` (the order of the
history).  The history's order is the order of its lines.

Rules the values keep (the parser enforces them; ``History.of`` trusts its caller):

* A record's identity is ``(topic, key, value)``.  The program that generates a history must make
  each value unique within its topic, so that a read names its write (Jepsen's Kafka workload makes
  the same demand, ``jepsen/src/jepsen/tests/kafka.clj``).
* An ``ok`` send knows its partition and offset; ``error`` and ``unknown`` sends may not.
* Send lines of one process appear in the order the application called ``send()``.  A recorder
  that waits on each send's future in call order writes them that way.

Outcomes follow Jepsen's three completion types under plainer names: ``ok`` (it happened),
``error`` (it did not happen and never will; Jepsen's ``fail``) and ``unknown`` (it may have
happened, perhaps later; Jepsen's ``info``).  An ``error`` outcome whose Kafka error is one of
:data:`INDEFINITE_ERRORS` is read as ``unknown``, because the broker may already have appended the
write (KAFKA-13574 for NOT_LEADER_OR_FOLLOWER; ``reference/delivery-semantics.md`` §2).

Spec IDs: the DELIV-n invariants of ``specs/delivery.py`` are predicates over :class:`History`.

Simplified from Kafka: record headers, timestamps and transactions (KIP-98) are not recorded yet;
a ``send`` carries one record, as a Kafka producer's ``send()`` does.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from glasskafka.ids import Offset, PartitionId, TopicName, TopicPartition

__all__ = [
    "INDEFINITE_ERRORS",
    "Assign",
    "Commit",
    "CommitMode",
    "Committed",
    "Crash",
    "Datum",
    "Delivery",
    "History",
    "Operation",
    "Outcome",
    "PartitionOffset",
    "Poll",
    "Process",
    "Rebalance",
    "RebalanceEvent",
    "Record",
    "Restart",
    "Send",
    "Subscribe",
    "partition_of",
]

Datum = str | int
"""A record key or value as a history writes it: a JSON string or integer."""

INDEFINITE_ERRORS: frozenset[str] = frozenset(
    {
        # The old leader may already have replicated the batch (KAFKA-13574).
        "NOT_LEADER_OR_FOLLOWER",
        # The request may have reached the broker before the client gave up.
        "REQUEST_TIMED_OUT",
        "NETWORK_EXCEPTION",
        "UNKNOWN_SERVER_ERROR",
        # Already in the leader's log; it may still become committed (Errors.java's description).
        "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    }
)
"""Kafka errors after which a write may still have happened, so ``error`` reads as ``unknown``."""


class Outcome(enum.Enum):
    """How an operation completed (Jepsen's ``ok`` / ``fail`` / ``info``)."""

    OK = "ok"
    ERROR = "error"
    UNKNOWN = "unknown"


class CommitMode(enum.Enum):
    """How the consumer committed: ``commitSync``, ``commitAsync`` or ``enable.auto.commit``."""

    SYNC = "sync"
    ASYNC = "async"
    AUTO = "auto"


class Delivery(enum.Enum):
    """The delivery guarantee a group's application means to give (Kafka docs, design §4.6).

    ``at-least-once`` commits after processing; ``at-most-once`` commits before processing.
    """

    AT_LEAST_ONCE = "at-least-once"
    AT_MOST_ONCE = "at-most-once"


class RebalanceEvent(enum.Enum):
    """Which ``ConsumerRebalanceListener`` callback ran (KIP-429 added ``lost``)."""

    ASSIGNED = "assigned"
    REVOKED = "revoked"
    LOST = "lost"


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One record as a poll returned it (or as the application processed it)."""

    topic: TopicName
    partition: PartitionId
    offset: Offset
    key: Datum | None
    value: Datum


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionOffset:
    """A committed offset: Kafka's meaning, the next offset to read."""

    topic: TopicName
    partition: PartitionId
    offset: Offset


@dataclass(frozen=True, slots=True, kw_only=True)
class _Header:
    """Fields every operation carries."""

    process: int
    client: str
    index: int | None = None
    time_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Send(_Header):
    """A producer's ``send()`` of one record, and its outcome.

    ``partition`` and ``offset`` come from the acknowledgement (``RecordMetadata``); both are set
    when ``outcome`` is ``ok``.  ``error`` names the Kafka error (``Errors.java``), if any.
    """

    topic: TopicName
    partition: PartitionId | None
    key: Datum | None
    value: Datum
    outcome: Outcome
    offset: Offset | None = None
    error: str | None = None

    @property
    def definitely_failed(self) -> bool:
        """Whether the write certainly never happened (``error`` with a definite Kafka error)."""
        return self.outcome is Outcome.ERROR and self.error not in INDEFINITE_ERRORS

    @property
    def acknowledged(self) -> bool:
        """Whether the broker acknowledged the write at a known offset."""
        return self.outcome is Outcome.OK


@dataclass(frozen=True, slots=True, kw_only=True)
class Poll(_Header):
    """One ``consumer.poll()`` call and the records it returned, in the order returned."""

    outcome: Outcome
    records: tuple[Record, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Process(_Header):
    """The application finished processing these records (the point delivery guarantees name)."""

    records: tuple[Record, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit(_Header):
    """An offset commit (OffsetCommit) for ``group`` and its outcome."""

    group: str
    mode: CommitMode
    offsets: tuple[PartitionOffset, ...]
    outcome: Outcome
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Committed(_Header):
    """Committed offsets fetched from the coordinator (OffsetFetch), e.g. after the final drain."""

    group: str
    offsets: tuple[PartitionOffset, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Assign(_Header):
    """``consumer.assign()``: exactly these partitions, replacing the current set."""

    partitions: tuple[TopicPartition, ...]
    outcome: Outcome
    seek_to_beginning: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscribe(_Header):
    """``consumer.subscribe()`` to ``topics`` as a member of ``group``, replacing the set."""

    group: str
    topics: tuple[TopicName, ...]
    outcome: Outcome
    delivery: Delivery = Delivery.AT_LEAST_ONCE


@dataclass(frozen=True, slots=True, kw_only=True)
class Rebalance(_Header):
    """A rebalance callback ran with these partitions, in ``generation`` if the client knows it."""

    group: str
    event: RebalanceEvent
    partitions: tuple[TopicPartition, ...]
    generation: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Crash(_Header):
    """The client was torn down without closing: positions, pending work and membership are gone."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Restart(_Header):
    """A fresh client starts under the same process id, with no assignment or subscription."""


Operation = (
    Send | Poll | Process | Commit | Committed | Assign | Subscribe | Rebalance | Crash | Restart
)
"""Every kind of line a history holds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """Operations in history order, with the file line each came from (for reports)."""

    operations: tuple[Operation, ...]
    lines: tuple[int, ...]

    def __post_init__(self) -> None:
        assert len(self.operations) == len(self.lines), "one line number per operation"

    @classmethod
    def of(cls, operations: Iterable[Operation]) -> History:
        """A history of ``operations`` numbered as if written one per line from line 1."""
        ops = tuple(operations)
        return cls(operations=ops, lines=tuple(range(1, len(ops) + 1)))

    def line(self, position: int) -> int:
        """The file line of the operation at ``position``."""
        return self.lines[position]


def partition_of(item: Record | PartitionOffset) -> TopicPartition:
    """The ``(topic, partition)`` a record or committed offset belongs to."""
    return (item.topic, item.partition)
