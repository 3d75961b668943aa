"""The readable CRC-32C (``glasskafka.records.crc``) against the ``crc32c`` package.

The teaching version must reproduce the standard check value, agree with the C implementation on
any input (whole or in pieces), and agree with the CRC stored in real batches.
"""

from __future__ import annotations

import zlib

from crc32c import crc32c
from glasskafka.records import CRC_START, Record, batch_crc, encode_batch, read_header
from glasskafka.records.crc import CHECK_VALUE, POLYNOMIAL, TABLE, crc32c_teaching
from hypothesis import given
from hypothesis import strategies as st


def test_check_value() -> None:
    assert CHECK_VALUE == 0xE3069283
    assert crc32c_teaching(b"123456789") == CHECK_VALUE
    assert crc32c(b"123456789") == CHECK_VALUE


def test_crc32_of_zlib_is_a_different_checksum() -> None:
    # The magic 0/1 CRC: using it for v2 batches is the classic mistake (wire-protocol.md §9).
    assert zlib.crc32(b"123456789") == 0xCBF43926 != CHECK_VALUE


def test_table_is_the_castagnoli_table() -> None:
    assert POLYNOMIAL == 0x82F63B78
    assert len(TABLE) == 256
    # Entry 0x80 is the polynomial itself (one shift of a lone top bit); entry 1 is well known.
    assert TABLE[0] == 0
    assert TABLE[0x80] == POLYNOMIAL
    assert TABLE[1] == 0xF26B8303


def test_empty_input() -> None:
    assert crc32c_teaching(b"") == crc32c(b"") == 0


@given(st.binary(max_size=2048))
def test_agrees_with_the_crc32c_package(data: bytes) -> None:
    assert crc32c_teaching(data) == crc32c(data)


@given(st.binary(max_size=512), st.binary(max_size=512))
def test_continuing_over_pieces_equals_the_whole(first: bytes, second: bytes) -> None:
    assert crc32c_teaching(second, crc32c_teaching(first)) == crc32c_teaching(first + second)
    assert crc32c_teaching(second, crc32c_teaching(first)) == crc32c(second, crc32c(first))


@given(st.binary(min_size=1, max_size=256), st.data())
def test_any_single_bit_flip_changes_the_crc(data: bytes, draw: st.DataObject) -> None:
    bit = draw.draw(st.integers(min_value=0, max_value=len(data) * 8 - 1))
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert crc32c_teaching(bytes(flipped)) != crc32c_teaching(data)


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=5))
def test_the_crc_stored_in_a_batch_is_crc32c_from_byte_21(values: list[bytes]) -> None:
    batch = encode_batch([Record(value=value) for value in values])
    assert read_header(batch).crc == crc32c_teaching(batch[CRC_START:]) == batch_crc(batch)


def test_accepts_bytearray_and_memoryview() -> None:
    data = b"glasskafka"
    assert crc32c_teaching(bytearray(data)) == crc32c_teaching(memoryview(data)) == crc32c(data)
