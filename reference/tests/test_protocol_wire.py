"""The codec's front door, example by example: golden bytes, refusals and the API table.

Checks ``glasskafka.protocol.wire`` and ``apis`` against ``reference/wire-protocol.md``: byte
layouts written out by hand (§2, including where ``throttle_time_ms`` sits), what a server learns
from a request it cannot serve (§2-3), values a version cannot carry (§5), the acks=0 rule, and
the advertised version window (§4).
"""

from __future__ import annotations

import pytest
from glasskafka.errors import ErrorCode
from glasskafka.node import Message
from glasskafka.protocol.apis import API_TABLE, ApiKey, advertised_api_versions, expects_response
from glasskafka.protocol.errors import (
    EncodeError,
    MalformedFrameError,
    UnsupportedRequestError,
    UnsupportedVersionError,
)
from glasskafka.protocol.framing import frame
from glasskafka.protocol.headers import RequestHeader, ResponseHeader
from glasskafka.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from glasskafka.protocol.messages.fetch import FetchResponse
from glasskafka.protocol.messages.group_membership import JoinGroupRequest
from glasskafka.protocol.messages.leader_and_isr import (
    LeaderAndIsrPartitionState,
    LeaderAndIsrRequest,
    LeaderAndIsrTopicState,
)
from glasskafka.protocol.messages.list_offsets import ListOffsetsRequest
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
)
from glasskafka.protocol.messages.produce import ProduceRequest, ProduceResponse, TopicProduceData
from glasskafka.protocol.messages.stop_replica import (
    StopReplicaPartitionV0,
    StopReplicaRequest,
    StopReplicaTopicV1,
)
from glasskafka.protocol.wire import (
    api_versions_error_response,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)

METADATA_V1 = bytes.fromhex(
    "0000001d"  # size: 29 bytes follow
    "0003"  # api_key 3 (Metadata)
    "0001"  # api_version 1
    "00000007"  # correlation_id 7
    "0007"
    + b"console".hex()  # client_id
    + "00000001"  # topics: 1 element
    "0006" + b"orders".hex()  # topics[0].name
)


def header(api_key: int, api_version: int, client_id: str | None = "console") -> RequestHeader:
    return RequestHeader(
        api_key=api_key, api_version=api_version, correlation_id=7, client_id=client_id
    )


# --- golden bytes ------------------------------------------------------------------------------


def test_a_metadata_request_has_kafkas_layout_byte_for_byte() -> None:
    message = MetadataRequest(topics=(MetadataRequestTopic(name="orders"),))
    assert encode_request(header(3, 1), message) == METADATA_V1
    assert decode_request(METADATA_V1) == (header(3, 1), message)


def test_throttle_time_comes_last_in_produce_and_first_in_fetch() -> None:
    produce = encode_response(
        ResponseHeader(correlation_id=1), ProduceResponse(responses=(), throttle_time_ms=5), 1
    )
    fetch = encode_response(
        ResponseHeader(correlation_id=1), FetchResponse(throttle_time_ms=5, responses=()), 4
    )
    assert produce.hex() == "0000000c000000010000000000000005"
    assert fetch.hex() == "0000000c000000010000000500000000"


def test_a_v0_metadata_request_asks_for_all_topics_with_an_empty_array() -> None:
    everything = MetadataRequest(topics=())
    assert encode_request(header(3, 0), everything).endswith(b"\x00\x00\x00\x00")
    with pytest.raises(UnsupportedVersionError, match="null is allowed in versions 1\\+"):
        encode_request(header(3, 0), MetadataRequest(topics=None))
    assert encode_request(header(3, 1), MetadataRequest(topics=None)).endswith(b"\xff\xff\xff\xff")


# --- what a server does with requests it cannot serve -------------------------------------------


def test_an_unknown_api_key_is_refused_with_the_header_read() -> None:
    raw = frame(bytes.fromhex("00070000000000090000"))  # ControlledShutdown v0
    with pytest.raises(UnsupportedRequestError, match="unknown API key 7") as caught:
        decode_request(raw)
    assert not caught.value.answerable
    assert caught.value.header == RequestHeader(
        api_key=7, api_version=0, correlation_id=9, client_id=""
    )


def test_an_unserved_version_closes_the_connection_except_for_api_versions() -> None:
    with pytest.raises(UnsupportedRequestError, match="Fetch v3 is not served") as fetch:
        decode_request(frame(bytes.fromhex("0001000300000009ffff")))
    assert not fetch.value.answerable
    # ApiVersions v3 uses request header v2: v1 plus a tagged-field section (here one field of
    # two bytes, skipped), then a flexible body the server does not read (KIP-511).
    api_versions_v3 = frame(bytes.fromhex(
        "0012" "0003" "0000002a" "0002" "6b70"  # header v1 fields, client_id "kp"
        "01" "05" "02" "abcd"  # one tagged field: tag 5, 2 bytes
        "02" "78" "02" "31" "00"  # the v3 body: compact strings "x" and "1", no tags
    ))  # fmt: skip
    with pytest.raises(UnsupportedRequestError, match="ApiVersions v3 is not served") as caught:
        decode_request(api_versions_v3)
    assert caught.value.answerable
    assert caught.value.header.correlation_id == 42


def test_the_kip_511_answer_is_error_35_with_a_v0_body_listing_the_table() -> None:
    answer = api_versions_error_response(header(18, 4))
    decoded = decode_response(answer, api_key=18, api_version=0)
    assert decoded == (
        ResponseHeader(correlation_id=7),
        ApiVersionsResponse(
            error_code=ErrorCode.UNSUPPORTED_VERSION, api_keys=advertised_api_versions()
        ),
    )
    # A client that sent v2 and cannot parse the answer at v2 reads it again as v0 (Java's
    # ApiVersionsResponse.parse), so glasskafka's own clients can retry too.
    assert decode_response(answer, api_key=18, api_version=2) == decoded


def test_a_malformed_api_versions_v3_header_closes_the_connection() -> None:
    broken = frame(bytes.fromhex("001200030000002a00026b7005"))
    with pytest.raises(MalformedFrameError, match="tagged fields cannot fit"):
        decode_request(broken)


def test_a_null_client_id_is_read_as_empty_as_kafka_does() -> None:
    raw = encode_request(header(18, 0, client_id=None), ApiVersionsRequest())
    assert decode_request(raw)[0].client_id == ""


def test_bytes_after_the_body_are_refused() -> None:
    raw = encode_request(header(18, 0), ApiVersionsRequest())
    with pytest.raises(MalformedFrameError, match="2 unexpected bytes after the ApiVersions v0"):
        decode_request(frame(raw[4:] + b"\x00\x00"))


def test_a_request_over_the_size_limit_is_refused() -> None:
    with pytest.raises(MalformedFrameError, match="exceeds the limit of 20 bytes"):
        decode_request(METADATA_V1, max_bytes=20)


# --- values a version cannot carry -------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_key", "version", "message", "complaint"),
    [
        (0, 2, ProduceRequest(transactional_id="tx", acks=1, timeout_ms=1, topic_data=()),
         "ProduceRequest.transactional_id='tx' cannot be sent at version 2"),
        (11, 4, JoinGroupRequest(group_id="g", session_timeout_ms=1, member_id="", protocols=(),
                                 group_instance_id="static-1", protocol_type="consumer"),
         "JoinGroupRequest.group_instance_id='static-1' cannot be sent at version 4"),
        (2, 1, ListOffsetsRequest(replica_id=-1, isolation_level=1, topics=()),
         "ListOffsetsRequest.isolation_level=1 cannot be sent at version 1"),
        (3, 3, MetadataRequest(topics=None, allow_auto_topic_creation=False),
         "MetadataRequest.allow_auto_topic_creation=False cannot be sent at version 3"),
    ],
)  # fmt: skip
def test_a_value_the_version_cannot_carry_is_refused_not_dropped(
    api_key: int, version: int, message: Message, complaint: str
) -> None:
    with pytest.raises(UnsupportedVersionError, match=complaint.replace("(", "\\(")):
        encode_request(header(api_key, version), message)


def test_fields_kafka_marks_ignorable_are_dropped_at_older_versions() -> None:
    response = MetadataResponse(brokers=(), cluster_id="cluster-1", controller_id=2, topics=())
    raw = encode_response(ResponseHeader(correlation_id=1), response, 0)
    _, decoded = decode_response(raw, api_key=3, api_version=0)
    assert decoded == MetadataResponse(brokers=(), topics=())


@pytest.mark.parametrize(
    ("build", "complaint"),
    [
        (lambda: encode_request(header(0, 3), ProduceResponse(responses=())), "cannot be sent"),
        (lambda: encode_request(header(3, 1), ApiVersionsRequest()), "api_key 3"),
        (lambda: encode_request(header(3, 9), MetadataRequest(topics=None)), "Metadata v9"),
        (lambda: encode_response(ResponseHeader(correlation_id=1), ApiVersionsRequest(), 0),
         "is a request"),
        (lambda: encode_request(header(0, 3), TopicProduceData(name="t", partition_data=())),  # type: ignore[arg-type]
         "not a message of any API"),
        (lambda: encode_request(header(0, 3), ProduceRequest(acks=1, timeout_ms=1,
                                                             topic_data=[])),  # type: ignore[arg-type]
         "topic_data must be a tuple"),
        (lambda: decode_response(METADATA_V1, api_key=99, api_version=0), "unknown API key 99"),
    ],
)  # fmt: skip
def test_misuse_of_the_encoder_gets_a_clear_error(build: object, complaint: str) -> None:
    with pytest.raises((EncodeError, UnsupportedVersionError), match=complaint):
        build()  # type: ignore[operator]


# --- acks=0, the table, and the two request shapes ------------------------------------------------


def test_only_an_acks_0_produce_goes_unanswered() -> None:
    assert not expects_response(ProduceRequest(acks=0, timeout_ms=1, topic_data=()))
    assert expects_response(ProduceRequest(acks=-1, timeout_ms=1, topic_data=()))
    assert expects_response(MetadataRequest(topics=None))


def test_the_advertised_window_is_wire_protocol_section_4() -> None:
    advertised = {v.api_key: (v.min_version, v.max_version) for v in advertised_api_versions()}
    assert advertised == {
        0: (0, 8), 1: (4, 11), 2: (1, 5), 3: (0, 8), 8: (2, 7), 9: (1, 5), 10: (0, 2),
        11: (0, 5), 12: (0, 3), 13: (0, 3), 14: (0, 3), 15: (0, 4), 16: (0, 2), 18: (0, 2),
        19: (2, 4), 20: (1, 3), 22: (0, 1), 23: (2, 3),
    }  # fmt: skip
    assert str(API_TABLE[ApiKey.PRODUCE].served) == "3-8"
    for key in (ApiKey.LEADER_AND_ISR, ApiKey.STOP_REPLICA, ApiKey.UPDATE_METADATA):
        assert API_TABLE[key].advertised is None


def test_every_served_version_is_below_the_first_flexible_one() -> None:
    for api in API_TABLE.values():
        assert api.versions.highest is not None
        assert api.versions.highest < api.flexible_from, api.name


def test_both_shapes_of_controller_requests_list_the_same_partitions() -> None:
    # LeaderAndIsr v0-1 lists partition states flat, each with its topic; v2+ groups them by
    # topic.  StopReplica changed the same way at v1.  The helper methods read either shape.
    def state(topic_name: str = "") -> LeaderAndIsrPartitionState:
        return LeaderAndIsrPartitionState(
            topic_name=topic_name, partition_index=0, controller_epoch=1, leader=1,
            leader_epoch=3, isr=(1, 2), partition_epoch=4, replicas=(1, 2),
        )  # fmt: skip

    flat = LeaderAndIsrRequest(
        controller_id=1, controller_epoch=1, ungrouped_partition_states=(state("t"),),
        live_leaders=(),
    )  # fmt: skip
    grouped = LeaderAndIsrRequest(
        controller_id=1,
        controller_epoch=1,
        topic_states=(LeaderAndIsrTopicState(topic_name="t", partition_states=(state(),)),),
        live_leaders=(),
    )
    decoded = decode_request(encode_request(header(4, 0), flat))[1]
    assert isinstance(decoded, LeaderAndIsrRequest)
    assert [(t, s.leader_epoch) for t, s in decoded.partition_states()] == [("t", 3)]
    assert [(t, s.leader_epoch) for t, s in grouped.partition_states()] == [("t", 3)]
    with pytest.raises(UnsupportedVersionError, match="topic_states"):
        encode_request(header(4, 1), grouped)
    with pytest.raises(UnsupportedVersionError, match="ungrouped_partition_states"):
        encode_request(header(4, 2), flat)
    v0 = StopReplicaRequest(
        controller_id=1, controller_epoch=1, delete_partitions=True,
        ungrouped_partitions=(StopReplicaPartitionV0(topic_name="t", partition_index=2),),
    )  # fmt: skip
    v1 = StopReplicaRequest(
        controller_id=1, controller_epoch=1, delete_partitions=True,
        topics=(StopReplicaTopicV1(name="t", partition_indexes=(2,)),),
    )  # fmt: skip
    assert list(v0.partitions()) == list(v1.partitions()) == [("t", 2)]
