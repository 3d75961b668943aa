"""What a consumer's caller sees: records, call results, errors, rebalance callbacks, history.

Theory of operation
-------------------
The values that cross the consumer's API, gathered in one place so that the rest of the consumer
can share them without importing each other:

* :class:`ConsumerRecord` -- one record as ``poll()`` returns it (Kafka's ``ConsumerRecord``;
  keys and values are bytes, as with ``ByteArrayDeserializer``);
* the results of the blocking calls (:data:`CallResult`), and the errors they raise:
  :class:`NoOffsetForPartitionError` (``auto.offset.reset=none`` and nothing committed) and
  :class:`CommitFailedError` (the group refused a commit, or it timed out);
* :class:`ConsumerRebalanceListener`, Kafka's callback interface for rebalances, with
  :class:`RebalanceKind` naming its three callbacks (``lost`` is KIP-429's);
* :data:`ConsumerEvent` -- what a consumer with ``record_history`` remembers, in order: the
  client-observable facts that ``glasskafka.history`` turns into a history and judges (the
  history package sits above the client layer, so the conversion happens on its side).

Spec IDs: the events are the raw material of DELIV-19 and DELIV-21.

Simplified from Kafka: records carry no leader epoch and no serialized sizes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import TopicPartition

__all__ = [
    "AssignEvent",
    "CallKind",
    "CallResult",
    "CloseResult",
    "CommitEvent",
    "CommitFailedError",
    "CommitMode",
    "CommitResult",
    "CommittedResult",
    "ConsumerEvent",
    "ConsumerRebalanceListener",
    "ConsumerRecord",
    "NoOffsetForPartitionError",
    "PendingCall",
    "PollEvent",
    "PollResult",
    "RebalanceEvent",
    "RebalanceKind",
    "SubscribeEvent",
    "notify",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerRecord:
    """One record as ``poll()`` returns it: where it is, when, and its bytes."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


class NoOffsetForPartitionError(GlassKafkaError):
    """No committed offset and ``auto.offset.reset=none`` (``NoOffsetForPartitionException``)."""


class CommitFailedError(GlassKafkaError):
    """A commit the group refused or that timed out (``CommitFailedException`` and kin)."""


class CommitMode(enum.Enum):
    """How a commit was asked for (the history format's names)."""

    SYNC = "sync"
    ASYNC = "async"
    AUTO = "auto"


class RebalanceKind(enum.Enum):
    """Which ``ConsumerRebalanceListener`` callback runs."""

    ASSIGNED = "assigned"
    REVOKED = "revoked"
    LOST = "lost"


class CallKind(enum.Enum):
    """The blocking calls, one of which may be in progress."""

    POLL = "poll"
    COMMIT_SYNC = "commit_sync"
    COMMITTED = "committed"
    CLOSE = "close"


@dataclass(frozen=True, slots=True, kw_only=True)
class PollResult:
    """What ``poll()`` returned."""

    records: tuple[ConsumerRecord, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitResult:
    """A ``commit_sync()`` that succeeded, with the offsets it committed."""

    offsets: dict[TopicPartition, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommittedResult:
    """``committed()``: each partition's committed offset, or None."""

    offsets: dict[TopicPartition, int | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseResult:
    """``close()`` finished: the member left its group."""


CallResult = PollResult | CommitResult | CommittedResult | CloseResult
"""The result of a finished blocking call."""


@dataclass(slots=True, kw_only=True)
class PendingCall:
    """The blocking call in progress: its deadline and what it has sent so far.

    ``sent`` is the commit id (COMMIT_SYNC, CLOSE) or correlation id (COMMITTED) of the request
    the call waits for; ``None`` until it is sent, and again while a retry waits for
    ``retry_at_ms``.
    """

    kind: CallKind
    deadline_ms: int
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    partitions: tuple[TopicPartition, ...] = ()
    sent: int | None = None
    retry_at_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PollEvent:
    """History: a poll that completed, with its records (or its error)."""

    time_ms: int
    records: tuple[ConsumerRecord, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitEvent:
    """History: a commit's outcome (``ErrorCode.NONE`` for success)."""

    time_ms: int
    mode: CommitMode
    offsets: tuple[tuple[TopicPartition, int], ...]
    error: ErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalanceEvent:
    """History: a rebalance callback ran, in a generation (-1: none)."""

    time_ms: int
    kind: RebalanceKind
    partitions: tuple[TopicPartition, ...]
    generation: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeEvent:
    """History: ``subscribe()`` as a member of ``group``."""

    time_ms: int
    group: str
    topics: tuple[str, ...]
    pattern: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignEvent:
    """History: ``assign()`` of exactly these partitions."""

    time_ms: int
    partitions: tuple[TopicPartition, ...]


ConsumerEvent = PollEvent | CommitEvent | RebalanceEvent | SubscribeEvent | AssignEvent
"""What a consumer with ``record_history`` remembers, in order."""


class ConsumerRebalanceListener:
    """Subclass and override to hear about rebalances (Kafka's ``ConsumerRebalanceListener``).

    The callbacks run inside the consumer's ``poll()`` (or ``close()``/``unsubscribe()``), on
    the application's side, in Kafka's order: revoked or lost before the JoinGroup, assigned
    after the SyncGroup.  ``on_partitions_revoked`` may return offsets to commit before the
    partitions are given up: the sans-IO form of calling ``commitSync`` inside the callback.
    """

    def on_partitions_revoked(
        self, partitions: tuple[TopicPartition, ...]
    ) -> Mapping[TopicPartition, int] | None:
        del partitions
        return None

    def on_partitions_assigned(self, partitions: tuple[TopicPartition, ...]) -> None:
        del partitions

    def on_partitions_lost(self, partitions: tuple[TopicPartition, ...]) -> None:
        del partitions


def notify(
    listener: ConsumerRebalanceListener | None,
    kind: RebalanceKind,
    partitions: tuple[TopicPartition, ...],
) -> Mapping[TopicPartition, int]:
    """Run ``listener``'s callback for ``kind``; the offsets a revocation wants committed."""
    if listener is None:
        return {}
    match kind:
        case RebalanceKind.REVOKED:
            return dict(listener.on_partitions_revoked(partitions) or {})
        case RebalanceKind.ASSIGNED:
            listener.on_partitions_assigned(partitions)
        case RebalanceKind.LOST:
            listener.on_partitions_lost(partitions)
    return {}
