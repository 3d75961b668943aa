"""CRC-32C written out for study: the checksum that guards every RecordBatch v2.

Theory of operation
-------------------
A cyclic redundancy check treats the data as one long binary polynomial and keeps the remainder
of dividing it by a fixed *generator* polynomial.  Any burst of flipped bits shorter than 32 and
any odd number of flipped bits changes the remainder, so the 32-bit result detects the damage a
disk or a network typically does.  Kafka's v2 batches use CRC-32C, the Castagnoli polynomial
(KIP-98 chose it: modern CPUs compute it in one instruction), not the older CRC-32 of ``zlib``
that magic 0 and 1 used (``reference/wire-protocol.md`` §9).

Reading this version:

1. *Reflected* means bits are processed least significant first, so the polynomial 0x1EDC6F41 is
   written bit-reversed as :data:`POLYNOMIAL` = 0x82F63B78 and the register shifts right.
2. The register starts as all ones and is inverted at the end, so leading zero bytes change the
   result (a CRC that starts at zero could not tell ``b"\\x00abc"`` from ``b"abc"``).
3. Dividing one byte at a time needs eight shift-and-maybe-XOR steps.  Those eight steps depend
   only on the low byte of the register XOR the input byte, so they are done once for all 256
   values and kept in :data:`TABLE`; each input byte then costs one lookup, one shift, one XOR.

The check value every CRC-32C implementation must reproduce is
``crc32c_teaching(b"123456789") == 0xE3069283``.

Rules kept here: this module is the readable reference.  Production code (``header.py``,
``batch.py``) calls the ``crc32c`` package, a C implementation that is hundreds of times faster;
``reference/tests/test_records_crc.py`` proves the two agree.

Spec IDs: none (a checksum).

Simplified from Kafka: Kafka's ``Crc32C.java`` delegates to ``java.util.zip.CRC32C`` (Java 9+),
which uses the CPU's CRC32 instruction; this table walk is the textbook algorithm only.
"""

from __future__ import annotations

__all__ = ["CHECK_VALUE", "POLYNOMIAL", "TABLE", "crc32c_teaching"]

POLYNOMIAL = 0x82F63B78
"""The Castagnoli polynomial 0x1EDC6F41, bit-reversed for least-significant-bit-first processing."""

CHECK_VALUE = 0xE3069283
"""CRC-32C of the nine ASCII bytes ``b"123456789"``: the standard check value."""


def _table_entry(index: int) -> int:
    """The register after feeding eight zero bits into a register holding ``index``."""
    register = index
    for _ in range(8):
        # Shifting out a 1 means the generator "divides" here, so subtract (XOR) it.
        register = (register >> 1) ^ POLYNOMIAL if register & 1 else register >> 1
    return register


TABLE: tuple[int, ...] = tuple(_table_entry(index) for index in range(256))
"""The 256 precomputed eight-step remainders, one per value of a byte."""


def crc32c_teaching(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-32C of ``data``; pass a previous result as ``crc`` to continue over more data.

    ``crc32c_teaching(b + c) == crc32c_teaching(c, crc32c_teaching(b))``, as with ``crc32c``.
    """
    register = crc ^ 0xFFFFFFFF
    for byte in bytes(data):
        register = (register >> 8) ^ TABLE[(register ^ byte) & 0xFF]
    return register ^ 0xFFFFFFFF
