"""The key and value formats of ``__consumer_offsets`` records: offsets and group metadata.

Theory of operation
-------------------
The coordinator stores everything it must not forget as records in its ``__consumer_offsets``
partition: one record per committed offset, and one per group whenever its membership settles.
The topic is *compacted* (``cleanup.policy=compact``), so only the latest value of each key
survives, and a ``null`` value (a tombstone) deletes the key.  Loading a partition is replaying
it: the last record of each key wins.  The key's leading ``int16`` says which kind of record it
is (Kafka's ``GroupMetadataManager.readMessageKey``; the schemas are
``group-coordinator/src/main/resources/common/message/*.json``):

==========================  ================================================================
key version 0 or 1          **OffsetCommitKey**: ``group`` string, ``topic`` string,
                            ``partition`` int32.  Kafka writes version 1; 0 is the same layout
key version 2               **GroupMetadataKey**: ``group`` string
==========================  ================================================================

Values start with their own ``int16`` version:

* **OffsetCommitValue** v0: ``offset`` int64, ``metadata`` string, ``commitTimestamp`` int64;
  v1 adds ``expireTimestamp`` int64 (written only when a commit carries its own retention,
  OffsetCommit v2-4); v2 drops it again (KIP-211); v3 adds ``leaderEpoch`` int32 after
  ``offset`` (KIP-320).  Kafka 2.1+ writes v3, or v1 for a commit with a retention time.
* **GroupMetadataValue** v0: ``protocolType`` string, ``generation`` int32, ``protocol`` and
  ``leader`` nullable strings, then ``members``, each ``memberId``, ``clientId``, ``clientHost``
  strings, ``sessionTimeout`` int32, ``subscription`` and ``assignment`` bytes.  v1 adds the
  member's ``rebalanceTimeout`` int32 after ``clientHost``; v2 adds ``currentStateTimestamp``
  int64 before ``members``; v3 adds the member's nullable ``groupInstanceId`` after ``memberId``
  (KIP-345).  Kafka 2.3+ writes v3.

Everything is Kafka's classic encoding: big-endian integers, a string is an ``int16`` length and
UTF-8 (length -1 for null), bytes an ``int32`` length, an array an ``int32`` count.  So a real
``kafka-console-consumer --formatter`` (or ``kafka-dump-log --offsets-decoder``) reads
glasskafka's offsets log, and glasskafka reads Kafka's.

Decoding trusts nothing: a short buffer, a negative length where null is not allowed, a count the
remaining bytes cannot hold, an unknown version or trailing bytes raise :class:`OffsetsRecordError`
naming the field and the byte position.

Spec IDs: none directly; GROUP-1 and GROUP-6 rely on these records surviving a failover.

Simplified from Kafka: version 4 (flexible, KIP-915) and transactional offset commits
(``producerId`` in the log, KIP-98) are not written or read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "GROUP_METADATA_KEY_VERSION",
    "GroupMetadataKey",
    "GroupMetadataValue",
    "MemberRecord",
    "OffsetCommitKey",
    "OffsetCommitValue",
    "OffsetsRecordError",
    "decode_group_metadata_value",
    "decode_key",
    "decode_offset_commit_value",
    "encode_group_metadata_value",
    "encode_key",
    "encode_offset_commit_value",
]

GROUP_METADATA_KEY_VERSION = 2
"""The key version that marks a group metadata record (``GroupMetadataKey``)."""

_OFFSET_COMMIT_KEY_VERSION = 1
_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")


class OffsetsRecordError(ValueError):
    """Bytes that are not a valid ``__consumer_offsets`` key or value."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitKey:
    """The key of a committed offset: one per (group, topic, partition)."""

    group: str
    topic: str
    partition: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupMetadataKey:
    """The key of a group's metadata: one per group."""

    group: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitValue:
    """A committed offset (Kafka's meaning: the next offset to read) and what came with it."""

    offset: int
    leader_epoch: int = -1
    metadata: str = ""
    commit_timestamp: int
    expire_timestamp: int = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRecord:
    """One member as a group metadata record keeps it."""

    member_id: str
    group_instance_id: str | None = None
    client_id: str
    client_host: str
    rebalance_timeout: int
    session_timeout: int
    subscription: bytes
    assignment: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupMetadataValue:
    """A group's generation, protocol, leader and members, as last stored."""

    protocol_type: str
    generation: int
    protocol: str | None
    leader: str | None
    current_state_timestamp: int = -1
    members: tuple[MemberRecord, ...] = ()


# ---------------------------------------------------------------------------------------------
# Writing


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 0x7FFF:
        raise OffsetsRecordError(f"a string of {len(raw)} bytes does not fit an int16 length")
    return _INT16.pack(len(raw)) + raw


def _nullable_string(text: str | None) -> bytes:
    return _INT16.pack(-1) if text is None else _string(text)


def _bytes(data: bytes) -> bytes:
    return _INT32.pack(len(data)) + data


def encode_key(key: OffsetCommitKey | GroupMetadataKey) -> bytes:
    """The record key bytes: OffsetCommitKey v1 or GroupMetadataKey v2."""
    if isinstance(key, GroupMetadataKey):
        return _INT16.pack(GROUP_METADATA_KEY_VERSION) + _string(key.group)
    return (
        _INT16.pack(_OFFSET_COMMIT_KEY_VERSION)
        + _string(key.group)
        + _string(key.topic)
        + _INT32.pack(key.partition)
    )


def encode_offset_commit_value(value: OffsetCommitValue) -> bytes:
    """The value bytes: v1 when the commit has an expire timestamp, else v3 (as Kafka 2.1+)."""
    if value.expire_timestamp >= 0:
        return (
            _INT16.pack(1)
            + _INT64.pack(value.offset)
            + _string(value.metadata)
            + _INT64.pack(value.commit_timestamp)
            + _INT64.pack(value.expire_timestamp)
        )
    return (
        _INT16.pack(3)
        + _INT64.pack(value.offset)
        + _INT32.pack(value.leader_epoch)
        + _string(value.metadata)
        + _INT64.pack(value.commit_timestamp)
    )


def _member(member: MemberRecord, version: int) -> bytes:
    out = bytearray(_string(member.member_id))
    if version >= 3:
        out += _nullable_string(member.group_instance_id)
    out += _string(member.client_id) + _string(member.client_host)
    if version >= 1:
        out += _INT32.pack(member.rebalance_timeout)
    out += _INT32.pack(member.session_timeout)
    out += _bytes(member.subscription) + _bytes(member.assignment)
    return bytes(out)


def encode_group_metadata_value(value: GroupMetadataValue, version: int = 3) -> bytes:
    """The value bytes of a group metadata record, version 0-3 (Kafka 2.3+ writes 3)."""
    if not 0 <= version <= 3:
        raise OffsetsRecordError(f"GroupMetadataValue version {version}; 0-3 exist here")
    out = bytearray(_INT16.pack(version))
    out += _string(value.protocol_type) + _INT32.pack(value.generation)
    out += _nullable_string(value.protocol) + _nullable_string(value.leader)
    if version >= 2:
        out += _INT64.pack(value.current_state_timestamp)
    out += _INT32.pack(len(value.members))
    for member in value.members:
        out += _member(member, version)
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Reading


class _Reader:
    """A cursor over untrusted bytes; every read checks the bytes are there."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.position = 0
        self.what = what

    def _take(self, field: str, size: int) -> bytes:
        if size > len(self.data) - self.position:
            raise OffsetsRecordError(
                f"{self.what}: field {field!r} needs {size} bytes at position {self.position}, "
                f"{len(self.data) - self.position} remain"
            )
        chunk = self.data[self.position : self.position + size]
        self.position += size
        return chunk

    def int16(self, field: str) -> int:
        return int(_INT16.unpack(self._take(field, 2))[0])

    def int32(self, field: str) -> int:
        return int(_INT32.unpack(self._take(field, 4))[0])

    def int64(self, field: str) -> int:
        return int(_INT64.unpack(self._take(field, 8))[0])

    def nullable_string(self, field: str) -> str | None:
        length = self.int16(field)
        if length == -1:
            return None
        if length < 0:
            raise OffsetsRecordError(f"{self.what}: field {field!r} has length {length}")
        return self._take(field, length).decode("utf-8", errors="replace")

    def string(self, field: str) -> str:
        text = self.nullable_string(field)
        if text is None:
            raise OffsetsRecordError(f"{self.what}: field {field!r} is null but may not be")
        return text

    def bytes_(self, field: str) -> bytes:
        length = self.int32(field)
        if length < 0:
            raise OffsetsRecordError(f"{self.what}: field {field!r} has length {length}")
        return self._take(field, length)

    def count(self, field: str, smallest_element: int) -> int:
        count = self.int32(field)
        if count < 0 or count * smallest_element > len(self.data) - self.position:
            raise OffsetsRecordError(
                f"{self.what}: field {field!r} claims {count} elements, which the "
                f"{len(self.data) - self.position} remaining bytes cannot hold"
            )
        return count

    def done(self) -> None:
        if self.position != len(self.data):
            raise OffsetsRecordError(
                f"{self.what}: {len(self.data) - self.position} bytes follow the last field"
            )


def decode_key(data: bytes) -> OffsetCommitKey | GroupMetadataKey:
    """Read a record key; raises :class:`OffsetsRecordError` for anything else."""
    reader = _Reader(bytes(data), "key")
    version = reader.int16("version")
    if version in (0, 1):
        key: OffsetCommitKey | GroupMetadataKey = OffsetCommitKey(
            group=reader.string("group"),
            topic=reader.string("topic"),
            partition=reader.int32("partition"),
        )
    elif version == GROUP_METADATA_KEY_VERSION:
        key = GroupMetadataKey(group=reader.string("group"))
    else:
        raise OffsetsRecordError(f"key: unknown key version {version}; 0, 1 and 2 exist")
    reader.done()
    return key


def decode_offset_commit_value(data: bytes) -> OffsetCommitValue:
    """Read an OffsetCommitValue of version 0-3."""
    reader = _Reader(bytes(data), "OffsetCommitValue")
    version = reader.int16("version")
    if not 0 <= version <= 3:
        raise OffsetsRecordError(f"OffsetCommitValue: unknown version {version}; 0-3 exist")
    offset = reader.int64("offset")
    leader_epoch = reader.int32("leaderEpoch") if version >= 3 else -1
    metadata = reader.string("metadata")
    commit_timestamp = reader.int64("commitTimestamp")
    expire_timestamp = reader.int64("expireTimestamp") if version == 1 else -1
    reader.done()
    return OffsetCommitValue(
        offset=offset,
        leader_epoch=leader_epoch,
        metadata=metadata,
        commit_timestamp=commit_timestamp,
        expire_timestamp=expire_timestamp,
    )


def _read_member(reader: _Reader, version: int) -> MemberRecord:
    member_id = reader.string("memberId")
    instance = reader.nullable_string("groupInstanceId") if version >= 3 else None
    client_id = reader.string("clientId")
    client_host = reader.string("clientHost")
    session_first = version < 1
    rebalance_timeout = -1 if session_first else reader.int32("rebalanceTimeout")
    session_timeout = reader.int32("sessionTimeout")
    return MemberRecord(
        member_id=member_id,
        group_instance_id=instance,
        client_id=client_id,
        client_host=client_host,
        # A v0 record has no rebalance timeout; Kafka then uses the session timeout.
        rebalance_timeout=session_timeout if session_first else rebalance_timeout,
        session_timeout=session_timeout,
        subscription=reader.bytes_("subscription"),
        assignment=reader.bytes_("assignment"),
    )


def decode_group_metadata_value(data: bytes) -> GroupMetadataValue:
    """Read a GroupMetadataValue of version 0-3."""
    reader = _Reader(bytes(data), "GroupMetadataValue")
    version = reader.int16("version")
    if not 0 <= version <= 3:
        raise OffsetsRecordError(f"GroupMetadataValue: unknown version {version}; 0-3 exist")
    protocol_type = reader.string("protocolType")
    generation = reader.int32("generation")
    protocol = reader.nullable_string("protocol")
    leader = reader.nullable_string("leader")
    timestamp = reader.int64("currentStateTimestamp") if version >= 2 else -1
    # The smallest member is three empty strings, two int32s and two empty byte strings.
    count = reader.count("members", 6 + 8 + 8)
    members = tuple(_read_member(reader, version) for _ in range(count))
    reader.done()
    return GroupMetadataValue(
        protocol_type=protocol_type,
        generation=generation,
        protocol=protocol,
        leader=leader,
        current_state_timestamp=timestamp,
        members=members,
    )
