"""The bytes: ConsumerProtocol subscription and assignment, and the sticky assignors' user data.

Known byte strings are derived by hand from the schemas
(``clients/src/main/resources/common/message/ConsumerProtocol{Subscription,Assignment}.json``,
``StickyAssignor.STICKY_ASSIGNOR_USER_DATA_V0/V1``); kafka-python, whose codec is generated from
the same JSON schemas, reads what glasskafka writes and the other way round, for every version;
and hostile bytes - truncated at every offset, impossible lengths, random garbage - end in a
:class:`ConsumerProtocolError` naming the field, never another exception.

Spec IDs: none; the bytes carry the inputs of ASSIGN-1 .. ASSIGN-6.

Simplified from Kafka: Kafka's ``ConsumerProtocolTest`` compares round trips; these tests also pin
the bytes.
"""

from __future__ import annotations

import contextlib
import struct

import pytest
from glasskafka.assignors import (
    Assignment,
    ConsumerProtocolError,
    MemberData,
    Subscription,
    decode_assignment,
    decode_cooperative_user_data,
    decode_sticky_user_data,
    decode_subscription,
    encode_assignment,
    encode_cooperative_user_data,
    encode_sticky_user_data,
    encode_subscription,
    topic_partition,
)
from glasskafka.assignors.user_data import cooperative_member_data, sticky_member_data
from hypothesis import given
from hypothesis import strategies as st
from kafka.protocol.consumer.metadata import (
    ConsumerProtocolAssignment as KafkaPythonAssignment,
)
from kafka.protocol.consumer.metadata import (
    ConsumerProtocolSubscription as KafkaPythonSubscription,
)

FULL = Subscription.of(
    ["foo", "bar"],
    owned=[("foo", 0), ("bar", 0)],
    generation=1,
    user_data=b"hello",
    rack_id="rack-a",
)


def s16(text: str) -> bytes:
    return struct.pack(">h", len(text)) + text.encode()


def i32(*values: int) -> bytes:
    return b"".join(struct.pack(">i", v) for v in values)


V0_BODY = i32(2) + s16("bar") + s16("foo") + i32(5) + b"hello"
OWNED = i32(2) + s16("bar") + i32(1, 0) + s16("foo") + i32(1, 0)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (0, b"\x00\x00" + V0_BODY),
        (1, b"\x00\x01" + V0_BODY + OWNED),
        (2, b"\x00\x02" + V0_BODY + OWNED + i32(1)),
        (3, b"\x00\x03" + V0_BODY + OWNED + i32(1) + s16("rack-a")),
    ],
)
def test_subscription_bytes_per_version(version: int, expected: bytes) -> None:
    """Topics and owned partitions sorted; each version adds its field (KIP-429/792/881)."""
    assert encode_subscription(FULL, version) == expected
    decoded = decode_subscription(expected)
    assert decoded.topics == ("bar", "foo")
    assert decoded.user_data == b"hello"
    assert decoded.owned_partitions == (() if version < 1 else FULL.owned_partitions[::-1])
    assert decoded.generation_id == (1 if version >= 2 else -1)
    assert decoded.rack_id == ("rack-a" if version >= 3 else None)


def test_null_user_data_and_rack_and_absent_generation() -> None:
    bare = Subscription.of(["t"])
    data = encode_subscription(bare)
    assert data == b"\x00\x03" + i32(1) + s16("t") + i32(-1) + i32(0) + i32(-1) + b"\xff\xff"
    assert decode_subscription(data) == bare


def test_equal_subscriptions_give_equal_bytes() -> None:
    """ConsumerProtocolTest.serializeSubscriptionShouldOrderTopics / ...OwnedPartitions."""
    one = Subscription.of(["foo", "bar"], owned=[("foo", 1), ("bar", 2)])
    two = Subscription.of(["bar", "foo"], owned=[("bar", 2), ("foo", 1)])
    assert encode_subscription(one) == encode_subscription(two)


def test_a_future_version_is_read_as_version_3_and_extra_bytes_are_ignored() -> None:
    future = b"\x00\x64" + encode_subscription(FULL)[2:] + s16("a newer field")
    decoded = decode_subscription(future)
    assert decoded.rack_id == "rack-a" and decoded.generation_id == 1
    assert encode_subscription(FULL, version=100)[:2] == b"\x00\x03"


def test_assignment_bytes_group_partitions_by_topic_in_first_seen_order() -> None:
    partitions = (topic_partition("foo", 1), topic_partition("bar", 2), topic_partition("foo", 3))
    data = encode_assignment(partitions, user_data=None)
    body = i32(2) + s16("foo") + i32(2, 1, 3) + s16("bar") + i32(1, 2) + i32(-1)
    assert data == b"\x00\x03" + body
    decoded = decode_assignment(data)
    assert decoded == Assignment(
        partitions=tuple(sorted(partitions, key=lambda tp: tp[0] != "foo"))
    )
    assert decode_assignment(b"\x00\x00" + body).user_data is None


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_kafka_python_reads_what_glasskafka_writes(version: int) -> None:
    parsed = KafkaPythonSubscription.decode(encode_subscription(FULL, version), version=version)
    assert sorted(parsed.topics) == ["bar", "foo"]
    assert parsed.user_data == b"hello"
    if version >= 1:
        assert [(tp.topic, tp.partitions) for tp in parsed.owned_partitions] == [
            ("bar", [0]),
            ("foo", [0]),
        ]
    if version >= 2:
        assert parsed.generation_id == 1
    if version >= 3:
        assert parsed.rack_id == "rack-a"


names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
partitions = st.lists(st.tuples(names, st.integers(0, 2**31 - 1)), max_size=6)


@given(
    topics=st.lists(names, max_size=5),
    owned=partitions,
    generation=st.integers(-1, 2**31 - 1),
    user_data=st.none() | st.binary(max_size=20),
    rack=st.none() | names.filter(bool),
    version=st.integers(0, 3),
)
def test_glasskafka_and_kafka_python_agree_on_every_subscription(
    topics: list[str],
    owned: list[tuple[str, int]],
    generation: int,
    user_data: bytes | None,
    rack: str | None,
    version: int,
) -> None:
    mine = Subscription.of(
        topics, owned=owned, generation=generation, user_data=user_data, rack_id=rack
    )
    data = encode_subscription(mine, version)
    theirs = KafkaPythonSubscription.decode(data, version=version)
    assert KafkaPythonSubscription.encode(theirs, version=version) == data
    decoded = decode_subscription(data)
    assert sorted(decoded.topics) == sorted(mine.topics)
    assert decoded.user_data == user_data
    if version >= 1:
        assert sorted(decoded.owned_partitions) == sorted(mine.owned_partitions)


@given(assigned=partitions, user_data=st.none() | st.binary(max_size=20))
def test_glasskafka_and_kafka_python_agree_on_every_assignment(
    assigned: list[tuple[str, int]], user_data: bytes | None
) -> None:
    typed = tuple(topic_partition(t, p) for t, p in assigned)
    data = encode_assignment(typed, user_data)
    theirs = KafkaPythonAssignment.decode(data, version=3)
    assert sorted((tp.topic, p) for tp in theirs.assigned_partitions for p in tp.partitions) == (
        sorted(typed)
    )
    assert sorted(decode_assignment(data).partitions) == sorted(typed)


# --- hostile bytes ---------------------------------------------------------------------------


def test_every_truncation_of_a_subscription_is_a_clear_error() -> None:
    data = encode_subscription(FULL)
    for cut in range(len(data)):
        with pytest.raises(ConsumerProtocolError, match=r"malformed .* at byte"):
            decode_subscription(data[:cut])


def test_every_truncation_of_an_assignment_is_a_clear_error() -> None:
    data = encode_assignment(FULL.owned_partitions, b"x")
    for cut in range(len(data)):
        with pytest.raises(ConsumerProtocolError, match=r"malformed .* at byte"):
            decode_assignment(data[:cut])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"\xff\xff" + V0_BODY, "version"),
        (b"\x00\x00" + i32(-1), "topics"),
        (b"\x00\x00" + i32(2**31 - 1), "topics"),
        (b"\x00\x00" + i32(1) + b"\xff\xfe", "topics"),
        (b"\x00\x01" + i32(0) + i32(-1) + i32(1) + s16("t") + i32(-5), "owned_partitions"),
        (b"\x00\x01" + i32(0) + i32(-1) + i32(70000), "owned_partitions"),
        (b"\x00\x00" + i32(0) + i32(9) + b"short", "user_data"),
    ],
)
def test_impossible_lengths_name_the_field(data: bytes, field: str) -> None:
    with pytest.raises(ConsumerProtocolError, match=field):
        decode_subscription(data)


def test_bytes_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        decode_subscription("00 03")  # type: ignore[arg-type]


@given(st.binary(max_size=80))
def test_random_bytes_never_escape_as_anything_else(data: bytes) -> None:
    with contextlib.suppress(ConsumerProtocolError):
        decode_subscription(data)
    with contextlib.suppress(ConsumerProtocolError):
        decode_assignment(data)


@given(st.binary(max_size=60))
def test_random_user_data_never_raises(data: bytes) -> None:
    decode_sticky_user_data(data)
    decode_cooperative_user_data(data)


# --- the sticky assignors' user data ---------------------------------------------------------


def test_sticky_user_data_v1_and_v0_layouts() -> None:
    owned = (topic_partition("t", 0), topic_partition("t", 2))
    v1 = encode_sticky_user_data(owned, 7)
    assert v1 == i32(1) + s16("t") + i32(2, 0, 2) + i32(7)
    assert decode_sticky_user_data(v1) == MemberData(partitions=owned, generation=7)
    v0 = encode_sticky_user_data(owned, None)
    assert v0 == v1[:-4]
    assert decode_sticky_user_data(v0) == MemberData(partitions=owned, generation=None)


def test_sticky_user_data_groups_topics_in_java_hash_map_order() -> None:
    # CollectionUtils.groupPartitionsByTopic fills a HashMap: "payments", "clicks" and "orders"
    # land in buckets 7, 9 and 10 of 16, whatever order the partitions come in.
    owned = tuple(topic_partition(t, 0) for t in ("orders", "clicks", "payments"))
    data = encode_sticky_user_data(owned, 1)
    groups = b"".join(s16(t) + i32(1, 0) for t in ("payments", "clicks", "orders"))
    assert data == i32(3) + groups + i32(1)
    assert encode_sticky_user_data(owned[::-1], 1) == data


@pytest.mark.parametrize(
    ("user_data", "expected"),
    [
        (None, MemberData(partitions=(), generation=None)),
        (b"", MemberData(partitions=(), generation=None)),
        (b"\x00", MemberData(partitions=(), generation=-1)),
        (i32(5) + s16("t"), MemberData(partitions=(), generation=-1)),
    ],
)
def test_sticky_user_data_that_cannot_be_read(
    user_data: bytes | None, expected: MemberData
) -> None:
    """StickyAssignor.memberData: absent means "no generation", unreadable means -1."""
    assert decode_sticky_user_data(user_data) == expected


def test_cooperative_user_data_is_the_generation() -> None:
    assert encode_cooperative_user_data(12) == i32(12)
    assert decode_cooperative_user_data(i32(12) + b"extra") == 12
    assert decode_cooperative_user_data(None) is None
    assert decode_cooperative_user_data(b"\x01") == -1


def test_where_each_sticky_assignor_reads_a_members_past() -> None:
    """§5.1: StickyAssignor reads user data only; cooperative reads owned partitions and the
    generation field, else the generation in its user data."""
    owned = (topic_partition("t", 1),)
    sub = Subscription.of(
        ["t"], owned=[("t", 1)], user_data=encode_sticky_user_data((topic_partition("t", 0),), 3)
    )
    assert sticky_member_data(sub).partitions == (topic_partition("t", 0),)
    coop = Subscription.of(["t"], owned=[("t", 1)], user_data=encode_cooperative_user_data(4))
    assert cooperative_member_data(coop) == MemberData(partitions=owned, generation=4)
    with_field = Subscription.of(["t"], owned=[("t", 1)], generation=9, user_data=i32(4))
    assert cooperative_member_data(with_field).generation == 9
