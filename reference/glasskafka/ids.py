"""Identifiers and units, as distinct types.

Theory of operation
-------------------
Kafka passes many integers around that mean different things: a broker id, an offset, a leader
epoch, a producer id, a time in milliseconds.  Swapping two of them is a classic bug that no test
notices until a rare interleaving.  Each gets a ``NewType`` here so that ``mypy --strict`` rejects
``fetch(epoch, offset)`` when ``fetch(offset, epoch)`` was meant.  At run time they are plain
``int``/``str`` values, so they cost nothing and print as numbers.

A ``NodeId`` names any node the simulator or runtime drives: brokers are ``"broker-1"``, the
coordination service ``"zk"``, clients ``"producer-1"`` and so on.  Kafka itself only numbers
brokers; clients are anonymous connections.  The simulator needs a name for every endpoint so a
trace reads as a story.

Spec IDs: none (the types every spec predicate is written in).

Simplified from Kafka: Kafka also distinguishes topic ids (UUIDs, KIP-516) and broker epochs
(KIP-380); glasskafka's ZooKeeper-era model names topics by string only.
"""

from __future__ import annotations

from typing import NewType

__all__ = [
    "BrokerId",
    "Epoch",
    "GenerationId",
    "MemberId",
    "Millis",
    "NodeId",
    "Offset",
    "PartitionId",
    "ProducerEpoch",
    "ProducerId",
    "Sequence",
    "TopicName",
    "TopicPartition",
    "broker_node_id",
]

BrokerId = NewType("BrokerId", int)
"""A broker's ``broker.id``; ``-1`` means "no broker" (e.g. an offline partition's leader)."""

NodeId = NewType("NodeId", str)
"""The name of any node in a simulated or real cluster, e.g. ``"broker-1"`` or ``"zk"``."""

Offset = NewType("Offset", int)
"""A position in a partition log.  Offsets start at 0; watermarks are exclusive."""

Epoch = NewType("Epoch", int)
"""A leader epoch (KIP-101) or controller epoch; rises by one on every change."""

Millis = NewType("Millis", int)
"""Time or a duration in milliseconds.  Nodes never read a clock: time is passed in."""

TopicName = NewType("TopicName", str)
PartitionId = NewType("PartitionId", int)

ProducerId = NewType("ProducerId", int)
ProducerEpoch = NewType("ProducerEpoch", int)
Sequence = NewType("Sequence", int)

GenerationId = NewType("GenerationId", int)
MemberId = NewType("MemberId", str)

TopicPartition = tuple[TopicName, PartitionId]
"""A (topic, partition) pair, the unit of leadership, replication and assignment."""


def broker_node_id(broker_id: BrokerId) -> NodeId:
    """Return the node name under which broker ``broker_id`` is driven (``"broker-<id>"``)."""
    return NodeId(f"broker-{broker_id}")
