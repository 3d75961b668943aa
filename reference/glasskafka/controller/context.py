"""What the active controller knows: its cache of the coordination service, and its outboxes.

Theory of operation
-------------------
Kafka's controller keeps a ``ControllerContext``: the live brokers, every topic's replica
assignment and the last partition state it read or wrote, so that it can decide elections
without reading everything again.  glasskafka's :class:`ControllerContext` holds the same cache
plus the three places where work is queued during one input -- the coordination outbox
(:class:`~glasskafka.controller.zk_ops.ZkOutbox`), the batch of requests to brokers
(:class:`~glasskafka.controller.batch.RequestBatch`) and the log of leadership grants -- so the
parts of the role (``partition_states``, ``watchers``, ``deletion``, ``admin``) share one object.

A context lives for one *tenure*: it is created when the broker wins the election and thrown away
when it resigns, exactly as Kafka's ``KafkaController.onControllerResignation`` resets its context.
The cache may lag the coordination service (leaders change ISRs on their own); every election
therefore re-reads the znode and writes with a compare-and-set (CTRL-1).

**Broker epochs.**  A live broker is remembered with the ``czxid`` of its registration znode, the
*broker epoch* of KIP-380.  If a broker restarts faster than the controller reads ``/brokers/ids``,
the id set looks unchanged, but the epoch differs: the controller then treats it as a failure
followed by a start-up, as Kafka's ``BrokerChange`` handling does for "bounced" brokers.

**Grants.**  Every partition state the controller writes with a leader is a *leadership grant*
``(replica, leader epoch)``: :class:`LeadershipGrant`.  The log is kept for the role's whole life,
across tenures, so a test or an observer can check that no epoch was ever granted twice (REPL-11).

Spec IDs: REPL-11 (the grant log).

Simplified from Kafka: no shutting-down brokers, no reassignment state, no topic ids (KIP-516),
no per-replica online/offline state beyond "its broker is live".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from glasskafka.controller.batch import RequestBatch
from glasskafka.controller.election import ElectionKind
from glasskafka.controller.zk_ops import ZkOutbox
from glasskafka.controller.znodes import BrokerRegistration, PartitionState
from glasskafka.ids import BrokerId, Epoch, PartitionId, TopicName, TopicPartition

__all__ = ["ControllerContext", "LeadershipGrant", "LiveBroker"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveBroker:
    """A registered broker: where to reach it, and its broker epoch (KIP-380)."""

    registration: BrokerRegistration
    broker_epoch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadershipGrant:
    """The controller made ``leader`` the leader of ``topic-partition`` in ``leader_epoch``."""

    topic: TopicName
    partition: PartitionId
    leader: BrokerId
    leader_epoch: Epoch
    controller_epoch: Epoch
    kind: ElectionKind


@dataclass(slots=True, kw_only=True)
class ControllerContext:
    """The controller's cache for one tenure, and the outboxes its parts fill."""

    controller_id: BrokerId
    unclean_default: bool
    """The broker's ``unclean.leader.election.enable``, for topics that do not override it."""
    zk: ZkOutbox
    grants: list[LeadershipGrant]
    epoch: Epoch = field(default=Epoch(0))
    batch: RequestBatch = field(default_factory=RequestBatch)
    live_brokers: dict[BrokerId, LiveBroker] = field(default_factory=dict)
    assignments: dict[TopicName, dict[PartitionId, tuple[BrokerId, ...]]] = field(
        default_factory=dict
    )
    states: dict[TopicPartition, PartitionState] = field(default_factory=dict)
    topic_configs: dict[TopicName, dict[str, str]] = field(default_factory=dict)
    deleting: set[TopicName] = field(default_factory=set)
    """Topics whose znodes are being removed; their names cannot be reused until done."""

    # -- queries -------------------------------------------------------------------------------

    @property
    def live_ids(self) -> list[BrokerId]:
        """The live brokers, sorted."""
        return sorted(self.live_brokers)

    def partitions(self) -> list[TopicPartition]:
        """Every partition of every known topic, sorted."""
        return sorted((t, p) for t, parts in self.assignments.items() for p in parts)

    def partitions_of(self, topic: TopicName) -> list[TopicPartition]:
        return sorted((topic, p) for p in self.assignments.get(topic, {}))

    def replicas(self, tp: TopicPartition) -> tuple[BrokerId, ...]:
        """The assigned replicas of ``tp`` (preferred leader first), or ``()`` if unknown."""
        return self.assignments.get(tp[0], {}).get(tp[1], ())

    def live_replicas(self, tp: TopicPartition) -> list[BrokerId]:
        return [b for b in self.replicas(tp) if b in self.live_brokers]

    def partitions_on(self, brokers: Iterable[BrokerId]) -> list[TopicPartition]:
        """The partitions with a replica on any of ``brokers``, sorted."""
        wanted = set(brokers)
        return [tp for tp in self.partitions() if wanted.intersection(self.replicas(tp))]

    def knows(self, tp: TopicPartition) -> bool:
        return tp[1] in self.assignments.get(tp[0], {})

    def unclean_enabled(self, topic: TopicName) -> bool:
        """The topic's ``unclean.leader.election.enable``, else the broker's (Kafka's order)."""
        value = self.topic_configs.get(topic, {}).get("unclean.leader.election.enable")
        return self.unclean_default if value is None else value.strip().lower() == "true"

    def topic_exists(self, topic: TopicName) -> bool:
        """Known, or still being deleted (a name cannot be reused until deletion ends)."""
        return topic in self.assignments or topic in self.deleting

    # -- changes -------------------------------------------------------------------------------

    def add_topic(
        self,
        topic: TopicName,
        assignment: dict[PartitionId, tuple[BrokerId, ...]],
        config: dict[str, str],
    ) -> None:
        self.assignments[topic] = dict(sorted(assignment.items()))
        self.topic_configs[topic] = dict(config)

    def remove_topic(self, topic: TopicName) -> None:
        """Forget ``topic`` and its partition states."""
        for tp in self.partitions_of(topic):
            self.states.pop(tp, None)
        self.assignments.pop(topic, None)
        self.topic_configs.pop(topic, None)
