"""Error answers: the response of the right type for a request, carrying one error everywhere.

Theory of operation
-------------------
Protocol errors are values (STYLE rule 8): a request the broker cannot serve -- a version it
does not serve, a stale controller, a CreateTopics that waited too long -- is still answered,
with Kafka's error code in every place the response has one, so the peer learns why and nothing
is half-done.  Kafka builds such answers with ``AbstractRequest.getErrorResponse``; this module
is that method, one ``case`` per request the broker serves.

Spec IDs: none.

Simplified from Kafka: Kafka also fills ``error_message`` fields and throttle times; glasskafka
leaves them at their defaults.
"""

from __future__ import annotations

from glasskafka.errors import ErrorCode
from glasskafka.node import Message
from glasskafka.protocol.apis import advertised_api_versions
from glasskafka.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from glasskafka.protocol.messages.fetch import (
    FetchableTopicResponse,
    FetchRequest,
    FetchResponse,
    PartitionData,
)
from glasskafka.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)
from glasskafka.protocol.messages.leader_and_isr import (
    LeaderAndIsrPartitionError,
    LeaderAndIsrRequest,
    LeaderAndIsrResponse,
)
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartitionResponse,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopicResponse,
)
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataResponse,
    MetadataResponseTopic,
)
from glasskafka.protocol.messages.offset_for_leader_epoch import (
    EpochEndOffset,
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
    OffsetForLeaderTopicResult,
)
from glasskafka.protocol.messages.produce import (
    PartitionProduceResponse,
    ProduceRequest,
    ProduceResponse,
    TopicProduceResponse,
)
from glasskafka.protocol.messages.stop_replica import (
    StopReplicaPartitionError,
    StopReplicaRequest,
    StopReplicaResponse,
)
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopicResult,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeletableTopicResult,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataRequest,
    UpdateMetadataResponse,
)

__all__ = ["error_body"]


def error_body(body: Message, code: ErrorCode) -> Message | None:
    """The response to request ``body`` with ``code`` in every error field, or None if the
    broker does not serve that request."""
    error = int(code)
    match body:
        case ProduceRequest():
            return _produce(body, error)
        case FetchRequest():
            return _fetch(body, error)
        case ListOffsetsRequest():
            return _list_offsets(body, error)
        case MetadataRequest():
            topics = tuple(
                MetadataResponseTopic(error_code=error, name=t.name, partitions=())
                for t in body.topics or ()
            )
            return MetadataResponse(brokers=(), topics=topics)
        case OffsetForLeaderEpochRequest():
            return _offset_for_leader_epoch(body, error)
        case LeaderAndIsrRequest():
            partition_errors = tuple(
                LeaderAndIsrPartitionError(
                    topic_name=topic, partition_index=state.partition_index, error_code=error
                )
                for topic, state in body.partition_states()
            )
            return LeaderAndIsrResponse(error_code=error, partition_errors=partition_errors)
        case UpdateMetadataRequest():
            return UpdateMetadataResponse(error_code=error)
        case InitProducerIdRequest():
            return InitProducerIdResponse(error_code=error, producer_id=-1, producer_epoch=-1)
        case StopReplicaRequest():
            stop_errors = tuple(
                StopReplicaPartitionError(topic_name=t, partition_index=p, error_code=error)
                for t, p in body.partitions()
            )
            return StopReplicaResponse(error_code=error, partition_errors=stop_errors)
        case CreateTopicsRequest():
            created = tuple(
                CreatableTopicResult(name=t.name, error_code=error, error_message=None)
                for t in body.topics
            )
            return CreateTopicsResponse(topics=created)
        case DeleteTopicsRequest():
            deleted = tuple(
                DeletableTopicResult(name=name, error_code=error) for name in body.topic_names
            )
            return DeleteTopicsResponse(responses=deleted)
        case ApiVersionsRequest():
            return ApiVersionsResponse(error_code=error, api_keys=advertised_api_versions())
        case _:
            return None


def _produce(body: ProduceRequest, error: int) -> ProduceResponse:
    return ProduceResponse(
        responses=tuple(
            TopicProduceResponse(
                name=topic.name,
                partition_responses=tuple(
                    PartitionProduceResponse(index=p.index, error_code=error, base_offset=-1)
                    for p in topic.partition_data
                ),
            )
            for topic in body.topic_data
        )
    )


def _fetch(body: FetchRequest, error: int) -> FetchResponse:
    return FetchResponse(
        responses=tuple(
            FetchableTopicResponse(
                topic=topic.topic,
                partitions=tuple(
                    PartitionData(
                        partition_index=p.partition,
                        error_code=error,
                        high_watermark=-1,
                        records=b"",
                    )
                    for p in topic.partitions
                ),
            )
            for topic in body.topics
        )
    )


def _list_offsets(body: ListOffsetsRequest, error: int) -> ListOffsetsResponse:
    return ListOffsetsResponse(
        topics=tuple(
            ListOffsetsTopicResponse(
                name=topic.name,
                partitions=tuple(
                    ListOffsetsPartitionResponse(
                        partition_index=p.partition_index, error_code=error
                    )
                    for p in topic.partitions
                ),
            )
            for topic in body.topics
        )
    )


def _offset_for_leader_epoch(
    body: OffsetForLeaderEpochRequest, error: int
) -> OffsetForLeaderEpochResponse:
    return OffsetForLeaderEpochResponse(
        topics=tuple(
            OffsetForLeaderTopicResult(
                topic=topic.topic,
                partitions=tuple(
                    EpochEndOffset(error_code=error, partition=p.partition)
                    for p in topic.partitions
                ),
            )
            for topic in body.topics
        )
    )
