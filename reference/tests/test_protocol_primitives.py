"""The wire primitives: every type round-trips, and no input makes the reader misbehave.

Checks ``glasskafka.protocol.primitives`` against Kafka's protocol guide, "Protocol Primitive
Types": byte layouts of known values, Hypothesis round-trips of every type (both varint kinds),
and hostile input -- truncations, lying lengths, bad UTF-8, overlong varints -- which must raise
``MalformedFrameError`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from glasskafka.protocol.errors import EncodeError, MalformedFrameError
from glasskafka.protocol.primitives import (
    INT_RANGES,
    STRING_MAX_BYTES,
    Reader,
    Writer,
    decode_unsigned_varint,
    encode_unsigned_varint,
)
from glasskafka.records.varint import decode_zigzag_varint, encode_zigzag_varint
from hypothesis import given
from hypothesis import strategies as st

INT_KINDS = sorted(INT_RANGES)


def written(action: Callable[[Writer], None]) -> bytes:
    writer = Writer()
    action(writer)
    return writer.to_bytes()


# --- known layouts (Kafka's protocol guide) -------------------------------------------------


def test_integers_are_big_endian_twos_complement() -> None:
    assert written(lambda w: w.write_int("int8", -1)) == b"\xff"
    assert written(lambda w: w.write_int("int16", 258)) == b"\x01\x02"
    assert written(lambda w: w.write_int("int32", -2)) == b"\xff\xff\xff\xfe"
    assert written(lambda w: w.write_int("int64", 1)) == b"\x00" * 7 + b"\x01"


def test_strings_have_an_int16_length_and_null_is_minus_one() -> None:
    assert written(lambda w: w.write_string("héllo")) == b"\x00\x06h\xc3\xa9llo"
    assert written(lambda w: w.write_string(None, nullable=True)) == b"\xff\xff"
    assert written(lambda w: w.write_string("")) == b"\x00\x00"


def test_bytes_have_an_int32_length_and_null_is_minus_one() -> None:
    assert written(lambda w: w.write_bytes(b"ab")) == b"\x00\x00\x00\x02ab"
    assert written(lambda w: w.write_bytes(None, nullable=True)) == b"\xff\xff\xff\xff"


def test_booleans_are_one_byte_and_any_nonzero_byte_reads_true() -> None:
    assert written(lambda w: w.write_boolean(True)) == b"\x01"
    # Kafka reads a boolean as `readByte() != 0`, so 0x02 is true, not an error.
    assert Reader(b"\x02").read_boolean() is True
    assert Reader(b"\x00").read_boolean() is False


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
     (2**32 - 1, b"\xff\xff\xff\xff\x0f")],
)  # fmt: skip
def test_unsigned_varint_known_values(value: int, encoded: bytes) -> None:
    assert encode_unsigned_varint(value) == encoded
    assert decode_unsigned_varint(encoded) == (value, len(encoded))


def test_the_two_varint_kinds_differ_and_must_not_be_mixed() -> None:
    # Unsigned: 1 -> 0x01.  Zigzag (records): 1 -> 0x02 and -1 -> 0x01.  Reading one kind
    # with the other's decoder silently gives a different number (wire-protocol.md §9).
    assert encode_unsigned_varint(1) == b"\x01"
    assert encode_zigzag_varint(1) == b"\x02"
    assert decode_zigzag_varint(encode_unsigned_varint(1))[0] == -1
    assert decode_unsigned_varint(encode_zigzag_varint(1))[0] == 2


# --- round-trips ----------------------------------------------------------------------------


@given(data=st.data(), kind=st.sampled_from(INT_KINDS))
def test_every_integer_round_trips(data: st.DataObject, kind: str) -> None:
    low, high = INT_RANGES[kind]
    value = data.draw(st.integers(low, high))
    reader = Reader(written(lambda w: w.write_int(kind, value)))
    assert reader.read_int(kind) == value
    reader.expect_end(kind)


@given(value=st.booleans())
def test_booleans_round_trip(value: bool) -> None:
    assert Reader(written(lambda w: w.write_boolean(value))).read_boolean() is value


@given(value=st.none() | st.text(max_size=300))
def test_nullable_strings_round_trip(value: str | None) -> None:
    reader = Reader(written(lambda w: w.write_string(value, nullable=True)))
    assert reader.read_string(nullable=True) == value
    reader.expect_end("string")


@given(value=st.none() | st.binary(max_size=300))
def test_nullable_bytes_round_trip(value: bytes | None) -> None:
    reader = Reader(written(lambda w: w.write_bytes(value, nullable=True)))
    assert reader.read_bytes(nullable=True) == value
    reader.expect_end("bytes")


@given(count=st.none() | st.integers(0, 50))
def test_array_counts_round_trip(count: int | None) -> None:
    payload = written(lambda w: w.write_array_length(count)) + b"\x00" * (count or 0)
    reader = Reader(payload)
    assert reader.read_array_length(nullable=True, min_element_size=1) == (
        -1 if count is None else count
    )


@given(value=st.integers(0, 2**32 - 1))
def test_unsigned_varints_round_trip(value: int) -> None:
    encoded = encode_unsigned_varint(value)
    assert 1 <= len(encoded) <= 5
    assert decode_unsigned_varint(encoded + b"\x00") == (value, len(encoded))
    assert Reader(encoded).read_unsigned_varint() == value


@given(value=st.integers(-(2**31), 2**31 - 1))
def test_zigzag_varints_round_trip_too(value: int) -> None:
    # The records' varint kind, tested here beside the unsigned kind it must not be confused with.
    assert decode_zigzag_varint(encode_zigzag_varint(value))[0] == value


# --- bad values at the writer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda w: w.write_int("int16", 2**15), "outside -32768..32767"),
        (lambda w: w.write_int("int32", True), "needs an int"),
        (lambda w: w.write_int("int8", "1"), "needs an int"),
        (lambda w: w.write_boolean(1), "needs a bool"),
        (lambda w: w.write_string(None), "needs a str"),
        (lambda w: w.write_string(b"x"), "needs a str"),
        (lambda w: w.write_string("\ud800"), "cannot be encoded as UTF-8"),
        (lambda w: w.write_string("x" * (STRING_MAX_BYTES + 1)), "exceeds 32767"),
        (lambda w: w.write_bytes("x"), "needs bytes"),
        (lambda w: w.write_unsigned_varint(-1), "unsigned varint"),
        (lambda w: w.write_unsigned_varint(2**32), "unsigned varint"),
    ],
)
def test_the_writer_refuses_values_that_do_not_fit(
    action: Callable[[Writer], None], message: str
) -> None:
    with pytest.raises(EncodeError, match=message):
        written(action)


# --- hostile input at the reader ------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "read", "message"),
    [
        (b"\x00", lambda r: r.read_int("int16"), "needs 2 bytes"),
        (b"\x00\x05abc", lambda r: r.read_string(), "needs 5 bytes"),
        (b"\xff\xff", lambda r: r.read_string(), "not nullable"),
        (b"\xff\xfe", lambda r: r.read_string(nullable=True), "length -2"),
        (b"\x00\x02\xc3\x28", lambda r: r.read_string(), "not UTF-8"),
        (b"\x7f\xff\xff\xff", lambda r: r.read_bytes(), "needs 2147483647 bytes"),
        (b"\x80\x00\x00\x00", lambda r: r.read_bytes(nullable=True), "length -2147483648"),
        (b"\x7f\xff\xff\xff" + b"\x00" * 8,
         lambda r: r.read_array_length(nullable=False, min_element_size=4), "claims 2147483647"),
        (b"\xff\xff\xff\xff", lambda r: r.read_array_length(nullable=False, min_element_size=1),
         "not nullable"),
        (b"\x80\x80\x80\x80\x80\x01", lambda r: r.read_unsigned_varint(), "longer than 5 bytes"),
        (b"\xff\xff\xff\xff\x1f", lambda r: r.read_unsigned_varint(), "overflows 32 bits"),
        (b"\x80", lambda r: r.read_unsigned_varint(), "cut off"),
        (b"\x05\x01", lambda r: r.skip_tagged_fields(), "cannot fit"),
        (b"\x01\x00\x09abc", lambda r: r.skip_tagged_fields(), "needs 9 bytes"),
        (b"\x00\x01", lambda r: r.expect_end("the body"), "2 unexpected bytes"),
    ],
)  # fmt: skip
def test_the_reader_refuses_malformed_input_with_a_clear_error(
    payload: bytes, read: Callable[[Reader], object], message: str
) -> None:
    with pytest.raises(MalformedFrameError, match=message):
        read(Reader(payload))


@given(payload=st.binary(max_size=40), kinds=st.lists(st.integers(0, 9), max_size=12))
def test_any_bytes_read_as_any_types_raise_only_malformed_frame_error(
    payload: bytes, kinds: list[int]
) -> None:
    reader = Reader(payload)
    reads: list[Callable[[], object]] = [
        lambda: reader.read_int("int8"),
        lambda: reader.read_int("int16"),
        lambda: reader.read_int("int32"),
        lambda: reader.read_int("int64"),
        reader.read_boolean,
        lambda: reader.read_string(nullable=True),
        lambda: reader.read_bytes(nullable=True),
        lambda: reader.read_array_length(nullable=True, min_element_size=2),
        reader.read_unsigned_varint,
        reader.skip_tagged_fields,
    ]
    try:
        for kind in kinds:
            reads[kind]()
    except MalformedFrameError:
        pass
    assert 0 <= reader.position <= len(payload)


def test_the_reader_never_reads_past_a_memoryview_slice() -> None:
    # A reader over part of a larger buffer must treat the slice's end as the frame's end.
    backing = b"\x00\x04abcd" + b"XXXX"
    reader = Reader(memoryview(backing)[:4])
    with pytest.raises(MalformedFrameError, match="needs 4 bytes; only 2 remain"):
        reader.read_string()
