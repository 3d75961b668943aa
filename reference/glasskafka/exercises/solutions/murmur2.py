"""Lab murmur2, solved: Java's ``Utils.murmur2`` and the producer's keyed-partition rule.

Simplified from Kafka: nothing; this is the whole algorithm.
"""

from __future__ import annotations

__all__ = ["keyed_partition", "murmur2"]

_MASK = 0xFFFFFFFF
_M = 0x5BD1E995


def murmur2(data: bytes) -> int:
    """Java's ``Utils.murmur2(data)``, as a signed 32-bit int."""
    length = len(data)
    h = (0x9747B28C ^ length) & _MASK
    whole = length - length % 4
    for start in range(0, whole, 4):
        k = (int.from_bytes(data[start : start + 4], "little") * _M) & _MASK
        k = ((k ^ (k >> 24)) * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = data[whole:]
    if len(tail) == 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h = ((h ^ tail[0]) * _M) & _MASK
    h = ((h ^ (h >> 13)) * _M) & _MASK
    h ^= h >> 15
    return h - 2**32 if h >= 2**31 else h


def keyed_partition(key_bytes: bytes, num_partitions: int) -> int:
    """``to_positive(murmur2(key)) % num_partitions``; ``ValueError`` for no partitions."""
    if num_partitions <= 0:
        raise ValueError(f"num_partitions={num_partitions}: a topic has 1 or more partitions")
    return (murmur2(key_bytes) & 0x7FFFFFFF) % num_partitions
