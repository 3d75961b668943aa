"""ConsumerProtocol: the subscription and assignment bytes that travel through the coordinator.

Theory of operation
-------------------
The group coordinator never looks inside a member's subscription or assignment: it stores the
JoinGroup ``metadata`` bytes and the SyncGroup ``assignment`` bytes and passes them on verbatim.
Only clients read them (``ConsumerProtocol.java``; the schemas are
``clients/src/main/resources/common/message/ConsumerProtocol{Subscription,Assignment}.json``).

Both start with an ``int16`` version.  Versions 0-3 exist and none is "flexible", so the body is
Kafka's classic encoding: big-endian integers; a string is an ``int16`` length then UTF-8 (length
-1 means null where the field allows it); bytes are an ``int32`` length then the bytes (-1 null);
an array is an ``int32`` count then its elements.

Subscription, field by field (``ConsumerProtocolSubscription``):

====================  =========  ======================================================
field                 versions   type
====================  =========  ======================================================
topics                0+         [string], written sorted
user_data             0+         nullable bytes
owned_partitions      1+         [topic: string, partitions: [int32]] sorted (KIP-429)
generation_id         2+         int32, -1 when absent (KIP-792)
rack_id               3+         nullable string (KIP-881)
====================  =========  ======================================================

Assignment (``ConsumerProtocolAssignment``), the same in versions 0-3: ``assigned_partitions``
``[topic: string, partitions: [int32]]`` grouped by topic in first-seen order, then ``user_data``
(nullable bytes).

Reading follows Kafka: a version above 3 is read as version 3 and anything after the known fields
is ignored (that is how newer clients stay readable); a negative version is refused; fields a
lower version lacks take their defaults.  Writing a field the version lacks drops it (every newer
field is "ignorable").  Malformed bytes - too short, a negative length where null is not allowed,
a count the remaining bytes cannot hold - raise :class:`ConsumerProtocolError` (a
``ValueError``), naming the field and the byte offset, and nothing is half-built.

Spec IDs: none; the bytes carry the inputs of ASSIGN-1..6.

Simplified from Kafka: nothing in the layout.  Like Kafka, strings decode leniently (invalid
UTF-8 becomes U+FFFD).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from glasskafka.assignors.java_order import java_string_key
from glasskafka.assignors.subscription import (
    Subscription,
    sorted_partitions,
    topic_partition,
)
from glasskafka.ids import GenerationId, TopicName, TopicPartition

__all__ = [
    "HIGHEST_VERSION",
    "Assignment",
    "ConsumerProtocolError",
    "decode_assignment",
    "decode_subscription",
    "encode_assignment",
    "encode_subscription",
]

HIGHEST_VERSION = 3
"""The newest ConsumerProtocol version (both subscription and assignment)."""

_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")


class ConsumerProtocolError(ValueError):
    """Bytes that are not a valid ConsumerProtocol subscription or assignment."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignment:
    """One member's ``ConsumerProtocolAssignment``, decoded."""

    partitions: tuple[TopicPartition, ...]
    user_data: bytes | None = None


# --- writing ---------------------------------------------------------------------------------


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 0x7FFF:
        raise ConsumerProtocolError(f"string of {len(raw)} bytes is longer than 32767")
    return _INT16.pack(len(raw)) + raw


def _nullable_string(text: str | None) -> bytes:
    return _INT16.pack(-1) if text is None else _string(text)


def _nullable_bytes(data: bytes | None) -> bytes:
    return _INT32.pack(-1) if data is None else _INT32.pack(len(data)) + data


def _topic_partitions(groups: Iterable[tuple[str, list[int]]]) -> bytes:
    entries = list(groups)
    out = bytearray(_INT32.pack(len(entries)))
    for topic, partitions in entries:
        out += _string(topic) + _INT32.pack(len(partitions))
        out += b"".join(_INT32.pack(p) for p in partitions)
    return bytes(out)


def _group_by_topic(partitions: Iterable[TopicPartition]) -> list[tuple[str, list[int]]]:
    groups: dict[str, list[int]] = {}
    for topic, partition in partitions:
        groups.setdefault(topic, []).append(partition)
    return list(groups.items())


def _checked_version(version: int) -> int:
    if version < 0:
        raise ConsumerProtocolError(f"unsupported ConsumerProtocol version {version}; 0-3 exist")
    return min(version, HIGHEST_VERSION)


def encode_subscription(subscription: Subscription, version: int = HIGHEST_VERSION) -> bytes:
    """The JoinGroup ``metadata`` bytes for ``subscription`` (``serializeSubscription``).

    Topics are written sorted and owned partitions sorted by (topic, partition), so equal
    subscriptions give equal bytes.  A version above 3 writes version 3.
    """
    version = _checked_version(version)
    topics = sorted(subscription.topics, key=java_string_key)
    out = bytearray(_INT16.pack(version) + _INT32.pack(len(topics)))
    out += b"".join(_string(topic) for topic in topics)
    out += _nullable_bytes(subscription.user_data)
    if version >= 1:
        out += _topic_partitions(_group_by_topic(sorted_partitions(subscription.owned_partitions)))
    if version >= 2:
        out += _INT32.pack(subscription.generation_id if subscription.generation_id >= 0 else -1)
    if version >= 3:
        out += _nullable_string(subscription.rack_id)
    return bytes(out)


def encode_assignment(
    partitions: Sequence[TopicPartition],
    user_data: bytes | None = None,
    version: int = HIGHEST_VERSION,
) -> bytes:
    """The SyncGroup ``assignment`` bytes for one member (``serializeAssignment``)."""
    version = _checked_version(version)
    body = _topic_partitions(_group_by_topic(partitions)) + _nullable_bytes(user_data)
    return _INT16.pack(version) + body


# --- reading ---------------------------------------------------------------------------------


class _Reader:
    """Reads the classic encoding, raising :class:`ConsumerProtocolError` on any fault."""

    def __init__(self, data: bytes | bytearray | memoryview, what: str) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"{what} must be bytes, not {type(data).__name__}")
        self._data = bytes(data)
        self._position = 0
        self._what = what

    def _fail(self, field: str, problem: str) -> ConsumerProtocolError:
        return ConsumerProtocolError(
            f"malformed {self._what}: {field} at byte {self._position}: {problem} "
            f"({len(self._data)} bytes in all)"
        )

    def _take(self, field: str, size: int) -> bytes:
        if self._position + size > len(self._data):
            left = len(self._data) - self._position
            raise self._fail(field, f"needs {size} bytes, {left} left")
        chunk = self._data[self._position : self._position + size]
        self._position += size
        return chunk

    def int16(self, field: str) -> int:
        return int(_INT16.unpack(self._take(field, 2))[0])

    def int32(self, field: str) -> int:
        return int(_INT32.unpack(self._take(field, 4))[0])

    def string(self, field: str, *, nullable: bool = False) -> str | None:
        length = self.int16(field)
        if length < 0:
            if nullable:
                return None
            raise self._fail(field, f"length {length}, but the field cannot be null")
        return self._take(field, length).decode("utf-8", "replace")

    def required_string(self, field: str) -> str:
        text = self.string(field)
        assert text is not None
        return text

    def nullable_bytes(self, field: str) -> bytes | None:
        length = self.int32(field)
        return None if length < 0 else self._take(field, length)

    def count(self, field: str, smallest_element: int) -> int:
        size = self.int32(field)
        if size < 0:
            raise self._fail(field, f"array count {size}, but the field cannot be null")
        if size * smallest_element > len(self._data) - self._position:
            raise self._fail(field, f"array of {size} cannot fit in the bytes left")
        return size

    def topic_partitions(self, field: str) -> list[TopicPartition]:
        partitions: list[TopicPartition] = []
        for index in range(self.count(field, smallest_element=6)):
            topic = self.required_string(f"{field}[{index}].topic")
            numbers = f"{field}[{index}].partitions"
            partitions += [
                topic_partition(topic, self.int32(numbers))
                for _ in range(self.count(numbers, smallest_element=4))
            ]
        return partitions

    def version(self) -> int:
        version = self.int16("version")
        if version < 0:
            raise self._fail("version", f"unsupported version {version}; 0-3 exist")
        return min(version, HIGHEST_VERSION)


def decode_subscription(data: bytes | bytearray | memoryview) -> Subscription:
    """Read JoinGroup ``metadata`` bytes (``deserializeSubscription``).

    Raises :class:`ConsumerProtocolError` for malformed bytes.
    """
    reader = _Reader(data, "ConsumerProtocolSubscription")
    version = reader.version()
    topics = tuple(
        TopicName(reader.required_string(f"topics[{i}]"))
        for i in range(reader.count("topics", smallest_element=2))
    )
    user_data = reader.nullable_bytes("user_data")
    owned = reader.topic_partitions("owned_partitions") if version >= 1 else []
    generation = reader.int32("generation_id") if version >= 2 else -1
    rack = reader.string("rack_id", nullable=True) if version >= 3 else None
    return Subscription(
        topics=topics,
        user_data=user_data,
        owned_partitions=tuple(owned),
        generation_id=GenerationId(generation if generation >= 0 else -1),
        rack_id=rack or None,
    )


def decode_assignment(data: bytes | bytearray | memoryview) -> Assignment:
    """Read SyncGroup ``assignment`` bytes (``deserializeAssignment``).

    Raises :class:`ConsumerProtocolError` for malformed bytes.
    """
    reader = _Reader(data, "ConsumerProtocolAssignment")
    reader.version()
    partitions = reader.topic_partitions("assigned_partitions")
    user_data = reader.nullable_bytes("user_data")
    return Assignment(partitions=tuple(partitions), user_data=user_data)
