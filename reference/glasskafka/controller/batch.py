"""Request batching: what the controller tells brokers, gathered and sent in one go.

Theory of operation
-------------------
One controller event can change many partitions (a broker failure moves the leadership of every
partition it led).  Kafka does not send one request per change: its
``ControllerBrokerRequestBatch`` collects, per broker, the partitions to put in a LeaderAndIsr,
an UpdateMetadata and a StopReplica, and sends them together when the event is done.
:class:`RequestBatch` does the same.  The role calls the ``add_*`` methods as it decides, and
:meth:`RequestBatch.build` turns the batch into requests when the role is idle (no election or
read in progress), in Kafka's order: every LeaderAndIsr first, then every UpdateMetadata, then
every StopReplica, brokers in id order.

What the three requests carry (Kafka's protocol guide; ``protocol/messages/``):

* **LeaderAndIsr** (to the replicas of the partitions): for each partition the controller epoch,
  the leader, the leader epoch, the ISR, the znode version (``partition_epoch``) and the replicas,
  ``is_new`` for a partition just created; plus how to reach each leader named.  A broker becomes
  leader or follower from it, and ignores it if the controller epoch or the leader epoch is older
  than what it knows (CTRL-1).
* **UpdateMetadata** (to every live broker): the live brokers with their endpoints, and the state
  of the partitions that changed (or of all, for a broker that just started and for a new
  controller), with the replicas that are offline.  Brokers answer clients' Metadata from it.  A
  deleted partition is sent with leader ``-2`` (``LEADER_DURING_DELETE``) so brokers drop it.
* **StopReplica** (to the replicas of a deleted topic): stop, and delete the log.

The batch stores *which* partitions to send, not their states: the states are looked up at
:meth:`~RequestBatch.build` time, so a partition changed twice in one event is sent once, with its
latest state.

Spec IDs: CTRL-1 (every request carries the controller epoch), LIVE-3 (UpdateMetadata is how
brokers converge on the coordination service's state).

Simplified from Kafka: no ``broker_epoch`` fencing of requests (KIP-380 sends it; glasskafka sends
-1), one PLAINTEXT endpoint per broker, and no separate StopReplica without deletion (controlled
shutdown is not modelled).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from glasskafka.controller.znodes import BrokerRegistration, PartitionState
from glasskafka.ids import BrokerId, Epoch, TopicName, TopicPartition
from glasskafka.node import Message
from glasskafka.protocol.messages.leader_and_isr import (
    LeaderAndIsrLiveLeader,
    LeaderAndIsrPartitionState,
    LeaderAndIsrRequest,
    LeaderAndIsrTopicState,
)
from glasskafka.protocol.messages.stop_replica import StopReplicaRequest, StopReplicaTopicV1
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataBroker,
    UpdateMetadataEndpoint,
    UpdateMetadataPartitionState,
    UpdateMetadataRequest,
    UpdateMetadataTopicState,
)

__all__ = ["PLAINTEXT_SECURITY_PROTOCOL", "RequestBatch"]

PLAINTEXT_SECURITY_PROTOCOL = 0
"""``SecurityProtocol.PLAINTEXT.id`` in Kafka's ``SecurityProtocol.java``."""


@dataclass(slots=True, kw_only=True)
class RequestBatch:
    """Per broker: partitions for LeaderAndIsr, UpdateMetadata and StopReplica."""

    leader_and_isr: dict[BrokerId, dict[TopicPartition, bool]] = field(default_factory=dict)
    """broker -> partition -> ``is_new``."""
    update_metadata: dict[BrokerId, set[TopicPartition]] = field(default_factory=dict)
    removed: dict[TopicPartition, UpdateMetadataPartitionState] = field(default_factory=dict)
    """Partitions of deleted topics, as UpdateMetadata announces their removal."""
    stop_replica: dict[BrokerId, set[TopicPartition]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.leader_and_isr or self.update_metadata or self.stop_replica)

    def add_leader_and_isr(
        self, brokers: list[BrokerId], tp: TopicPartition, *, is_new: bool = False
    ) -> None:
        for broker in brokers:
            entries = self.leader_and_isr.setdefault(broker, {})
            entries[tp] = entries.get(tp, False) or is_new

    def add_update_metadata(
        self, brokers: list[BrokerId], partitions: list[TopicPartition]
    ) -> None:
        """Tell ``brokers`` the current state of ``partitions`` (and the live broker list)."""
        for broker in brokers:
            self.update_metadata.setdefault(broker, set()).update(partitions)

    def add_removal(
        self, brokers: list[BrokerId], tp: TopicPartition, last: UpdateMetadataPartitionState
    ) -> None:
        """Tell ``brokers`` that ``tp`` is deleted (leader ``-2``), and stop its live replicas."""
        self.removed[tp] = last
        self.add_update_metadata(brokers, [tp])

    def add_stop_replica(self, brokers: list[BrokerId], tp: TopicPartition) -> None:
        for broker in brokers:
            self.stop_replica.setdefault(broker, set()).add(tp)

    def clear(self) -> None:
        self.leader_and_isr.clear()
        self.update_metadata.clear()
        self.removed.clear()
        self.stop_replica.clear()

    def build(
        self,
        *,
        controller_id: BrokerId,
        controller_epoch: Epoch,
        live: Mapping[BrokerId, BrokerRegistration],
        states: Mapping[TopicPartition, PartitionState],
        replicas: Callable[[TopicPartition], tuple[BrokerId, ...]],
    ) -> list[tuple[BrokerId, Message]]:
        """The requests to send, in Kafka's order, to live brokers only; the batch is cleared.

        A partition with no known state (never created) is left out.
        """
        requests: list[tuple[BrokerId, Message]] = []
        header = _Header(controller_id=controller_id, controller_epoch=controller_epoch)
        for broker, entries in sorted(self.leader_and_isr.items()):
            chosen = {tp: new for tp, new in entries.items() if tp in states}
            if broker in live and chosen:
                requests.append((broker, _leader_and_isr(header, chosen, live, states, replicas)))
        brokers = _live_brokers(live)
        for broker, partitions in sorted(self.update_metadata.items()):
            if broker in live:
                update = _update_metadata(header, partitions, brokers, live, states, self, replicas)
                requests.append((broker, update))
        for broker, partitions in sorted(self.stop_replica.items()):
            if broker in live:
                requests.append((broker, _stop_replica(header, partitions)))
        self.clear()
        return requests


@dataclass(frozen=True, slots=True, kw_only=True)
class _Header:
    controller_id: int
    controller_epoch: int


def _by_topic(partitions: list[TopicPartition]) -> dict[TopicName, list[TopicPartition]]:
    grouped: dict[TopicName, list[TopicPartition]] = {}
    for tp in sorted(partitions):
        grouped.setdefault(tp[0], []).append(tp)
    return grouped


def _leader_and_isr(
    header: _Header,
    chosen: dict[TopicPartition, bool],
    live: Mapping[BrokerId, BrokerRegistration],
    states: Mapping[TopicPartition, PartitionState],
    replicas: Callable[[TopicPartition], tuple[BrokerId, ...]],
) -> LeaderAndIsrRequest:
    topic_states = []
    for topic, tps in _by_topic(list(chosen)).items():
        partition_states = tuple(
            LeaderAndIsrPartitionState(
                partition_index=tp[1],
                controller_epoch=states[tp].controller_epoch,
                leader=states[tp].leader,
                leader_epoch=states[tp].leader_epoch,
                isr=states[tp].isr,
                partition_epoch=states[tp].zk_version,
                replicas=replicas(tp),
                is_new=chosen[tp],
            )
            for tp in tps
        )
        topic_states.append(
            LeaderAndIsrTopicState(topic_name=topic, partition_states=partition_states)
        )
    leaders = sorted({states[tp].leader for tp in chosen} & set(live))
    live_leaders = tuple(
        LeaderAndIsrLiveLeader(broker_id=b, host_name=live[b].host, port=live[b].port)
        for b in leaders
    )
    return LeaderAndIsrRequest(
        controller_id=header.controller_id,
        controller_epoch=header.controller_epoch,
        topic_states=tuple(topic_states),
        live_leaders=live_leaders,
    )


def _live_brokers(live: Mapping[BrokerId, BrokerRegistration]) -> tuple[UpdateMetadataBroker, ...]:
    return tuple(
        UpdateMetadataBroker(
            id=b,
            endpoints=(
                UpdateMetadataEndpoint(
                    port=live[b].port,
                    host=live[b].host,
                    listener="PLAINTEXT",
                    security_protocol=PLAINTEXT_SECURITY_PROTOCOL,
                ),
            ),
            rack=None,
        )
        for b in sorted(live)
    )


def _update_metadata(
    header: _Header,
    partitions: set[TopicPartition],
    brokers: tuple[UpdateMetadataBroker, ...],
    live: Mapping[BrokerId, BrokerRegistration],
    states: Mapping[TopicPartition, PartitionState],
    batch: RequestBatch,
    replicas: Callable[[TopicPartition], tuple[BrokerId, ...]],
) -> UpdateMetadataRequest:
    topic_states = []
    known = [tp for tp in partitions if tp in states or tp in batch.removed]
    for topic, tps in _by_topic(known).items():
        items = []
        for tp in tps:
            if tp in batch.removed:
                items.append(batch.removed[tp])
                continue
            state, assigned = states[tp], replicas(tp)
            items.append(
                UpdateMetadataPartitionState(
                    partition_index=tp[1],
                    controller_epoch=state.controller_epoch,
                    leader=state.leader,
                    leader_epoch=state.leader_epoch,
                    isr=state.isr,
                    zk_version=state.zk_version,
                    replicas=assigned,
                    offline_replicas=tuple(b for b in assigned if b not in live),
                )
            )
        topic_states.append(
            UpdateMetadataTopicState(topic_name=topic, partition_states=tuple(items))
        )
    return UpdateMetadataRequest(
        controller_id=header.controller_id,
        controller_epoch=header.controller_epoch,
        topic_states=tuple(topic_states),
        live_brokers=brokers,
    )


def _stop_replica(header: _Header, partitions: set[TopicPartition]) -> StopReplicaRequest:
    topics = tuple(
        StopReplicaTopicV1(name=topic, partition_indexes=tuple(tp[1] for tp in tps))
        for topic, tps in _by_topic(list(partitions)).items()
    )
    return StopReplicaRequest(
        controller_id=header.controller_id,
        controller_epoch=header.controller_epoch,
        delete_partitions=True,
        topics=topics,
    )
