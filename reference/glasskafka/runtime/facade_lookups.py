"""One-question lookups for the facade: metadata, offsets at the leaders, group coordinators.

Theory of operation
-------------------
Some of kafka-python's calls are questions with one answer rather than a client's ongoing work:
``consumer.end_offsets(partitions)``, ``consumer.topics()``, every ``KafkaAdminClient`` method.
Kafka's Java clients answer them through the same network client as the rest; here they go
through :class:`~glasskafka.runtime.kafka_client.KafkaClient`, the small blocking client of the
command-line tools (one socket per broker, one request at a time, versions negotiated through
ApiVersions), so they need no event loop and no thread.

:class:`ClusterLookups` adds what the facade needs on top:

* :meth:`ClusterLookups.list_offsets` -- ListOffsets at each partition's **leader** (a follower
  answers NOT_LEADER_OR_FOLLOWER), with ``-2`` for the log start and ``-1`` for the end
  (the high watermark; wire-protocol.md §6 "ListOffsets");
* :meth:`ClusterLookups.coordinator` -- FindCoordinator for a group, retried while the answer is
  retriable (COORDINATOR_NOT_AVAILABLE while ``__consumer_offsets`` has no leader yet);
* :meth:`ClusterLookups.to_broker` -- a request to the broker with a given id.

A retriable error (a leader moving, a coordinator loading) is asked again until the timeout;
anything else is raised as :class:`~glasskafka.errors.KafkaProtocolError` with Kafka's code.

Spec IDs: none.

Simplified from Kafka: Kafka's ``Admin`` and consumer batch these questions per broker and keep
metadata fresh in the background; these ask, wait, and ask again only on retriable errors.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from glasskafka.errors import ErrorCode, GlassKafkaError, KafkaProtocolError
from glasskafka.node import Message
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopic,
)
from glasskafka.protocol.messages.metadata import MetadataResponse
from glasskafka.runtime.facade_values import KafkaTimeoutError, TopicPartition, code_of
from glasskafka.runtime.kafka_client import KafkaClient

__all__ = ["EARLIEST_TIMESTAMP", "LATEST_TIMESTAMP", "ClusterLookups"]

EARLIEST_TIMESTAMP = -2
"""ListOffsets' timestamp for "the log start offset" (``ListOffsetsRequest.EARLIEST_TIMESTAMP``)."""

LATEST_TIMESTAMP = -1
"""ListOffsets' timestamp meaning "the end": the high watermark (``LATEST_TIMESTAMP``)."""

_BACKOFF_S = 0.1


class ClusterLookups:
    """Blocking questions to a cluster (see the module docstring)."""

    def __init__(self, bootstrap: str, *, client_id: str, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.client = KafkaClient(bootstrap, client_id=client_id, timeout_s=timeout_s)

    def close(self) -> None:
        self.client.close()

    def metadata(self, topics: list[str] | None = None) -> MetadataResponse:
        """Metadata for ``topics`` (None: all), never auto-creating any."""
        return self.client.metadata(topics)

    def address_of(self, metadata: MetadataResponse, broker_id: int) -> tuple[str, int]:
        for broker in metadata.brokers:
            if broker.node_id == broker_id:
                return broker.host, broker.port
        raise KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, f"broker {broker_id} is unknown")

    def to_broker(self, broker_id: int, body: Message) -> Message:
        """Send ``body`` to the broker with id ``broker_id``."""
        metadata = self.metadata([])
        return self.client.request(self.address_of(metadata, broker_id), body)

    def list_offsets(
        self, partitions: Iterable[TopicPartition], timestamp: int
    ) -> dict[TopicPartition, int]:
        """Each partition's offset for ``timestamp`` (-2 log start, -1 end), asked of its leader.

        Raises :class:`KafkaProtocolError` (UNKNOWN_TOPIC_OR_PARTITION for a partition that does
        not exist) or :class:`KafkaTimeoutError` if a leader does not answer in time.
        """
        wanted = sorted(set(partitions))
        found: dict[TopicPartition, int] = {}
        deadline = time.monotonic() + self.timeout_s
        while True:
            last = self._ask_leaders([tp for tp in wanted if tp not in found], timestamp, found)
            if len(found) == len(wanted):
                return {tp: found[tp] for tp in wanted}
            if time.monotonic() >= deadline:
                raise KafkaTimeoutError(f"offsets of {last[0]} not found in time: {last[1]}")
            time.sleep(_BACKOFF_S)

    def _ask_leaders(
        self, partitions: list[TopicPartition], timestamp: int, found: dict[TopicPartition, int]
    ) -> tuple[TopicPartition, str]:
        """One round: ask each leader, fill ``found``; return the last retriable problem."""
        metadata = self.metadata(sorted({tp.topic for tp in partitions}))
        leaders: dict[int, list[TopicPartition]] = {}
        problem = (partitions[0], "no leader yet")
        for tp in partitions:
            leader = _leader_of(metadata, tp)
            if leader >= 0:
                leaders.setdefault(leader, []).append(tp)
        for leader, mine in sorted(leaders.items()):
            body = ListOffsetsRequest(
                replica_id=-1,
                topics=tuple(
                    ListOffsetsTopic(
                        name=topic,
                        partitions=tuple(
                            ListOffsetsPartition(partition_index=tp.partition, timestamp=timestamp)
                            for tp in mine
                            if tp.topic == topic
                        ),
                    )
                    for topic in sorted({tp.topic for tp in mine})
                ),
            )
            answer = self.client.request(self.address_of(metadata, leader), body)
            assert isinstance(answer, ListOffsetsResponse)
            for topic in answer.topics:
                for partition in topic.partitions:
                    tp = TopicPartition(topic.name, partition.partition_index)
                    code = code_of(partition.error_code)
                    if code is ErrorCode.NONE:
                        found[tp] = partition.offset
                    elif code.retriable:
                        problem = (tp, code.name)
                    else:
                        raise KafkaProtocolError(code, f"ListOffsets for {tp.topic}-{tp.partition}")
        return problem

    def coordinator(self, group_id: str) -> int:
        """The broker id of ``group_id``'s coordinator, asking again while it is not available."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            metadata = self.metadata([])
            broker = metadata.brokers[0] if metadata.brokers else None
            if broker is None:
                raise GlassKafkaError("the cluster lists no brokers")
            answer = self.client.request(
                (broker.host, broker.port), FindCoordinatorRequest(key=group_id)
            )
            assert isinstance(answer, FindCoordinatorResponse)
            code = code_of(answer.error_code)
            if code is ErrorCode.NONE:
                return answer.node_id
            if not code.retriable:
                raise KafkaProtocolError(code, f"FindCoordinator for group {group_id!r}")
            if time.monotonic() >= deadline:
                raise KafkaTimeoutError(
                    f"no coordinator for group {group_id!r} within {self.timeout_s} s "
                    f"(last answer {code.name}: {answer.error_message})"
                )
            time.sleep(_BACKOFF_S)


def _leader_of(metadata: MetadataResponse, tp: TopicPartition) -> int:
    """The leader's id, -1 while there is none; raises for an unknown topic or partition."""
    for topic in metadata.topics:
        if topic.name != tp.topic:
            continue
        code = code_of(topic.error_code)
        # UNKNOWN_TOPIC_OR_PARTITION is retriable in Kafka (a topic may be on its way); a
        # lookup of offsets names an existing topic, so it is reported at once here.
        if code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION or (
            code is not ErrorCode.NONE and not code.retriable
        ):
            raise KafkaProtocolError(code, f"topic {tp.topic!r}")
        for partition in topic.partitions:
            if partition.partition_index == tp.partition:
                return partition.leader_id
        if code is ErrorCode.NONE:
            raise KafkaProtocolError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"topic {tp.topic!r} has no partition {tp.partition}",
            )
    return -1
