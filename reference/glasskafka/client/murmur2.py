"""murmur2: the hash that places a keyed record on a partition, bit for bit as Java's.

Theory of operation
-------------------
Kafka's producer puts a record with a key on partition
``to_positive(murmur2(key_bytes)) % num_partitions`` (``Utils.murmur2`` and ``Utils.toPositive``
in ``clients/src/main/java/org/apache/kafka/common/utils/Utils.java``).  Every Kafka client in
every language must compute exactly the same number, or two producers would send the same key to
different partitions and the per-key order that Kafka promises would be lost.  So this is a
transcription of 32-bit MurmurHash2 with Java's arithmetic:

1. ``m = 0x5bd1e995``, ``r = 24``, and ``h`` starts as ``0x9747b28c`` XOR the length.
2. Each whole 4-byte group, read little-endian as ``k``: ``k *= m; k ^= k >>> r; k *= m;
   h *= m; h ^= k``.
3. The 1-3 bytes left over are mixed in from the last one down, then ``h *= m``.
4. ``h ^= h >>> 13; h *= m; h ^= h >>> 15``.

Java's ``int`` wraps at 32 bits and its bytes are signed (the code masks them with ``& 0xff``);
Python's integers never wrap, so every product is masked to 32 bits here, bytes are unsigned
already, and the result is turned back into a signed 32-bit value at the end.

``to_positive`` is ``x & 0x7fffffff``, **not** an absolute value: ``abs(-2147483648)`` does not fit
an ``int`` in Java, and ``abs`` would map ``-x`` and ``x`` to the same partition.

Spec IDs: none (the key-to-partition rule is checked against Kafka's own test vectors).

Simplified from Kafka: nothing; this is the whole algorithm.
"""

from __future__ import annotations

__all__ = ["murmur2", "to_positive"]

_MASK = 0xFFFFFFFF
_SEED = 0x9747B28C
_M = 0x5BD1E995
_R = 24


def murmur2(data: bytes) -> int:
    """Java's ``Utils.murmur2(data)``: a signed 32-bit hash of ``data``."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length - length % 4
    for start in range(0, whole, 4):
        k = int.from_bytes(data[start : start + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> _R
        k = (k * _M) & _MASK
        h = (h * _M) & _MASK
        h ^= k
    left = length % 4
    # Java's switch falls through from case 3 to case 1.
    if left == 3:
        h ^= data[whole + 2] << 16
    if left >= 2:
        h ^= data[whole + 1] << 8
    if left >= 1:
        h ^= data[whole]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - 2**32 if h >= 2**31 else h


def to_positive(number: int) -> int:
    """Java's ``Utils.toPositive``: clear the sign bit of a 32-bit int (``number & 0x7fffffff``)."""
    return number & 0x7FFFFFFF
