"""Topic deletion: stop the replicas, tell the brokers, remove the znodes.

Theory of operation
-------------------
Deleting a topic is asked for by creating ``/admin/delete_topics/<topic>`` -- by the controller
itself when it handles a DeleteTopics request, or by hand with ``zk-shell`` -- and carried out by
the controller when its watch on ``/admin/delete_topics`` fires (Kafka's ``TopicDeletionManager``).
:func:`delete_topic` does it in one step:

1. batch a **StopReplica** with ``delete_partitions`` for every live replica of every partition,
   so each broker stops serving and deletes the partition's log;
2. batch an **UpdateMetadata** to every live broker naming each partition with leader ``-2``
   (``LEADER_DURING_DELETE``), so brokers drop it from their metadata caches;
3. forget the topic in the controller's context, and remember it as *being deleted*, so its name
   cannot be reused until the znodes are gone;
4. delete the znodes, children first (ZooKeeper refuses to delete a znode with children): each
   partition's ``state`` and its ``partitions/<p>``, then ``partitions``, the topic, its config,
   and last the ``/admin/delete_topics/<topic>`` marker.  When the marker's delete is answered the
   topic is gone (:func:`on_response`), and a waiting DeleteTopics request can be answered.

A marker for a topic that does not exist is simply removed, as Kafka does.

Spec IDs: LIVE-3 (brokers drop deleted partitions from their caches).

Simplified from Kafka: Kafka waits for every replica to answer its StopReplica before removing the
znodes, and keeps the deletion pending while a replica's broker is down
(``ReplicaDeletionIneligible``), retrying when it returns.  glasskafka removes the znodes at
once; a broker that was down keeps the stray log on its disk, and no request will name it again.
"""

from __future__ import annotations

from glasskafka.controller.context import ControllerContext
from glasskafka.controller.zk_ops import RoleCtx, make_ctx
from glasskafka.controller.znodes import (
    LEADER_DURING_DELETE,
    delete_topic_path,
    partition_path,
    partition_state_path,
    partitions_path,
    topic_config_path,
    topic_path,
)
from glasskafka.coordination.messages import DeleteResponse, SessionResponse
from glasskafka.ids import TopicName
from glasskafka.protocol.messages.update_metadata import UpdateMetadataPartitionState

__all__ = ["DELETION_KIND", "delete_topic", "on_response", "remove_marker"]

DELETION_KIND = "deletion"
"""The ``ctx`` kind of deletion's requests."""


def delete_topic(c: ControllerContext, topic: TopicName, *, generation: int) -> None:
    """Delete ``topic``: stop its replicas, announce it, forget it, remove its znodes."""
    for tp in c.partitions_of(topic):
        replicas = c.replicas(tp)
        state = c.states.get(tp)
        c.batch.add_stop_replica(c.live_replicas(tp), tp)
        removal = UpdateMetadataPartitionState(
            partition_index=tp[1],
            controller_epoch=c.epoch,
            leader=LEADER_DURING_DELETE,
            leader_epoch=state.leader_epoch if state is not None else 0,
            isr=state.isr if state is not None else replicas,
            zk_version=state.zk_version if state is not None else 0,
            replicas=replicas,
        )
        c.batch.add_removal(c.live_ids, tp, removal)
    partitions = c.partitions_of(topic)
    c.remove_topic(topic)
    c.deleting.add(topic)
    ctx = make_ctx(DELETION_KIND, generation, "znode", topic)
    for tp in partitions:
        c.zk.delete(partition_state_path(*tp), ctx=ctx)
        c.zk.delete(partition_path(*tp), ctx=ctx)
    c.zk.delete(partitions_path(topic), ctx=ctx)
    c.zk.delete(topic_path(topic), ctx=ctx)
    c.zk.delete(topic_config_path(topic), ctx=ctx)
    c.zk.delete(delete_topic_path(topic), ctx=make_ctx(DELETION_KIND, generation, "marker", topic))


def remove_marker(c: ControllerContext, topic: TopicName, *, generation: int) -> None:
    """Remove the deletion marker of a topic that does not exist."""
    c.zk.delete(delete_topic_path(topic), ctx=make_ctx(DELETION_KIND, generation, "stray", topic))


def on_response(c: ControllerContext, ctx: RoleCtx, response: SessionResponse) -> None:
    """An answer to a deletion's delete: the marker's ends the deletion (errors included:
    NONODE means someone removed it already, and there is nothing better to do than move on)."""
    if ctx.step == "marker" and isinstance(response, DeleteResponse):
        c.deleting.discard(TopicName(ctx.rest))
