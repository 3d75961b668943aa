"""Kafka's wire protocol: API messages as dataclasses, and the codec between them and bytes.

Read it in this order:

* ``primitives`` -- the wire types (integers, strings, bytes, arrays, unsigned varints) and a
  reader that never reads past the end of a frame;
* ``schema`` -- message layouts as data: fields, types, versions, nullability, defaults;
* ``messages/`` -- one module per API (or small family): the dataclasses and their schemas;
* ``codec`` -- one interpreter that encodes and decodes any schema at any version;
* ``headers`` and ``framing`` -- what surrounds a body on the wire;
* ``apis`` -- the API table: keys, schemas, and the version window advertised to clients;
* ``wire`` -- whole frames in and out, and what a server does when a request cannot be read;
* ``annotate`` -- annotated hex dumps for the docs and for failing tests.

The package has no I/O: it turns bytes into messages and back, and the runtime that owns the
sockets decides what to do with them.  ``docs/concepts/wire-protocol.md`` tells the story.

Spec IDs: none.

Simplified from Kafka: only the non-flexible versions of each API (no tagged fields), and no
SASL or TLS; ``apis`` says which APIs and versions.
"""

from glasskafka.protocol.annotate import annotate_request, annotate_response
from glasskafka.protocol.apis import (
    API_TABLE,
    Api,
    ApiKey,
    advertised_api_versions,
    api_for,
    expects_response,
    find_api,
    is_request,
)
from glasskafka.protocol.errors import (
    CodecError,
    EncodeError,
    MalformedFrameError,
    UnsupportedRequestError,
    UnsupportedVersionError,
)
from glasskafka.protocol.framing import DEFAULT_MAX_REQUEST_BYTES, Deframer, frame
from glasskafka.protocol.headers import RequestHeader, ResponseHeader
from glasskafka.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetCommitResponse,
    OffsetFetchRequest,
    OffsetFetchResponse,
)
from glasskafka.protocol.messages.fetch import FetchRequest, FetchResponse
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.group_listing import (
    DescribeGroupsRequest,
    DescribeGroupsResponse,
    ListGroupsRequest,
    ListGroupsResponse,
)
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    SyncGroupRequest,
    SyncGroupResponse,
)
from glasskafka.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrRequest, LeaderAndIsrResponse
from glasskafka.protocol.messages.list_offsets import ListOffsetsRequest, ListOffsetsResponse
from glasskafka.protocol.messages.metadata import MetadataRequest, MetadataResponse
from glasskafka.protocol.messages.offset_for_leader_epoch import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
)
from glasskafka.protocol.messages.produce import ProduceRequest, ProduceResponse
from glasskafka.protocol.messages.stop_replica import StopReplicaRequest, StopReplicaResponse
from glasskafka.protocol.messages.topic_admin import (
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataRequest,
    UpdateMetadataResponse,
)
from glasskafka.protocol.wire import (
    api_versions_error_response,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)

__all__ = [
    "API_TABLE",
    "DEFAULT_MAX_REQUEST_BYTES",
    "Api",
    "ApiKey",
    "ApiVersionsRequest",
    "ApiVersionsResponse",
    "CodecError",
    "CreateTopicsRequest",
    "CreateTopicsResponse",
    "Deframer",
    "DeleteTopicsRequest",
    "DeleteTopicsResponse",
    "DescribeGroupsRequest",
    "DescribeGroupsResponse",
    "EncodeError",
    "FetchRequest",
    "FetchResponse",
    "FindCoordinatorRequest",
    "FindCoordinatorResponse",
    "HeartbeatRequest",
    "HeartbeatResponse",
    "InitProducerIdRequest",
    "InitProducerIdResponse",
    "JoinGroupRequest",
    "JoinGroupResponse",
    "LeaderAndIsrRequest",
    "LeaderAndIsrResponse",
    "LeaveGroupRequest",
    "LeaveGroupResponse",
    "ListGroupsRequest",
    "ListGroupsResponse",
    "ListOffsetsRequest",
    "ListOffsetsResponse",
    "MalformedFrameError",
    "MetadataRequest",
    "MetadataResponse",
    "OffsetCommitRequest",
    "OffsetCommitResponse",
    "OffsetFetchRequest",
    "OffsetFetchResponse",
    "OffsetForLeaderEpochRequest",
    "OffsetForLeaderEpochResponse",
    "ProduceRequest",
    "ProduceResponse",
    "RequestHeader",
    "ResponseHeader",
    "StopReplicaRequest",
    "StopReplicaResponse",
    "SyncGroupRequest",
    "SyncGroupResponse",
    "UnsupportedRequestError",
    "UnsupportedVersionError",
    "UpdateMetadataRequest",
    "UpdateMetadataResponse",
    "advertised_api_versions",
    "annotate_request",
    "annotate_response",
    "api_for",
    "api_versions_error_response",
    "decode_request",
    "decode_response",
    "encode_request",
    "encode_response",
    "expects_response",
    "find_api",
    "frame",
    "is_request",
]
