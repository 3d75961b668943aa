"""The purgatory: requests parked until they can be answered, each with its timer.

Theory of operation
-------------------
Some requests cannot be answered at once (Kafka's ``DelayedOperationPurgatory``):

* an **acks=all produce** (:class:`DelayedProduce`) waits until the leader's high watermark has
  passed every batch it appended -- or until ``timeout_ms``, when the partitions still waiting
  are answered REQUEST_TIMED_OUT (``DelayedProduce.scala``);
* a **long-poll fetch** (:class:`DelayedFetch`) waits until ``min_bytes`` are available to it
  (below the HW for a consumer, below the LEO for a follower), until a partition it reads has
  an error to report, or until ``max_wait_ms`` (``DelayedFetch.scala``).

The purgatory only keeps them: an operation, the partitions it *watches*, its deadline.  Whoever
changes a partition's HW, log or role marks the partition *touched* (``effects.py``), and after
each input the broker looks up the operations watching the touched partitions
(:meth:`Purgatory.watching`) and tries to complete them (``produce_path.py``,
``fetch_path.py``).  Each operation also has a timer, ``broker:delayed:<id>``; when it fires
the operation is completed with whatever it has.

While an operation is parked, later requests from the same peer wait (``request_channel.py``),
so a peer's answers always go out in the order of its requests.

Spec IDs: REPL-16 (acks=all answered when the HW passes, checked at completion), LIVE-1 (every
parked produce is answered: by the HW, by a role change, or by its timer).

Simplified from Kafka: Kafka's purgatory uses a hierarchical timing wheel and watcher lists
with reference counting, and purges completed operations lazily; glasskafka keeps one dict and
scans the few operations watching a touched partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from glasskafka.ids import Millis, NodeId, Offset, PartitionId, TopicName, TopicPartition
from glasskafka.node import CancelTimer, SetTimer
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.fetch import FetchRequest
from glasskafka.protocol.messages.produce import PartitionProduceResponse

__all__ = [
    "DELAYED_TIMER_PREFIX",
    "DelayedFetch",
    "DelayedOperation",
    "DelayedProduce",
    "ProducePartitionStatus",
    "Purgatory",
    "operation_of_timer",
    "timer_name",
]

DELAYED_TIMER_PREFIX = "broker:delayed:"
"""Timer names of parked operations: ``broker:delayed:<operation id>``."""


@dataclass(slots=True, kw_only=True)
class ProducePartitionStatus:
    """One partition of a parked produce: its answer so far and the offset the HW must pass.

    ``waiting`` is true while the partition waits for the HW to reach ``required_offset`` (one
    past the last appended offset); partitions that failed or were answered are not waiting.
    """

    topic: TopicName
    partition: PartitionId
    required_offset: Offset
    response: PartitionProduceResponse
    waiting: bool


@dataclass(slots=True, kw_only=True)
class DelayedProduce:
    """An acks=all produce waiting for the high watermark."""

    operation_id: int
    sender: NodeId
    request: KafkaRequest
    statuses: list[ProducePartitionStatus]
    deadline_ms: Millis

    @property
    def watched(self) -> list[TopicPartition]:
        return [(s.topic, s.partition) for s in self.statuses if s.waiting]


@dataclass(slots=True, kw_only=True)
class DelayedFetch:
    """A fetch waiting for ``min_bytes``; the request is read again when it completes."""

    operation_id: int
    sender: NodeId
    request: KafkaRequest
    fetch: FetchRequest
    deadline_ms: Millis

    @property
    def watched(self) -> list[TopicPartition]:
        return [
            (TopicName(t.topic), PartitionId(p.partition))
            for t in self.fetch.topics
            for p in t.partitions
        ]


DelayedOperation = DelayedProduce | DelayedFetch


@dataclass(slots=True, kw_only=True)
class Purgatory:
    """Parked operations by id (ids rise, so id order is parking order)."""

    operations: dict[int, DelayedOperation] = field(default_factory=dict)
    next_id: int = 0

    def new_id(self) -> int:
        """The id for the next operation to park."""
        operation_id = self.next_id
        self.next_id += 1
        return operation_id

    def park(self, operation: DelayedOperation) -> SetTimer:
        """Keep ``operation`` and return the timer that expires it at its deadline."""
        assert operation.operation_id not in self.operations, "operation parked twice"
        self.operations[operation.operation_id] = operation
        return SetTimer(name=timer_name(operation.operation_id), at_ms=operation.deadline_ms)

    def take(self, operation_id: int) -> tuple[DelayedOperation, CancelTimer] | None:
        """Remove an operation (it is being answered or abandoned) and cancel its timer."""
        operation = self.operations.pop(operation_id, None)
        if operation is None:
            return None
        return operation, CancelTimer(name=timer_name(operation_id))

    def get(self, operation_id: int) -> DelayedOperation | None:
        return self.operations.get(operation_id)

    def watching(self, keys: Iterable[TopicPartition]) -> list[DelayedOperation]:
        """Operations that watch any of ``keys``, in parking order."""
        wanted = set(keys)
        return [op for op in self.operations.values() if wanted.intersection(op.watched)]

    def of_peer(self, peer: NodeId) -> list[int]:
        """Ids of the operations parked for requests from ``peer``."""
        return [op.operation_id for op in self.operations.values() if op.sender == peer]


def timer_name(operation_id: int) -> str:
    """``broker:delayed:<id>``."""
    return f"{DELAYED_TIMER_PREFIX}{operation_id}"


def operation_of_timer(name: str) -> int | None:
    """The operation id a ``broker:delayed:<id>`` timer belongs to, or None."""
    if not name.startswith(DELAYED_TIMER_PREFIX):
        return None
    tail = name.removeprefix(DELAYED_TIMER_PREFIX)
    return int(tail) if tail.isdigit() else None
