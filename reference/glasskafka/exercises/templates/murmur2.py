"""Lab murmur2: the hash that puts a keyed record on its partition, bit for bit as Java's.

Write ``murmur2`` and ``keyed_partition`` below.  ``glasskafka exercise check murmur2`` plugs them
into glasskafka's producer (``glasskafka.client.dispatch`` asks ``keyed_partition`` for every
record that has a key), so during the check every keyed record a simulated producer sends goes
where your functions say, and the check compares that with where Kafka's Java client puts it.

Simplified from Kafka: nothing; Kafka's ``Utils.murmur2`` is this algorithm and no more.
"""

from __future__ import annotations

__all__ = ["keyed_partition", "murmur2"]


def murmur2(data: bytes) -> int:
    """32-bit MurmurHash2 of ``data``, exactly as Java's ``Utils.murmur2`` computes it.

    The algorithm (``m = 0x5bd1e995``, ``r = 24``, seed ``0x9747b28c``):

    1. ``h = seed ^ len(data)``.
    2. For each whole group of 4 bytes, read little-endian as ``k``:
       ``k *= m; k ^= k >>> r; k *= m; h *= m; h ^= k``.
    3. The 1 to 3 bytes left over: ``h ^= byte[2] << 16`` (if there are 3),
       ``h ^= byte[1] << 8`` (if 2 or more), ``h ^= byte[0]; h *= m`` (if 1 or more).
    4. ``h ^= h >>> 13; h *= m; h ^= h >>> 15``.

    Java's ``int`` is 32 bits and wraps on every multiplication; Python's integers never wrap,
    so mask with ``& 0xFFFFFFFF`` after each product.  ``>>>`` is Java's unsigned shift: on a
    value kept in 0..2**32-1 that is Python's ``>>``.

    Returns: the hash as a *signed* 32-bit int (-2**31 .. 2**31-1), as Java returns it.

    Errors: none; ``data`` may be empty.

    Examples:
        >>> murmur2(b"21")
        -973932308
        >>> murmur2(b"abc")
        479470107
        >>> murmur2(b"") & 0xFFFFFFFF == 0x106E08D9
        True
    """
    raise NotImplementedError("write murmur2")


def keyed_partition(key_bytes: bytes, num_partitions: int) -> int:
    """The partition Kafka's producer chooses for a record whose serialized key is ``key_bytes``.

    Before: ``num_partitions`` is the topic's partition count (every partition counts, whether
    or not it has a leader now, so a key keeps its partition while the count stays the same).

    Returns: ``to_positive(murmur2(key_bytes)) % num_partitions``, where Java's
    ``Utils.toPositive(x)`` is ``x & 0x7fffffff`` -- *not* ``abs(x)``: ``abs`` of -2**31 does
    not fit an int in Java, and it would send ``x`` and ``-x`` to the same partition.

    Errors: raise ``ValueError`` if ``num_partitions`` is not positive.

    Examples:
        >>> keyed_partition(b"21", 50)
        40
        >>> keyed_partition(b"foobar", 4)
        2
        >>> keyed_partition(b"", 4)
        1
    """
    raise NotImplementedError("write keyed_partition")
