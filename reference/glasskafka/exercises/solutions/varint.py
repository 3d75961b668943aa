"""Lab varint, solved: glasskafka.records.varint for 32-bit values.

Simplified from Kafka: refuses a fifth byte with bits past 32, which Kafka drops.
"""

from __future__ import annotations

from glasskafka.records import CorruptRecordError

__all__ = ["decode_zigzag_varint", "encode_zigzag_varint"]


def encode_zigzag_varint(value: int) -> bytes:
    """Encode a signed 32-bit integer as a zigzag varint (1 to 5 bytes)."""
    if not -(2**31) <= value < 2**31:
        raise ValueError(f"varint value {value} is outside the int32 range")
    raw = (value << 1) ^ (value >> 31)
    out = bytearray()
    while raw >= 0x80:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)
    return bytes(out)


def decode_zigzag_varint(buffer: bytes, position: int = 0) -> tuple[int, int]:
    """Decode the zigzag varint at ``buffer[position]``; return (value, next position)."""
    raw = 0
    for index in range(position, min(len(buffer), position + 5)):
        byte = buffer[index]
        raw |= (byte & 0x7F) << (7 * (index - position))
        if not byte & 0x80:
            if raw >> 32:
                raise CorruptRecordError(f"varint at {position} overflows 32 bits")
            return (raw >> 1) ^ -(raw & 1), index + 1
    if len(buffer) >= position + 5:
        raise CorruptRecordError(f"varint at {position} is longer than 5 bytes")
    raise CorruptRecordError(f"varint at {position} is cut off by the end of the data")
