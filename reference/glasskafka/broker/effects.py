"""What one input made the broker do: outputs, coordination requests, and events for observers.

Theory of operation
-------------------
A broker is a sans-IO node (``glasskafka.node``): it never sends, writes to the coordination
service or sets a timer itself.  Everything one input causes is collected in an :class:`Effects`
value that the node hands back at the end of the input:

* ``outputs`` -- ``Send``, ``SetTimer`` and ``CancelTimer`` for the driver;
* ``coordination`` -- requests for the coordination service (an ISR write, the registration),
  which the node submits through its one session (so ``/brokers/ids/<id>`` dies with it);
* ``touched`` -- partitions whose high watermark, log or role changed, so the node can try to
  complete the delayed operations (parked acks=all produces, long-poll fetches) watching them,
  as Kafka's ``ReplicaManager.tryCompleteDelayedRequests`` does after every such change;
* ``auto_create`` -- unknown topics a Metadata request may create, for the node to ask the
  controller about;
* ``events`` -- a plain-data account of the replication decisions taken, for the simulator's
  observers (``BrokerNode.events``).  Nodes never read them back; they exist so a harness can
  build the step events of ``glasskafka.sim.kafka_snapshot`` without parsing messages.

Spec IDs: none here; the events name what REPL-12, REPL-13, REPL-16 and CTRL-1 look at.

Simplified from Kafka: Kafka's request handler threads perform their I/O directly and log
"state change" lines (``state-change.log``); the events below are those log lines as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.controller.role import CoordinationRequest
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, Offset, PartitionId, TopicName, TopicPartition
from glasskafka.node import Message, Output

__all__ = [
    "Answer",
    "BrokerEvent",
    "Effects",
    "IsrWriteResult",
    "IsrWriteSent",
    "LeaderAndIsrApplied",
    "Outcome",
    "Parked",
    "ProduceAnswered",
    "ProduceAppended",
    "ReplicaFetchServed",
    "Truncated",
    "Unanswered",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaFetchServed:
    """The leader handled a fetch from follower ``follower`` (counted: it moved its state).

    ``current_leader_epoch`` is what the request carried (-1: none, KIP-320).  REPL-12, REPL-13.
    """

    topic: TopicName
    partition: PartitionId
    follower: BrokerId
    fetch_offset: Offset
    current_leader_epoch: Epoch
    error: ErrorCode
    counted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceAppended:
    """The leader appended a producer batch, or refused it with ``error`` (REPL-16).

    ``isr_size`` is the size of the leader's ISR when the request arrived; ``acks`` is the
    request's (0, 1 or -1).  On refusal the offsets are -1.
    """

    topic: TopicName
    partition: PartitionId
    acks: int
    error: ErrorCode
    base_offset: Offset
    last_offset: Offset
    leader_epoch: Epoch
    isr_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceAnswered:
    """The answer for one partition of a produce went out; ``delayed`` if it waited for the HW."""

    topic: TopicName
    partition: PartitionId
    acks: int
    error: ErrorCode
    base_offset: Offset
    delayed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrApplied:
    """One partition state of a LeaderAndIsr request, and what the broker made of it (CTRL-1).

    ``error`` is NONE when the state was applied or was a repeat of the one held.
    """

    topic: TopicName
    partition: PartitionId
    controller_epoch: Epoch
    leader: BrokerId
    leader_epoch: Epoch
    isr: frozenset[BrokerId]
    error: ErrorCode
    applied: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class IsrWriteSent:
    """The leader asked the coordination service to change the ISR if the znode is at
    ``expected_zk_version`` (CTRL-1)."""

    topic: TopicName
    partition: PartitionId
    isr: frozenset[BrokerId]
    expected_zk_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IsrWriteResult:
    """The leader learnt the outcome of its ISR write (CTRL-1).

    ``succeeded`` only when the service confirmed it; ``outcome_unknown`` when the connection
    or the session was lost first, so the leader must read the znode back.
    """

    topic: TopicName
    partition: PartitionId
    isr: frozenset[BrokerId]
    succeeded: bool
    outcome_unknown: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Truncated:
    """A follower cut its log from ``to_offset`` on (it ended at ``from_offset``) (REPL-14)."""

    topic: TopicName
    partition: PartitionId
    from_offset: Offset
    to_offset: Offset
    reason: str


BrokerEvent = (
    ReplicaFetchServed
    | ProduceAppended
    | ProduceAnswered
    | LeaderAndIsrApplied
    | IsrWriteSent
    | IsrWriteResult
    | Truncated
)
"""Every kind of event a broker reports."""


@dataclass(slots=True, kw_only=True)
class Effects:
    """The sink one input's handlers write into; the node drains it when the input is done."""

    outputs: list[Output] = field(default_factory=list)
    coordination: list[CoordinationRequest] = field(default_factory=list)
    touched: set[TopicPartition] = field(default_factory=set)
    events: list[BrokerEvent] = field(default_factory=list)
    auto_create: list[str] = field(default_factory=list)

    def touch(self, topic: TopicName, partition: PartitionId) -> None:
        """Note that delayed operations watching this partition may now complete."""
        self.touched.add((topic, partition))

    def take_touched(self) -> list[TopicPartition]:
        """The touched partitions, sorted (DESIGN §7: no set order leaks), and forget them."""
        touched = sorted(self.touched)
        self.touched.clear()
        return touched


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """A request handler's outcome: answer now with ``body``."""

    body: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class Parked:
    """A request handler's outcome: the request waits in the purgatory as ``operation_id``."""

    operation_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Unanswered:
    """A request handler's outcome: no answer at all (a produce with acks=0)."""


Outcome = Answer | Parked | Unanswered
"""What handling one request led to."""
