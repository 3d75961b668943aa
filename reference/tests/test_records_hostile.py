"""Hostile input: whatever bytes arrive, decoding fails cleanly (wire-protocol.md §12, item 4).

The promise of ``decode_batch``: it returns a batch or raises :class:`CorruptRecordError` (or
:class:`UnsupportedCompressionError` for a codec glasskafka lacks), never ``IndexError``,
``struct.error``, ``UnicodeDecodeError`` or ``MemoryError``, and never allocates from a length it
has not checked.  Most malformed batches here are *resealed* (their CRC recomputed), so the
damage gets past the CRC check and reaches the record parser, as a buggy producer's would.
"""

from __future__ import annotations

import contextlib
import gzip
import struct
import zlib

import pytest
from glasskafka.records import (
    BATCH_HEADER_SIZE,
    Compression,
    CorruptRecordError,
    Record,
    UnsupportedCompressionError,
    batch_crc,
    decode_batch,
    encode_batch,
    encode_control_batch,
    iter_batches,
)
from glasskafka.records.varint import encode_zigzag_varint as varint
from glasskafka.records.varint import encode_zigzag_varlong as varlong
from hypothesis import given
from hypothesis import strategies as st

CLEAN_ERRORS = (CorruptRecordError, UnsupportedCompressionError)
VALID_BATCHES = [
    encode_batch(
        [
            Record(key=b"key", value=b"value", headers=(("h", b"1"), ("n", None)), timestamp=5),
            Record(key=None, value=None, timestamp=3),
        ],
        base_offset=9,
        producer_id=4,
        producer_epoch=0,
        base_sequence=0,
    ),
    encode_batch(
        [Record(value=b"compressible " * 8, timestamp=t) for t in range(3)],
        compression=Compression.GZIP,
    ),
    encode_control_batch(commit=True, producer_id=4, producer_epoch=1, coordinator_epoch=2),
    encode_batch([], last_offset_delta=3),
]


def reseal(batch: bytes | bytearray) -> bytes:
    """Fix the batch length and the CRC after a change, so the record parser sees the damage."""
    sealed = bytearray(batch)
    struct.pack_into(">i", sealed, 8, len(sealed) - 12)
    struct.pack_into(">I", sealed, 17, batch_crc(sealed))
    return bytes(sealed)


def raw_batch(
    records_part: bytes, *, records_count: int, last_offset_delta: int = -2, attributes: int = 0
) -> bytes:
    """A batch around arbitrary record bytes, with a valid length and CRC."""
    last = records_count - 1 if last_offset_delta == -2 else last_offset_delta
    header = struct.pack(
        ">qiibIhiqqqhii", 0, 0, -1, 2, 0, attributes, last, 0, 0, -1, -1, -1, records_count
    )
    return reseal(header + records_part)


def raw_record(fields: bytes, *, length: int | None = None) -> bytes:
    """A record: its length varint (the true length unless overridden) and its fields."""
    return varint(len(fields) if length is None else length) + fields


def fields(
    *,
    offset_delta: int = 0,
    key: bytes = varint(-1),
    value: bytes = varint(-1),
    headers: bytes = varint(0),
) -> bytes:
    """A record's fields after its length: attributes, timestamp and offset deltas, and the rest."""
    return b"\x00" + varlong(0) + varint(offset_delta) + key + value + headers


def decode_or_clean_error(data: bytes | bytearray) -> None:
    """Decode, accepting only success or a clean error; the input must not change."""
    before = bytes(data)
    with contextlib.suppress(*CLEAN_ERRORS):
        decode_batch(data)
    assert bytes(data) == before


def test_the_helpers_build_what_the_encoder_builds() -> None:
    # A check on the test's own tools: a hand-built null-key, null-value record decodes.
    decoded = decode_batch(raw_batch(raw_record(fields()), records_count=1))
    assert decoded.records[0].key is None and decoded.records[0].value is None


@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    decode_or_clean_error(data)
    with contextlib.suppress(CorruptRecordError):
        list(iter_batches(data))


@given(
    st.binary(max_size=200),
    st.integers(min_value=-3, max_value=40),
    st.sampled_from([0, 1, 2, 5, 7, 0x10, 0x20, 0x08]),
)
def test_random_records_behind_a_valid_header(body: bytes, count: int, attributes: int) -> None:
    decode_or_clean_error(raw_batch(body, records_count=count, attributes=attributes))


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=40))
def test_random_bytes_inside_a_valid_gzip_blob(body: bytes, count: int) -> None:
    blob = gzip.compress(body, mtime=0)
    decode_or_clean_error(raw_batch(blob, records_count=count, attributes=Compression.GZIP))


@pytest.mark.parametrize("batch", VALID_BATCHES)
def test_every_truncation_is_corrupt(batch: bytes) -> None:
    for cut in range(len(batch)):
        with pytest.raises(CorruptRecordError):
            decode_batch(batch[:cut])
        # Resealed, the truncation reaches the record parser.
        if cut >= BATCH_HEADER_SIZE and cut < len(batch):
            with pytest.raises(CorruptRecordError):
                decode_batch(reseal(batch[:cut]))


@given(st.sampled_from(VALID_BATCHES), st.data())
def test_mutated_batches(batch: bytes, data: st.DataObject) -> None:
    mutated = bytearray(batch)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(mutated) - 1))
        match data.draw(st.sampled_from(["set", "insert", "delete"])):
            case "set":
                mutated[position] = data.draw(st.integers(min_value=0, max_value=255))
            case "insert":
                mutated[position:position] = data.draw(st.binary(min_size=1, max_size=4))
            case _:
                del mutated[position]
    decode_or_clean_error(mutated)
    if len(mutated) >= BATCH_HEADER_SIZE:
        decode_or_clean_error(bytearray(reseal(mutated)))


@pytest.mark.parametrize(
    ("records_part", "count", "message"),
    [
        (raw_record(fields(), length=50), 1, "points past"),
        (raw_record(fields(), length=2**31 - 1), 1, "points past"),
        (raw_record(fields(), length=-1), 1, "too short"),
        (raw_record(fields(), length=-7), 1, "negative"),
        (raw_record(fields(key=varint(-2))), 1, "negative"),
        (raw_record(fields(key=varint(2**31 - 1))), 1, "key length 2147483647 points past"),
        (raw_record(fields(value=varint(40) + b"short")), 1, "value length 40 points past"),
        (raw_record(fields() + b"\x00\x00"), 1, "2 bytes early"),
        (raw_record(fields()) + b"\x00", 1, "1 bytes follow the last"),
        (raw_record(fields()) * 2, 1, "follow the last"),
        (raw_record(fields()), 2, "cannot fit"),
        (raw_record(fields()) * 3, 2_000_000_000, "cannot fit"),
        (raw_record(fields(headers=varint(2**31 - 1))), 1, "header count"),
        (raw_record(fields(headers=varint(-1))), 1, "header count"),
        (raw_record(fields(headers=varint(1) + varint(-1) + varint(-1))), 1, "key is null"),
        (raw_record(fields(headers=varint(1) + varint(2) + b"\xc3\x28" + varint(-1))), 1, "UTF-8"),
        (raw_record(fields(headers=varint(1) + varint(9) + b"k")), 1, "points past"),
        (raw_record(fields(offset_delta=1)), 1, "beyond lastOffsetDelta"),
        (raw_record(fields(offset_delta=-1)), 1, "out of order"),
        (
            raw_record(fields(offset_delta=1)) + raw_record(fields(offset_delta=1)),
            2,
            "out of order",
        ),
        (raw_record(b"\x00" + b"\xff" * 11), 1, "longer than 10 bytes"),
        (raw_record(b"\x00\x00" + b"\x80" * 5 + b"\x00"), 1, "longer than 5 bytes"),
        (b"\xff\xff\xff\xff\x1f" + fields(), 1, "overflows 32 bits"),
        (
            raw_record(b"\x00" + varlong(0) + varint(0) + varint(-1) + varint(-1) + b"\x80"),
            1,
            "cut off",
        ),
    ],
)
def test_crafted_records_are_corrupt(records_part: bytes, count: int, message: str) -> None:
    with pytest.raises(CorruptRecordError, match=message):
        decode_batch(raw_batch(records_part, records_count=count, last_offset_delta=count - 1))


@pytest.mark.parametrize("codec", [2, 3, 4])
def test_codecs_glasskafka_lacks_are_unsupported(codec: int) -> None:
    batch = raw_batch(b"\x00" * 20, records_count=1, attributes=codec)
    with pytest.raises(UnsupportedCompressionError):
        decode_batch(batch)


@pytest.mark.parametrize("codec", [5, 6, 7])
def test_codec_numbers_that_name_nothing_are_corrupt(codec: int) -> None:
    batch = raw_batch(raw_record(fields()), records_count=1, attributes=codec)
    with pytest.raises(CorruptRecordError, match=f"codec {codec}"):
        decode_batch(batch)


RECORD_GZ = gzip.compress(raw_record(fields()), mtime=0)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"not gzip at all", "corrupt"),
        (b"", "truncated"),
        (RECORD_GZ[:-3], "truncated"),
        (RECORD_GZ + b"junk", "corrupt"),
        (RECORD_GZ[:10] + bytes([RECORD_GZ[10] ^ 0xFF]) + RECORD_GZ[11:], "corrupt"),
        (gzip.compress(bytes(100_000_000 // 1000), mtime=0) * 1000, "inflates past"),
    ],
)
def test_bad_gzip_is_corrupt(blob: bytes, message: str) -> None:
    batch = raw_batch(blob, records_count=1, attributes=Compression.GZIP)
    with pytest.raises(CorruptRecordError, match=message):
        decode_batch(batch, max_decompressed_bytes=10_000_000)


def test_concatenated_gzip_members_are_one_stream() -> None:
    # Java's GZIPInputStream and Python's gzip module both read concatenated members.
    two = raw_record(fields()) + raw_record(fields(offset_delta=1))
    blob = gzip.compress(two[:3], mtime=0) + gzip.compress(two[3:], mtime=0)
    batch = raw_batch(blob, records_count=2, attributes=Compression.GZIP)
    assert [record.offset for record in decode_batch(batch).records] == [0, 1]


def gzip_of_zeros(size: int) -> bytes:
    """gzip of ``size`` zero bytes, built a mebibyte at a time so the test never holds them all."""
    deflater = zlib.compressobj(9, wbits=16 + zlib.MAX_WBITS)
    chunk = bytes(2**20)
    parts = [deflater.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + deflater.flush()


def test_a_gzip_bomb_is_refused_without_inflating_it() -> None:
    # 256 MiB of zeros deflate to about 256 KiB; the default ceiling stops inflation at 64 MiB.
    bomb = raw_batch(gzip_of_zeros(2**28), records_count=1, attributes=Compression.GZIP)
    assert len(bomb) < 2**20
    with pytest.raises(CorruptRecordError, match="inflates past"):
        decode_batch(bomb)
