"""Lab crc32c, solved: the table-driven CRC-32C of ``glasskafka.records.crc``.

Simplified from Kafka: Kafka uses the CPU's CRC32 instruction (``java.util.zip.CRC32C``).
"""

from __future__ import annotations

__all__ = ["crc32c"]

_POLYNOMIAL = 0x82F63B78


def _entry(index: int) -> int:
    register = index
    for _ in range(8):
        register = (register >> 1) ^ _POLYNOMIAL if register & 1 else register >> 1
    return register


_TABLE = tuple(_entry(index) for index in range(256))


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C (Castagnoli) of ``data``, continuing from a previous result ``crc``."""
    register = crc ^ 0xFFFFFFFF
    for byte in bytes(data):
        register = (register >> 8) ^ _TABLE[(register ^ byte) & 0xFF]
    return register ^ 0xFFFFFFFF
