"""Java's orderings, where Kafka's assignors let them decide an outcome.

Theory of operation
-------------------
Kafka's assignors run in the Java client, and a few of their decisions depend on orders that Java
defines and Python does not share (``reference/clients-and-groups.md`` §1, §5.6):

* **String order.**  ``String.compareTo`` compares UTF-16 code units; Python compares code
  points.  The two differ only for characters above U+FFFF, but a teaching copy should not differ
  at all, so every sort of member ids or topic names uses :func:`java_string_key`, which orders
  strings exactly as Java does (big-endian UTF-16 bytes compare unit by unit, shorter first).
* **String hash.**  ``String.hashCode`` is ``h = 31*h + unit`` over the UTF-16 code units,
  wrapping at 32 bits (:func:`java_string_hash`).  ``TopicPartition.hashCode`` is
  ``31 * (31 + partition) + topic.hashCode()`` (``clients/.../common/TopicPartition.java``).
* **HashMap iteration order.**  A ``java.util.HashMap`` (and ``HashSet``, which is one) iterates
  its buckets in ascending index and, inside a bucket, its entries in the order they arrived.
  The bucket of a key is ``(h ^ (h >>> 16)) & (capacity - 1)``; the capacity starts at 16 and
  doubles whenever the size passes three quarters of it, and never shrinks.  Resizing splits a
  bucket without reordering it, so "by bucket, then by arrival" holds at every size.  The sticky
  assignors iterate the group's ``subscriptions`` map (member ids) and, in the general builder,
  take the first element of a ``HashSet`` of topic-partitions; both decide who keeps a partition
  when several choices are equally good.  :func:`hash_map_order` and :class:`JavaHashSet` model
  exactly that much.

Spec IDs: none directly; this file makes ASSIGN-1..6's golden cases bit-exact.

Simplified from Kafka: Java turns a bucket holding eight or more entries into a red-black tree
once the table has 64 buckets (and doubles a smaller table instead); tree bins keep a different
order.  Neither happens for the group sizes and topic-partition sets glasskafka models (a bucket
of nine colliding member ids or partitions of one topic), so neither is modelled.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

from glasskafka.ids import TopicPartition

__all__ = [
    "JavaHashSet",
    "hash_map_capacity",
    "hash_map_order",
    "java_string_hash",
    "java_string_key",
    "topic_partition_hash",
]

K = TypeVar("K", bound=Hashable)

_INITIAL_CAPACITY = 16
_MASK_32 = 0xFFFFFFFF


def java_string_key(text: str) -> bytes:
    """A sort key that orders strings as Java's ``String.compareTo`` does (UTF-16 units)."""
    return text.encode("utf-16-be", "surrogatepass")


def _signed_32(value: int) -> int:
    value &= _MASK_32
    return value - (1 << 32) if value >= 1 << 31 else value


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode()``: ``31*h + unit`` over UTF-16 code units, as a signed int32."""
    units = java_string_key(text)
    h = 0
    for index in range(0, len(units), 2):
        h = (31 * h + (units[index] << 8 | units[index + 1])) & _MASK_32
    return _signed_32(h)


def topic_partition_hash(partition: TopicPartition) -> int:
    """``TopicPartition.hashCode()``: ``31 * (31 + partition) + topic.hashCode()`` (int32)."""
    topic, number = partition
    return _signed_32(31 * (31 + number) + java_string_hash(topic))


def _bucket(hash_code: int, capacity: int) -> int:
    # HashMap.hash() folds the high half into the low half before masking (HashMap.java).
    h = hash_code & _MASK_32
    return (h ^ (h >> 16)) & (capacity - 1)


def hash_map_capacity(largest_size: int) -> int:
    """The table size of a default ``HashMap`` that has held ``largest_size`` entries at once."""
    capacity = _INITIAL_CAPACITY
    while largest_size > capacity * 3 // 4:
        capacity *= 2
    return capacity


def hash_map_order(keys: Sequence[K], hash_code: Callable[[K], int]) -> list[K]:
    """The iteration order of a default ``HashMap`` filled by ``put``-ing ``keys`` in order.

    Assumes no removals (a removal never changes the order of what remains, but a map that was
    once larger keeps its larger table).  Example (§5.6): ``consumer1``..``consumer4`` land in
    buckets 12, 11, 10, 9, so they iterate as consumer4, consumer3, consumer2, consumer1.
    """
    capacity = hash_map_capacity(len(keys))
    ranked = sorted(range(len(keys)), key=lambda i: (_bucket(hash_code(keys[i]), capacity), i))
    return [keys[i] for i in ranked]


class JavaHashSet(Generic[K]):
    """A ``java.util.HashSet`` reduced to what the sticky assignor asks of one.

    It supports ``add``, ``remove``, ``len``, membership and :meth:`first` (what
    ``set.iterator().next()`` returns), with Java's iteration order.
    """

    __slots__ = ("_arrivals", "_capacity", "_clock", "_hash_code")

    def __init__(self, hash_code: Callable[[K], int], items: Iterable[K] = ()) -> None:
        self._hash_code = hash_code
        self._capacity = _INITIAL_CAPACITY
        self._arrivals: dict[K, int] = {}
        self._clock = 0
        for item in items:
            self.add(item)

    def add(self, item: K) -> None:
        """Insert ``item`` at the tail of its bucket; an item already present keeps its place."""
        if item in self._arrivals:
            return
        self._arrivals[item] = self._clock
        self._clock += 1
        self._capacity = max(self._capacity, hash_map_capacity(len(self._arrivals)))

    def remove(self, item: K) -> None:
        """Remove ``item`` (no error if absent, like ``HashSet.remove``)."""
        self._arrivals.pop(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self._arrivals

    def __len__(self) -> int:
        return len(self._arrivals)

    def first(self) -> K:
        """The element Java's iterator yields first.  Raises ``KeyError`` if the set is empty."""
        if not self._arrivals:
            raise KeyError("first() of an empty JavaHashSet")
        return min(
            self._arrivals,
            key=lambda item: (_bucket(self._hash_code(item), self._capacity), self._arrivals[item]),
        )

    def in_java_order(self) -> list[K]:
        """Every element, in Java's iteration order."""
        return sorted(
            self._arrivals,
            key=lambda item: (_bucket(self._hash_code(item), self._capacity), self._arrivals[item]),
        )
