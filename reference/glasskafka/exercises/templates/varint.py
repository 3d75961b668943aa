"""Lab varint: the zigzag varints inside every Kafka record.

Write ``encode_zigzag_varint`` and ``decode_zigzag_varint`` below.  ``glasskafka exercise check
varint`` plugs them into glasskafka's record encoder and decoder (lengths, offset deltas, key and
value sizes, header counts), so every batch written during the check uses your varints.

Simplified from Kafka: Kafka's ``ByteUtils.readVarint`` silently drops bits past 32 in a fifth
byte; this contract refuses them, as glasskafka does.
"""

from __future__ import annotations

from glasskafka.records import CorruptRecordError  # noqa: F401 -- for the decoder to raise

__all__ = ["decode_zigzag_varint", "encode_zigzag_varint"]


def encode_zigzag_varint(value: int) -> bytes:
    """Encode a signed 32-bit integer as a zigzag varint (1 to 5 bytes).

    Before: ``value`` is an int.

    Returns: the encoding, in two steps (Protocol Buffers' ``sint32``, Kafka's
    ``ByteUtils.writeVarint``):

    1. zigzag: map 0, -1, 1, -2, 2, ... to 0, 1, 2, 3, 4, ... so small magnitudes of either sign
       stay small: ``(value << 1) ^ (value >> 31)`` on 32 bits;
    2. base 128: cut the unsigned result into 7-bit groups, least significant first; every byte
       but the last has its top bit (0x80) set, meaning "more follows".

    Errors: ``ValueError`` if ``value`` is outside -2**31 .. 2**31 - 1.

    Examples:
        >>> encode_zigzag_varint(0), encode_zigzag_varint(-1), encode_zigzag_varint(1)
        (b'\\x00', b'\\x01', b'\\x02')
        >>> encode_zigzag_varint(64)
        b'\\x80\\x01'
        >>> encode_zigzag_varint(-(2**31))
        b'\\xff\\xff\\xff\\xff\\x0f'
    """
    raise NotImplementedError("write encode_zigzag_varint")


def decode_zigzag_varint(buffer: bytes, position: int = 0) -> tuple[int, int]:
    """Decode the zigzag varint that starts at ``buffer[position]``.

    Before: ``0 <= position``; ``buffer`` may hold more data after the varint.

    Returns: ``(value, position just after the varint)``.

    Errors: :class:`CorruptRecordError` (imported above) if the buffer ends in the middle of the
    varint, if the varint would be longer than 5 bytes, or if it encodes more than 32 bits (a
    fifth byte above 0x0F).  Never reads past the end of ``buffer``.

    Examples:
        >>> decode_zigzag_varint(b"\\x03")
        (-2, 1)
        >>> decode_zigzag_varint(b"\\xaa\\x80\\x01\\x00", 1)
        (64, 3)
    """
    raise NotImplementedError("write decode_zigzag_varint")
