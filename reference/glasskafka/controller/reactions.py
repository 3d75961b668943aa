"""What the active controller does about each change its watches report.

Theory of operation
-------------------
Each completed scan of a watched list (``watchers.py``) is a *controller event* in Kafka's sense,
and each has one handler here, named after Kafka's (``KafkaController.scala``), so the story of an
event reads top to bottom:

* :func:`on_brokers_changed` (``BrokerChange``): brokers that vanished, or *bounced* (registered
  again with a new broker epoch, KIP-380), have failed; brokers not seen before have started.
  Failures are handled first, then start-ups, as Kafka does;
* :func:`on_broker_failure` (``onBrokerFailure``): every partition with a replica on a failed
  broker is reconciled -- re-elected if it lost its leader, shrunk if it lost a follower, offline
  if nothing is eligible (``election.py``) -- and every broker learns the new broker list;
* :func:`on_broker_startup` (``onBrokerStartup``): every broker gets the full metadata, the new
  brokers a LeaderAndIsr for each of their replicas (they start as followers; only a leader brings
  them back into an ISR), and their partitions are reconciled, so an offline partition whose ISR
  member came back gets a leader again;
* :func:`on_topics_changed` (``TopicChange``, ``onNewPartitionCreation``): new topics enter the
  context and their partitions are created; a topic whose znode vanished is cleaned up;
* :func:`on_deletions` (``TopicDeletion``): marked topics are deleted (``deletion.py``), stray
  markers removed;
* :func:`on_isr_changes` (``IsrChangeNotification``): the partitions a leader reported are read
  again -- which refreshes the cache and announces the new ISR in UpdateMetadata -- and the
  notifications are deleted.

The handlers only queue work: reads and writes in the coordination outbox, requests in the batch.

Spec IDs: REPL-7, REPL-10 (through the elections they start), LIVE-3 (every change is announced).

Simplified from Kafka: no controlled shutdown (``onBrokerShutdown``), no handling of partitions
added to an existing topic, no preferred-replica re-election when a broker returns.
"""

from __future__ import annotations

from glasskafka.controller import deletion
from glasskafka.controller.channel import ControllerChannel
from glasskafka.controller.context import ControllerContext
from glasskafka.controller.partition_states import PartitionStateMachine
from glasskafka.controller.watchers import BrokersFound, IsrChangesFound, TopicsFound
from glasskafka.controller.zk_ops import make_ctx
from glasskafka.controller.znodes import ISR_CHANGE_NOTIFICATION_PATH
from glasskafka.ids import BrokerId, TopicName

__all__ = [
    "ISR_DONE_KIND",
    "on_broker_failure",
    "on_broker_startup",
    "on_brokers_changed",
    "on_deletions",
    "on_isr_changes",
    "on_topics_changed",
]

ISR_DONE_KIND = "isr-done"
"""The ``ctx`` kind of the notification deletes (their answers need no action)."""


def on_brokers_changed(
    c: ControllerContext,
    partitions: PartitionStateMachine,
    channel: ControllerChannel,
    found: BrokersFound,
) -> bool:
    """Compare the registered brokers with the live ones; return whether any bounced.

    A bounced broker is left out of the live set until its partitions are re-elected; the caller
    then scans ``/brokers/ids`` again and the broker comes back as a new one.
    """
    brokers = found.brokers
    dead = [b for b in c.live_ids if b not in brokers]
    bounced = [
        b
        for b in c.live_ids
        if b in brokers and brokers[b].broker_epoch != c.live_brokers[b].broker_epoch
    ]
    new = [b for b in sorted(brokers) if b not in c.live_brokers]
    for broker in dead + bounced:
        del c.live_brokers[broker]
        channel.forget(broker)
    for broker in new:
        c.live_brokers[broker] = brokers[broker]
    if dead or bounced:
        on_broker_failure(c, partitions, dead + bounced)
    if new:
        on_broker_startup(c, partitions, new)
    return bool(bounced)


def on_broker_failure(
    c: ControllerContext, partitions: PartitionStateMachine, failed: list[BrokerId]
) -> None:
    """Re-elect or shrink every partition with a replica on ``failed``.  Invariants: REPL-7"""
    c.batch.add_update_metadata(c.live_ids, [])  # at least the live broker list changed
    partitions.reconcile(c, c.partitions_on(failed))


def on_broker_startup(
    c: ControllerContext, partitions: PartitionStateMachine, started: list[BrokerId]
) -> None:
    """Tell everyone the metadata, tell the new brokers their replicas, retry offline ones."""
    c.batch.add_update_metadata(c.live_ids, c.partitions())
    for tp in c.partitions_on(started):
        c.batch.add_leader_and_isr([b for b in c.replicas(tp) if b in started], tp)
    partitions.reconcile(c, c.partitions_on(started))


def on_topics_changed(
    c: ControllerContext, partitions: PartitionStateMachine, found: TopicsFound, *, generation: int
) -> None:
    """Create the partitions of new topics; clean up topics whose znode was removed by hand."""
    for topic, (assignment, config) in found.new.items():
        c.add_topic(topic, assignment, config)
        partitions.reconcile(c, c.partitions_of(topic))
    for topic in sorted(set(c.assignments) - found.present):
        partitions.forget_topic(topic)
        deletion.delete_topic(c, topic, generation=generation)


def on_deletions(
    c: ControllerContext,
    partitions: PartitionStateMachine,
    topics: tuple[TopicName, ...],
    *,
    generation: int,
) -> None:
    """Delete every marked topic that exists; remove the markers of topics that do not."""
    for topic in topics:
        if topic in c.assignments:
            partitions.forget_topic(topic)
            deletion.delete_topic(c, topic, generation=generation)
        elif topic not in c.deleting:
            deletion.remove_marker(c, topic, generation=generation)


def on_isr_changes(
    c: ControllerContext,
    partitions: PartitionStateMachine,
    found: IsrChangesFound,
    *,
    generation: int,
) -> None:
    """Re-read the reported partitions (announcing what changed) and delete the notices."""
    partitions.reconcile(c, [tp for tp in found.partitions if c.knows(tp)])
    for name in found.notifications:
        path = f"{ISR_CHANGE_NOTIFICATION_PATH}/{name}"
        c.zk.delete(path, ctx=make_ctx(ISR_DONE_KIND, generation, "delete"))
