"""The sticky assignors' user data, and where each one reads a member's past from.

Theory of operation
-------------------
A sticky assignor needs, for every member, the partitions it owned and the generation it owned
them in (``reference/clients-and-groups.md`` §5.1).  The two Kafka assignors find these in
different places, because the older one predates the subscription fields that carry them:

* **StickyAssignor** (``"sticky"``, KIP-54, eager) writes its last assignment into the
  subscription's opaque ``userData`` and reads it back from there only, ignoring
  ``ownedPartitions``.  Layout V1 (KIP-341) is ``[topic: string, partitions: [int32]]`` followed by
  ``generation: int32``; V0 lacks the generation.  Reading tries V1, then V0; bytes that fit
  neither mean "owns nothing, generation -1"; absent or empty user data means "owns nothing, no
  generation" (``StickyAssignor.memberData``).
* **CooperativeStickyAssignor** (``"cooperative-sticky"``, KIP-429) takes the owned partitions
  from ``Subscription.owned_partitions`` and the generation from ``Subscription.generation_id``
  when present (protocol v2+, KIP-792), else from its user data: a single ``int32`` generation,
  where unreadable bytes mean -1 and absent bytes mean "no generation".

Both layouts use Kafka's classic struct encoding: big-endian integers, a string as an ``int16``
length and UTF-8 bytes, an array as an ``int32`` count and its elements.  When writing V1, topics
appear in Java ``HashMap`` order of topic names and partitions in the order given
(``CollectionUtils.groupPartitionsByTopic``), so the bytes match Kafka's byte for byte.

Spec IDs: ASSIGN-3 (stickiness needs the member's past to be read correctly).

Simplified from Kafka: nothing in the formats.  Kafka decodes topic names leniently (invalid
UTF-8 becomes U+FFFD); so does glasskafka, and such a name then matches no topic.
"""

from __future__ import annotations

import struct

from glasskafka.assignors.java_order import hash_map_order, java_string_hash
from glasskafka.assignors.subscription import MemberData, Subscription, topic_partition
from glasskafka.ids import TopicPartition

__all__ = [
    "cooperative_member_data",
    "decode_cooperative_user_data",
    "decode_sticky_user_data",
    "encode_cooperative_user_data",
    "encode_sticky_user_data",
    "sticky_member_data",
]

_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")


class _Truncated(Exception):
    """Raised inside the readers when bytes run out or a length is impossible."""


class _Reader:
    """Reads Kafka's classic struct types from bytes, raising ``_Truncated`` on any fault."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0

    def int32(self) -> int:
        if self._position + 4 > len(self._data):
            raise _Truncated
        (value,) = _INT32.unpack_from(self._data, self._position)
        self._position += 4
        return int(value)

    def string(self) -> str:
        if self._position + 2 > len(self._data):
            raise _Truncated
        (length,) = _INT16.unpack_from(self._data, self._position)
        self._position += 2
        if length < 0 or self._position + length > len(self._data):
            raise _Truncated
        text = self._data[self._position : self._position + length].decode("utf-8", "replace")
        self._position += length
        return text

    def count(self, smallest_element: int) -> int:
        # Type.ArrayOf refuses negative sizes and sizes the remaining bytes cannot hold.
        size = self.int32()
        if size < 0 or size * smallest_element > len(self._data) - self._position:
            raise _Truncated
        return size


def encode_sticky_user_data(
    partitions: tuple[TopicPartition, ...], generation: int | None
) -> bytes:
    """StickyAssignor user data: V1 (the last assignment and its generation, KIP-341), or V0
    (the assignment alone, as clients before KIP-341 wrote it) when ``generation`` is None."""
    by_topic: dict[str, list[int]] = {}
    for topic, partition in partitions:
        by_topic.setdefault(topic, []).append(partition)
    out = bytearray(_INT32.pack(len(by_topic)))
    for name_text in hash_map_order(list(by_topic), java_string_hash):
        name = name_text.encode("utf-8")
        out += _INT16.pack(len(name)) + name + _INT32.pack(len(by_topic[name_text]))
        out += b"".join(_INT32.pack(p) for p in by_topic[name_text])
    if generation is not None:
        out += _INT32.pack(generation)
    return bytes(out)


def _read_sticky(data: bytes, *, with_generation: bool) -> MemberData:
    reader = _Reader(data)
    partitions: list[TopicPartition] = []
    for _ in range(reader.count(smallest_element=6)):
        topic = reader.string()
        partitions += [topic_partition(topic, reader.int32()) for _ in range(reader.count(4))]
    generation = reader.int32() if with_generation else None
    return MemberData(partitions=tuple(partitions), generation=generation)


def decode_sticky_user_data(user_data: bytes | None) -> MemberData:
    """Read StickyAssignor user data: V1, else V0, else "nothing owned, generation -1".

    Absent or empty user data reads as "nothing owned, no generation".  Never raises.
    """
    if not user_data:
        return MemberData(partitions=(), generation=None)
    try:
        return _read_sticky(user_data, with_generation=True)
    except _Truncated:
        pass
    try:
        return _read_sticky(user_data, with_generation=False)
    except _Truncated:
        # StickyAssignor ignores a previous assignment it cannot parse.
        return MemberData(partitions=(), generation=-1)


def encode_cooperative_user_data(generation: int) -> bytes:
    """CooperativeStickyAssignor user data V0: just the generation of the last assignment."""
    return _INT32.pack(generation)


def decode_cooperative_user_data(user_data: bytes | None) -> int | None:
    """The generation in CooperativeStickyAssignor user data: ``None`` if absent, -1 if bad."""
    if user_data is None:
        return None
    try:
        return _Reader(user_data).int32()
    except _Truncated:
        return -1


def sticky_member_data(subscription: Subscription) -> MemberData:
    """What StickyAssignor believes a member owned: its user data only (§5.1)."""
    return decode_sticky_user_data(subscription.user_data)


def cooperative_member_data(subscription: Subscription) -> MemberData:
    """What CooperativeStickyAssignor believes: owned partitions, generation field or user data."""
    if subscription.generation is not None:
        generation: int | None = subscription.generation
    else:
        generation = decode_cooperative_user_data(subscription.user_data)
    return MemberData(partitions=subscription.owned_partitions, generation=generation)
