"""The ``__consumer_offsets`` record formats and replaying a partition: golden and hostile bytes.

The layouts are Kafka's ``OffsetCommitKey``, ``OffsetCommitValue``, ``GroupMetadataKey`` and
``GroupMetadataValue`` schemas (``group-coordinator/src/main/resources/common/message``).
"""

from __future__ import annotations

import pytest
from glasskafka.group import (
    GroupMetadataKey,
    GroupMetadataValue,
    MemberRecord,
    OffsetCommitKey,
    OffsetCommitValue,
    OffsetsRecordError,
    decode_group_metadata_value,
    decode_key,
    decode_offset_commit_value,
    encode_group_metadata_value,
    encode_key,
    encode_offset_commit_value,
    group_from_record,
    group_metadata_record,
    offset_commit_record,
    replay,
)
from glasskafka.group.state import GroupState
from glasskafka.ids import PartitionId, TopicName
from glasskafka.records import Record, encode_batch, encode_control_batch

TP = (TopicName("t"), PartitionId(0))
MEMBER = MemberRecord(
    member_id="c-1",
    group_instance_id=None,
    client_id="c",
    client_host="/h",
    rebalance_timeout=300000,
    session_timeout=45000,
    subscription=b"sub",
    assignment=b"asg",
)


def test_offset_commit_key_golden_bytes() -> None:
    key = OffsetCommitKey(group="g", topic="t", partition=3)
    data = encode_key(key)
    assert data == bytes.fromhex("000100016700017400000003")
    assert decode_key(data) == key


def test_group_metadata_key_golden_bytes() -> None:
    data = encode_key(GroupMetadataKey(group="g"))
    assert data == bytes.fromhex("0002000167")
    assert decode_key(data) == GroupMetadataKey(group="g")


def test_key_version_zero_is_an_offset_key_too() -> None:
    assert decode_key(bytes.fromhex("000000016700017400000001")) == OffsetCommitKey(
        group="g", topic="t", partition=1
    )


def test_offset_commit_value_v3_golden_bytes() -> None:
    value = OffsetCommitValue(offset=5, leader_epoch=-1, metadata="", commit_timestamp=1000)
    data = encode_offset_commit_value(value)
    assert data == bytes.fromhex("00030000000000000005ffffffff000000000000000003e8")
    assert decode_offset_commit_value(data) == value


def test_offset_commit_value_v1_carries_the_expire_timestamp() -> None:
    value = OffsetCommitValue(offset=7, metadata="m", commit_timestamp=1, expire_timestamp=2)
    data = encode_offset_commit_value(value)
    assert data[:2] == b"\x00\x01"
    assert decode_offset_commit_value(data) == value


def test_offset_commit_values_v0_and_v2_are_read() -> None:
    v0 = bytes.fromhex("0000000000000000000900000000000000000001")
    assert decode_offset_commit_value(v0) == OffsetCommitValue(offset=9, commit_timestamp=1)
    v2 = bytes.fromhex("0002") + v0[2:]
    assert decode_offset_commit_value(v2) == OffsetCommitValue(offset=9, commit_timestamp=1)


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_group_metadata_value_round_trips_in_every_version(version: int) -> None:
    value = GroupMetadataValue(
        protocol_type="consumer",
        generation=4,
        protocol="range",
        leader="c-1",
        current_state_timestamp=99 if version >= 2 else -1,
        members=(MEMBER,),
    )
    decoded = decode_group_metadata_value(encode_group_metadata_value(value, version))
    if version == 0:
        # v0 has no rebalance timeout; Kafka then uses the session timeout.
        assert decoded.members[0].rebalance_timeout == MEMBER.session_timeout
        decoded = GroupMetadataValue(
            protocol_type=decoded.protocol_type,
            generation=decoded.generation,
            protocol=decoded.protocol,
            leader=decoded.leader,
            current_state_timestamp=decoded.current_state_timestamp,
            members=(MEMBER,),
        )
    assert decoded == value


def test_empty_group_value_has_null_protocol_and_leader() -> None:
    value = GroupMetadataValue(protocol_type="consumer", generation=2, protocol=None, leader=None)
    data = encode_group_metadata_value(value)
    assert data == bytes.fromhex(
        "00030008" + b"consumer".hex() + "00000002ffffffffffffffffffffffff00000000"
    )
    assert decode_group_metadata_value(data) == value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "version"),
        (b"\x00", "version"),
        (bytes.fromhex("0009000167"), "unknown key version 9"),
        (bytes.fromhex("0001ffff"), "null but may not be"),
        (bytes.fromhex("0001fffe"), "length -2"),
        (bytes.fromhex("0001000567"), "needs 5 bytes"),
        (bytes.fromhex("0002000167ff"), "follow the last field"),
    ],
)
def test_hostile_keys_are_refused_with_the_field_named(data: bytes, message: str) -> None:
    with pytest.raises(OffsetsRecordError, match=message):
        decode_key(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes.fromhex("0004"), "unknown version 4"),
        (bytes.fromhex("ffff"), "unknown version -1"),
        (bytes.fromhex("00030000"), "needs 8 bytes"),
    ],
)
def test_hostile_offset_values_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(OffsetsRecordError, match=message):
        decode_offset_commit_value(data)


def test_a_hostile_member_count_is_refused_before_any_loop() -> None:
    head = encode_group_metadata_value(
        GroupMetadataValue(protocol_type="c", generation=1, protocol=None, leader=None)
    )
    hostile = head[:-4] + (2**31 - 1).to_bytes(4, "big")
    with pytest.raises(OffsetsRecordError, match="cannot hold"):
        decode_group_metadata_value(hostile)


def _commit(offset: int, at: int) -> Record:
    value = OffsetCommitValue(offset=offset, commit_timestamp=at)
    return offset_commit_record("g", TP, value)


def test_replay_keeps_the_last_value_of_each_key_and_honours_tombstones() -> None:
    stored = GroupMetadataValue(
        protocol_type="consumer", generation=3, protocol="range", leader="c-1", members=(MEMBER,)
    )
    records = [
        _commit(1, 1),
        group_metadata_record("g", stored, 2),
        _commit(5, 3),
        offset_commit_record("h", TP, OffsetCommitValue(offset=9, commit_timestamp=4)),
        Record(key=encode_key(OffsetCommitKey(group="h", topic="t", partition=0)), value=None),
    ]
    result = replay(encode_batch(records[:2]) + encode_batch(records[2:]))
    assert result.records == 5 and result.skipped == 0
    assert list(result.groups) == ["g"]  # h lost its only offset to the tombstone: gone
    loaded = result.groups["g"]
    assert loaded.offsets[TP].offset == 5
    assert loaded.metadata == stored
    group = group_from_record("g", loaded)
    assert group.state is GroupState.STABLE
    assert group.generation_id == 3 and group.leader_id == "c-1"
    assert group.members["c-1"].assignment == b"asg"
    assert group.members["c-1"].protocols == (("range", b"sub"),)


def test_replay_of_a_compacted_log_gives_the_same_state() -> None:
    full = [_commit(n, n) for n in range(5)]
    compacted = [full[-1]]
    assert replay(encode_batch(full)).groups == replay(encode_batch(compacted)).groups


def test_replay_skips_bad_records_and_stops_at_a_corrupt_batch() -> None:
    good = encode_batch([_commit(1, 1), Record(key=b"\x00\x07junk", value=b"x"), _commit(2, 2)])
    corrupt = bytearray(encode_batch([_commit(3, 3)]))
    corrupt[-1] ^= 0xFF  # breaks the CRC
    result = replay(good + bytes(corrupt))
    assert result.skipped == 2
    assert result.groups["g"].offsets[TP].offset == 2


def test_replay_skips_control_batches_and_keyless_records() -> None:
    marker = encode_control_batch(commit=True, producer_id=1, producer_epoch=0)
    keyless = encode_batch([Record(key=None, value=b"v")])
    result = replay(marker + keyless + encode_batch([_commit(4, 4)]))
    assert result.skipped == 1
    assert result.groups["g"].offsets[TP].offset == 4


def test_a_group_record_without_members_loads_as_empty() -> None:
    empty = GroupMetadataValue(protocol_type="consumer", generation=6, protocol=None, leader=None)
    loaded = replay(encode_batch([group_metadata_record("g", empty, 1)])).groups["g"]
    group = group_from_record("g", loaded)
    assert group.state is GroupState.EMPTY and group.generation_id == 6
