"""Cross-check against kafka-python 3.x, whose protocol classes come from Kafka's JSON schemas.

glasskafka's schemas are written by hand from Kafka's message JSON files; kafka-python 3.x loads
those JSON files directly (``kafka/protocol/schemas/resources``).  Comparing the two catches any
field that is missing, misplaced, mistyped or given the wrong versions:

* **Layouts.**  For every client API and every version glasskafka serves, the fields on the wire
  (names, types, nullability, order) are the same in both.
* **Requests.**  kafka-python encodes a request (header and body) that glasskafka decodes to the
  same values; and the other way round.
* **Responses.**  glasskafka encodes a response that kafka-python decodes to the same values; and
  the other way round.
* **Negotiation.**  kafka-python's ApiVersions v3/v4 request (header v2, flexible body) gets
  the KIP-511 answer, which kafka-python reads as v0 with error 35.
* **Teeth.**  A schema with two fields swapped disagrees with kafka-python.

kafka-python's JSON is Kafka 4's, with two differences that are renames, not layout changes:
KIP-848 renamed OffsetCommit's ``generation_id`` to ``generation_id_or_member_epoch``, and
kafka-python calls Metadata's authorized-operations fields ``authorized_operations`` and decodes
them as sets of bits.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import pytest
from glasskafka.errors import ErrorCode
from glasskafka.protocol.apis import API_TABLE, Api, ApiKey, advertised_api_versions
from glasskafka.protocol.codec import encode_struct
from glasskafka.protocol.errors import UnsupportedRequestError
from glasskafka.protocol.framing import frame
from glasskafka.protocol.headers import RequestHeader, ResponseHeader, write_response_header
from glasskafka.protocol.primitives import Writer
from glasskafka.protocol.schema import ArrayOf, Field, Primitive, StructSchema
from glasskafka.protocol.wire import (
    api_versions_error_response,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)
from hypothesis import given
from hypothesis import strategies as st

from model_tests.test_protocol_strategies import Direction, message_at, schema_of

# kafka-python 3.x loads its JSON schemas with a deprecated importlib.resources call when it
# creates its classes; the warning is about kafka-python's packaging, not about this test.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka.protocol.admin.groups import (
        DescribeGroupsRequest,
        DescribeGroupsResponse,
        ListGroupsRequest,
        ListGroupsResponse,
    )
    from kafka.protocol.admin.topics import (
        CreateTopicsRequest,
        CreateTopicsResponse,
        DeleteTopicsRequest,
        DeleteTopicsResponse,
    )
    from kafka.protocol.consumer.fetch import FetchRequest, FetchResponse
    from kafka.protocol.consumer.group import (
        HeartbeatRequest,
        HeartbeatResponse,
        JoinGroupRequest,
        JoinGroupResponse,
        LeaveGroupRequest,
        LeaveGroupResponse,
        OffsetCommitRequest,
        OffsetCommitResponse,
        OffsetFetchRequest,
        OffsetFetchResponse,
        SyncGroupRequest,
        SyncGroupResponse,
    )
    from kafka.protocol.consumer.offsets import (
        ListOffsetsRequest,
        ListOffsetsResponse,
        OffsetForLeaderEpochRequest,
        OffsetForLeaderEpochResponse,
    )
    from kafka.protocol.metadata.api_versions import ApiVersionsRequest, ApiVersionsResponse
    from kafka.protocol.metadata.find_coordinator import (
        FindCoordinatorRequest,
        FindCoordinatorResponse,
    )
    from kafka.protocol.metadata.metadata import MetadataRequest, MetadataResponse
    from kafka.protocol.producer.produce import ProduceRequest, ProduceResponse
    from kafka.protocol.producer.transaction import InitProducerIdRequest, InitProducerIdResponse


KAFKA_PYTHON: dict[ApiKey, tuple[Any, Any]] = {
    ApiKey.PRODUCE: (ProduceRequest, ProduceResponse),
    ApiKey.FETCH: (FetchRequest, FetchResponse),
    ApiKey.LIST_OFFSETS: (ListOffsetsRequest, ListOffsetsResponse),
    ApiKey.METADATA: (MetadataRequest, MetadataResponse),
    ApiKey.OFFSET_COMMIT: (OffsetCommitRequest, OffsetCommitResponse),
    ApiKey.OFFSET_FETCH: (OffsetFetchRequest, OffsetFetchResponse),
    ApiKey.FIND_COORDINATOR: (FindCoordinatorRequest, FindCoordinatorResponse),
    ApiKey.JOIN_GROUP: (JoinGroupRequest, JoinGroupResponse),
    ApiKey.HEARTBEAT: (HeartbeatRequest, HeartbeatResponse),
    ApiKey.LEAVE_GROUP: (LeaveGroupRequest, LeaveGroupResponse),
    ApiKey.SYNC_GROUP: (SyncGroupRequest, SyncGroupResponse),
    ApiKey.DESCRIBE_GROUPS: (DescribeGroupsRequest, DescribeGroupsResponse),
    ApiKey.LIST_GROUPS: (ListGroupsRequest, ListGroupsResponse),
    ApiKey.API_VERSIONS: (ApiVersionsRequest, ApiVersionsResponse),
    ApiKey.CREATE_TOPICS: (CreateTopicsRequest, CreateTopicsResponse),
    ApiKey.DELETE_TOPICS: (DeleteTopicsRequest, DeleteTopicsResponse),
    ApiKey.INIT_PRODUCER_ID: (InitProducerIdRequest, InitProducerIdResponse),
    ApiKey.OFFSET_FOR_LEADER_EPOCH: (OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse),
}

RENAMES = {
    ("OffsetCommitRequest", "generation_id_or_member_epoch"): "generation_id",
    ("MetadataResponse", "authorized_operations"): "cluster_authorized_operations",
    ("MetadataResponseTopic", "authorized_operations"): "topic_authorized_operations",
}
"""(kafka-python struct, kafka-python field) -> glasskafka field, where the names differ."""

CASES = [
    pytest.param(api, version, id=f"{api.name}-v{version}")
    for key, api in API_TABLE.items()
    if key in KAFKA_PYTHON
    for version in api.versions
]

correlation_ids = st.integers(-(2**31), 2**31 - 1)


def kp_class(api: Api, direction: Direction) -> Any:
    request, response = KAFKA_PYTHON[api.key]
    return request if direction == "request" else response


# --- walking the two schemas side by side ----------------------------------------------------


def kp_struct_name(kp_struct: Any, top: Any | None) -> str:
    return str(top.__name__) if top is not None else str(kp_struct.type_str)


def paired_fields(
    kp_struct: Any, schema: StructSchema[Any], version: int, name: str
) -> list[tuple[Any, Field]]:
    """kafka-python's untagged fields at ``version``, each with glasskafka's field of that name."""
    mine = {item.name: item for item in schema.fields}
    pairs = []
    for kp_field in kp_struct.untagged_fields(version):
        renamed = RENAMES.get((name, kp_field.name), kp_field.name)
        assert renamed in mine, f"{schema.name} lacks kafka-python's {name}.{kp_field.name}"
        pairs.append((kp_field, mine[renamed]))
    return pairs


def layout(kp_struct: Any, schema: StructSchema[Any], version: int, name: str) -> list[str]:
    """Both sides' wire layout at ``version``, as lines comparing field by field."""
    ours = [item for item in schema.fields if item.present_in(version)]
    theirs = paired_fields(kp_struct, schema, version, name)
    assert [item.name for item in ours] == [item.name for _, item in theirs], (
        f"{schema.name} v{version} field order differs from kafka-python"
    )
    lines = []
    for kp_field, item in theirs:
        lines.append(
            f"{schema.name}.{item.name} {kp_type(kp_field)} {kp_nullable(kp_field, version)}"
        )
        if isinstance(item.type, ArrayOf) and isinstance(item.type.element, StructSchema):
            lines += layout(kp_field, item.type.element, version, kp_field.type_str)
    return lines


def our_layout(schema: StructSchema[Any], version: int) -> list[str]:
    lines = []
    for item in schema.fields:
        if not item.present_in(version):
            continue
        lines.append(f"{schema.name}.{item.name} {shown_type(item)} {item.nullable_in(version)}")
        if isinstance(item.type, ArrayOf) and isinstance(item.type.element, StructSchema):
            lines += our_layout(item.type.element, version)
    return lines


def shown_type(item: Field) -> str:
    if not isinstance(item.type, ArrayOf):
        return item.type.value
    element = item.type.element
    return f"[]{element.name if isinstance(element, StructSchema) else element.value}"


def kp_type(kp_field: Any) -> str:
    if kp_field.is_struct_array():
        return f"[]{kp_field.type_str}"
    if kp_field.is_array():
        return f"[]{kp_field.array_of.type_str}"
    type_str = str(kp_field.type_str)
    return "int32" if type_str == "bitfield" else type_str


def kp_nullable(kp_field: Any, version: int) -> bool:
    return bool(kp_field.nullable_for_version_q(version))


# --- converting values between the two ------------------------------------------------------


def struct_element(item: Field) -> StructSchema[Any]:
    assert isinstance(item.type, ArrayOf) and isinstance(item.type.element, StructSchema)
    return item.type.element


def to_kp(kp_struct: Any, schema: StructSchema[Any], value: Any, version: int, top: Any) -> Any:
    """glasskafka ``value`` as a kafka-python object (``top`` is the message class, or None)."""
    name = kp_struct_name(kp_struct, top)
    kwargs = {
        kp_field.name: _value_to_kp(kp_field, item, getattr(value, item.name), version)
        for kp_field, item in paired_fields(kp_struct, schema, version, name)
    }
    if top is not None:
        return top(version=version, **kwargs)
    return kp_struct.data_class(**kwargs)


def _value_to_kp(kp_field: Any, item: Field, value: Any, version: int) -> Any:
    if value is None:
        return None
    if kp_field.is_struct_array():
        element = struct_element(item)
        return [to_kp(kp_field, element, entry, version, None) for entry in value]
    if kp_field.is_array():
        return list(value)
    if kp_field.type_str == "bitfield":
        bits = {bit for bit in range(32) if value & 0xFFFFFFFF & (1 << bit)}
        return None if bits == {31} else bits
    return value


def from_kp(kp_struct: Any, schema: StructSchema[Any], obj: Any, version: int, top: Any) -> Any:
    """A kafka-python object as the glasskafka value it stands for."""
    name = kp_struct_name(kp_struct, top)
    kwargs = {
        item.name: _value_from_kp(kp_field, item, getattr(obj, kp_field.name), version)
        for kp_field, item in paired_fields(kp_struct, schema, version, name)
    }
    return schema.cls(**kwargs)


def _value_from_kp(kp_field: Any, item: Field, value: Any, version: int) -> Any:
    if kp_field.type_str == "bitfield":
        bits = {31} if value is None else value
        raw = sum(1 << bit for bit in bits)
        return raw - 2**32 if raw >= 2**31 else raw
    if value is None:
        return None
    if kp_field.is_struct_array():
        element = struct_element(item)
        return tuple(from_kp(kp_field, element, entry, version, None) for entry in value)
    if kp_field.is_array():
        return tuple(value)
    if item.type in (Primitive.BYTES, Primitive.RECORDS):
        return bytes(value)
    return value


# --- the properties ---------------------------------------------------------------------------


@pytest.mark.parametrize(("api", "version"), CASES)
def test_wire_layouts_match_kafka_python(api: Api, version: int) -> None:
    for direction in ("request", "response"):
        kp = kp_class(api, direction)
        schema = schema_of(api, direction)
        assert layout(kp._struct, schema, version, kp.__name__) == our_layout(schema, version)


@pytest.mark.parametrize(("api", "version"), CASES)
@given(data=st.data(), cid=correlation_ids, client_id=st.text(max_size=10))
def test_requests_agree_with_kafka_python_both_ways(
    api: Api, version: int, data: st.DataObject, cid: int, client_id: str
) -> None:
    kp = kp_class(api, "request")
    message = data.draw(message_at(api, version, "request"), label="message")
    header = RequestHeader(
        api_key=api.key, api_version=version, correlation_id=cid, client_id=client_id
    )
    theirs = to_kp(kp._struct, api.request, message, version, kp)
    theirs.with_header(correlation_id=cid, client_id=client_id)
    assert decode_request(theirs.encode(header=True, framed=True)) == (header, message)
    decoded = kp.decode(encode_request(header, message), version=version, header=True, framed=True)
    assert decoded.header.correlation_id == cid
    assert from_kp(kp._struct, api.request, decoded, version, kp) == message


@pytest.mark.parametrize(("api", "version"), CASES)
@given(data=st.data(), cid=correlation_ids)
def test_responses_agree_with_kafka_python_both_ways(
    api: Api, version: int, data: st.DataObject, cid: int
) -> None:
    kp = kp_class(api, "response")
    message = data.draw(message_at(api, version, "response"), label="message")
    ours_frame = encode_response(ResponseHeader(correlation_id=cid), message, version)
    decoded = kp.decode(ours_frame, version=version, header=True, framed=True)
    assert decoded.header.correlation_id == cid
    expected = message
    if api.key == ApiKey.API_VERSIONS and message.error_code != 0:
        # kafka-python reads any ApiVersions answer with an error as a v0 body (KIP-511), so
        # the fields after v0's -- throttle_time_ms -- are not read.
        expected = dataclasses.replace(message, throttle_time_ms=0)
    assert from_kp(kp._struct, api.response, decoded, version, kp) == expected
    theirs = to_kp(kp._struct, api.response, message, version, kp)
    theirs.with_header(correlation_id=cid)
    ours = decode_response(
        theirs.encode(header=True, framed=True), api_key=api.key, api_version=version
    )
    assert ours == (ResponseHeader(correlation_id=cid), message)


@pytest.mark.parametrize("version", [3, 4])
def test_kafka_pythons_first_api_versions_request_gets_the_kip_511_answer(version: int) -> None:
    request = ApiVersionsRequest(
        version=version, client_software_name="kafka-python", client_software_version="3"
    )
    request.with_header(correlation_id=41, client_id="kp")
    with pytest.raises(UnsupportedRequestError) as caught:
        decode_request(request.encode(header=True, framed=True))
    assert caught.value.answerable
    assert caught.value.header.correlation_id == 41
    answer = ApiVersionsResponse.decode(
        api_versions_error_response(caught.value.header), version=0, header=True, framed=True
    )
    assert answer.header.correlation_id == 41
    assert answer.error_code == ErrorCode.UNSUPPORTED_VERSION
    listed = [(k.api_key, k.min_version, k.max_version) for k in answer.api_keys]
    assert listed == [(v.api_key, v.min_version, v.max_version) for v in advertised_api_versions()]


def test_a_flexible_request_of_another_api_is_refused_with_its_header_read() -> None:
    request = MetadataRequest(version=12, topics=None)
    request.with_header(correlation_id=9, client_id="kp")
    with pytest.raises(UnsupportedRequestError, match="Metadata v12 is not served") as caught:
        decode_request(request.encode(header=True, framed=True))
    assert not caught.value.answerable
    assert caught.value.header == RequestHeader(
        api_key=3, api_version=12, correlation_id=9, client_id="kp"
    )


def test_the_cross_check_has_teeth() -> None:
    # Swap cluster_id and controller_id in the Metadata response schema: the layout comparison
    # catches it, and bytes written with it do not decode in kafka-python to the same values.
    real = API_TABLE[ApiKey.METADATA].response
    fields = list(real.fields)
    fields[2], fields[3] = fields[3], fields[2]
    broken = dataclasses.replace(real, fields=tuple(fields))
    with pytest.raises(AssertionError, match="field order differs"):
        layout(MetadataResponse._struct, broken, 2, "MetadataResponse")
    message = real.cls(brokers=(), cluster_id="c", controller_id=7, topics=())
    writer = Writer()
    write_response_header(writer, ResponseHeader(correlation_id=1))
    encode_struct(writer, broken, message, 2)
    try:
        decoded = MetadataResponse.decode(
            frame(writer.to_bytes()), version=2, header=True, framed=True
        )
        seen = from_kp(MetadataResponse._struct, real, decoded, 2, MetadataResponse)
    except Exception:  # kafka-python may fail outright on the shifted bytes: also a catch
        return
    assert seen != message
