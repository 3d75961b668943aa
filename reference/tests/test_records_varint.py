"""Zigzag varints and varlongs (``glasskafka.records.varint``; wire-protocol.md §9).

Round-trips over the whole int32/int64 ranges, the byte patterns Kafka's ``ByteUtils`` writes,
agreement with kafka-python's encoder and decoder, and every way the input can be malformed.
"""

from __future__ import annotations

import pytest
from glasskafka.records import CorruptRecordError
from glasskafka.records.varint import (
    VARINT_MAX_BYTES,
    VARLONG_MAX_BYTES,
    decode_zigzag_varint,
    decode_zigzag_varlong,
    encode_zigzag_varint,
    encode_zigzag_varlong,
    zigzag_varint_size,
    zigzag_varlong_size,
)
from hypothesis import given
from hypothesis import strategies as st
from kafka.record.util import decode_varint as kafka_decode_varint
from kafka.record.util import encode_varint as kafka_encode_varint

INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)

# Zigzag interleaves signs, then base 128 writes 7 bits a byte, least significant first.
KNOWN_VARINTS = [
    (0, "00"),
    (-1, "01"),
    (1, "02"),
    (-2, "03"),
    (63, "7e"),
    (-64, "7f"),
    (64, "8001"),
    (-65, "8101"),
    (300, "d804"),
    (2**31 - 1, "feffffff0f"),
    (-(2**31), "ffffffff0f"),
]


@pytest.mark.parametrize(("value", "encoded"), KNOWN_VARINTS)
def test_known_varint_bytes(value: int, encoded: str) -> None:
    assert encode_zigzag_varint(value).hex() == encoded
    assert decode_zigzag_varint(bytes.fromhex(encoded)) == (value, len(encoded) // 2)


def test_varlong_extremes_take_ten_bytes() -> None:
    assert encode_zigzag_varlong(2**63 - 1).hex() == "feffffffffffffffff01"
    assert encode_zigzag_varlong(-(2**63)).hex() == "ffffffffffffffffff01"


@given(INT32)
def test_varint_round_trip(value: int) -> None:
    encoded = encode_zigzag_varint(value)
    assert len(encoded) == zigzag_varint_size(value) <= VARINT_MAX_BYTES
    assert decode_zigzag_varint(encoded) == (value, len(encoded))


@given(INT64)
def test_varlong_round_trip(value: int) -> None:
    encoded = encode_zigzag_varlong(value)
    assert len(encoded) == zigzag_varlong_size(value) <= VARLONG_MAX_BYTES
    assert decode_zigzag_varlong(encoded) == (value, len(encoded))


@given(st.binary(max_size=8), INT64, st.binary(max_size=8))
def test_decoding_starts_at_position_and_reports_the_next(
    before: bytes, value: int, after: bytes
) -> None:
    data = before + encode_zigzag_varlong(value) + after
    assert decode_zigzag_varlong(data, len(before)) == (value, len(data) - len(after))


@given(INT64)
def test_same_bytes_as_kafka_python(value: int) -> None:
    ours = encode_zigzag_varlong(value)
    theirs = bytearray()
    kafka_encode_varint(value, theirs.append)
    assert ours == bytes(theirs)
    assert kafka_decode_varint(bytearray(ours), 0) == (value, len(ours))


@given(INT32)
def test_small_magnitudes_stay_short_whatever_the_sign(value: int) -> None:
    # The point of zigzag: n and -n-1 map to 2n and 2n+1, which never straddle a 7-bit boundary.
    assert zigzag_varint_size(value) == zigzag_varint_size(-value - 1)


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**40])
def test_varint_refuses_values_outside_int32(value: int) -> None:
    with pytest.raises(ValueError, match="int32"):
        encode_zigzag_varint(value)
    with pytest.raises(ValueError, match="int32"):
        zigzag_varint_size(value)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])
def test_varlong_refuses_values_outside_int64(value: int) -> None:
    with pytest.raises(ValueError, match="int64"):
        encode_zigzag_varlong(value)
    with pytest.raises(ValueError, match="int64"):
        zigzag_varlong_size(value)


@given(INT64)
def test_every_truncation_is_reported_as_cut_off(value: int) -> None:
    encoded = encode_zigzag_varlong(value)
    for cut in range(len(encoded)):
        with pytest.raises(CorruptRecordError, match="cut off"):
            decode_zigzag_varlong(encoded[:cut])


def test_position_at_or_past_the_end_is_cut_off() -> None:
    with pytest.raises(CorruptRecordError, match="cut off"):
        decode_zigzag_varint(b"\x02", 1)
    with pytest.raises(CorruptRecordError, match="cut off"):
        decode_zigzag_varint(b"\x02", 7)


def test_negative_position_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="position"):
        decode_zigzag_varint(b"\x02", -1)


def test_over_long_encodings_are_malformed() -> None:
    # Six continuation bytes: a varint may use at most five.
    with pytest.raises(CorruptRecordError, match="longer than 5"):
        decode_zigzag_varint(b"\x80\x80\x80\x80\x80\x00")
    with pytest.raises(CorruptRecordError, match="longer than 10"):
        decode_zigzag_varlong(b"\x80" * 10 + b"\x00")
    # A padded zero ("80 00") is still within 5 bytes and decodes, as Kafka's reader allows.
    assert decode_zigzag_varint(b"\x80\x00") == (0, 2)


def test_a_fifth_byte_that_overflows_32_bits_is_malformed() -> None:
    assert decode_zigzag_varint(b"\xff\xff\xff\xff\x0f")[0] == -(2**31)
    with pytest.raises(CorruptRecordError, match="overflows 32 bits"):
        decode_zigzag_varint(b"\xff\xff\xff\xff\x1f")
    with pytest.raises(CorruptRecordError, match="overflows 64 bits"):
        decode_zigzag_varlong(b"\xff" * 9 + b"\x03")


@given(st.binary(max_size=16), st.integers(min_value=0, max_value=20))
def test_random_bytes_decode_or_raise_corrupt(data: bytes, position: int) -> None:
    for decode, bits in ((decode_zigzag_varint, 32), (decode_zigzag_varlong, 64)):
        try:
            value, after = decode(data, position)
        except CorruptRecordError:
            continue
        assert -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
        assert position < after <= len(data)
