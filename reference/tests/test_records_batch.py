"""Whole batches: encode, decode, iterate (``glasskafka.records.batch`` and ``control``).

Round-trips are Hypothesis-driven over keys, values, headers (null values included), timestamps,
offsets with compaction gaps, producer fields and both supported codecs.  Bad arguments to the
encoder raise ``ValueError`` naming what was wrong.
"""

from __future__ import annotations

import struct

import pytest
from glasskafka.errors import ErrorCode
from glasskafka.records import (
    BATCH_HEADER_SIZE,
    NO_TIMESTAMP,
    Compression,
    ControlRecordType,
    CorruptRecordError,
    DecodedBatch,
    Record,
    UnsupportedCompressionError,
    batch_crc,
    decode_batch,
    encode_batch,
    encode_control_batch,
    iter_batches,
    read_end_transaction_marker,
    read_header,
)
from hypothesis import given
from hypothesis import strategies as st

HEADERS = st.lists(
    st.tuples(st.text(max_size=8), st.none() | st.binary(max_size=8)), max_size=3
).map(tuple)
RECORDS = st.builds(
    Record,
    key=st.none() | st.binary(max_size=16),
    value=st.none() | st.binary(max_size=64),
    headers=HEADERS,
    timestamp=st.integers(min_value=-1, max_value=2**50),
)
CODECS = st.sampled_from([Compression.NONE, Compression.GZIP])


@st.composite
def gapped_deltas(draw: st.DrawFn, count: int) -> list[int]:
    """Strictly increasing offset deltas, as compaction leaves them."""
    deltas = draw(
        st.sets(st.integers(min_value=0, max_value=10_000), min_size=count, max_size=count)
    )
    return sorted(deltas)


def assert_round_trip(decoded: DecodedBatch, records: list[Record], offsets: list[int]) -> None:
    assert [r.offset for r in decoded.records] == offsets
    assert [(r.key, r.value, r.headers, r.timestamp) for r in decoded.records] == [
        (r.key, r.value, r.headers, r.timestamp) for r in records
    ]


@given(
    records=st.lists(RECORDS, min_size=1, max_size=8),
    codec=CODECS,
    base_offset=st.integers(min_value=0, max_value=2**62),
    producer_id=st.integers(min_value=-1, max_value=2**62),
    producer_epoch=st.integers(min_value=-1, max_value=2**15 - 1),
    base_sequence=st.integers(min_value=-1, max_value=2**31 - 1),
    transactional=st.booleans(),
)
def test_round_trip(
    records: list[Record],
    codec: Compression,
    base_offset: int,
    producer_id: int,
    producer_epoch: int,
    base_sequence: int,
    transactional: bool,
) -> None:
    batch = encode_batch(
        records,
        base_offset=base_offset,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        base_sequence=base_sequence,
        compression=codec,
        is_transactional=transactional,
    )
    decoded = decode_batch(batch)
    header = decoded.header
    assert header.size == len(batch)
    assert header.compression is codec and header.is_transactional == transactional
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (
        producer_id,
        producer_epoch,
        base_sequence,
    )
    assert header.base_timestamp == records[0].timestamp
    assert header.max_timestamp == max(r.timestamp for r in records)
    assert header.records_count == len(records) == header.last_offset_delta + 1
    assert_round_trip(decoded, records, [base_offset + i for i in range(len(records))])


@given(st.data(), st.lists(RECORDS, max_size=6), CODECS)
def test_round_trip_with_compaction_gaps(
    data: st.DataObject, records: list[Record], codec: Compression
) -> None:
    deltas = data.draw(gapped_deltas(len(records)))
    last = data.draw(st.integers(min_value=deltas[-1] if deltas else 0, max_value=20_000))
    batch = encode_batch(
        records, base_offset=100, offset_deltas=deltas, last_offset_delta=last, compression=codec
    )
    decoded = decode_batch(batch)
    assert decoded.header.last_offset == 100 + last
    assert_round_trip(decoded, records, [100 + d for d in deltas])


def test_empty_batch_keeps_its_offset_range_and_has_no_timestamps() -> None:
    batch = encode_batch([], base_offset=7, last_offset_delta=4, producer_id=3, base_sequence=10)
    decoded = decode_batch(batch)
    assert decoded.records == ()
    header = decoded.header
    assert (header.next_offset, header.records_count, header.last_sequence) == (12, 0, 14)
    assert header.base_timestamp == header.max_timestamp == NO_TIMESTAMP
    assert len(batch) == BATCH_HEADER_SIZE


def test_an_empty_batch_left_by_compaction_keeps_its_max_timestamp() -> None:
    batch = encode_batch([], last_offset_delta=2, max_timestamp=1_700_000_000_000)
    header = decode_batch(batch).header
    assert (header.base_timestamp, header.max_timestamp) == (NO_TIMESTAMP, 1_700_000_000_000)


@given(st.lists(RECORDS, min_size=1, max_size=5))
def test_log_append_time_reports_the_max_timestamp_for_every_record(records: list[Record]) -> None:
    decoded = decode_batch(encode_batch(records, log_append_time=True))
    assert decoded.header.log_append_time
    assert {r.timestamp for r in decoded.records} == {max(r.timestamp for r in records)}


@given(st.lists(RECORDS, min_size=1, max_size=5), st.integers(min_value=0, max_value=2**50))
def test_log_append_time_given_as_max_timestamp(records: list[Record], now_ms: int) -> None:
    decoded = decode_batch(encode_batch(records, log_append_time=True, max_timestamp=now_ms))
    assert decoded.header.max_timestamp == now_ms
    assert decoded.header.base_timestamp == records[0].timestamp
    assert {r.timestamp for r in decoded.records} == {now_ms}


@given(st.lists(RECORDS, max_size=5), CODECS)
def test_encoding_is_deterministic(records: list[Record], codec: Compression) -> None:
    # gzip writes a modification time into its header; it is pinned to 0 so the CRC is stable.
    last_offset_delta = None if records else 0
    first = encode_batch(records, compression=codec, last_offset_delta=last_offset_delta)
    assert encode_batch(records, compression=codec, last_offset_delta=last_offset_delta) == first


def test_gzip_actually_compresses() -> None:
    records = [Record(value=b"glasskafka " * 50, timestamp=i) for i in range(20)]
    plain = encode_batch(records)
    gzipped = encode_batch(records, compression=Compression.GZIP)
    assert len(gzipped) < len(plain) // 5
    # recordsCount stays in the clear, in front of the compressed blob.
    assert read_header(gzipped).records_count == 20
    assert gzipped[BATCH_HEADER_SIZE : BATCH_HEADER_SIZE + 2] == b"\x1f\x8b"  # gzip's magic


@pytest.mark.parametrize("codec", [Compression.SNAPPY, Compression.LZ4, Compression.ZSTD])
def test_other_codecs_are_refused_when_encoding(codec: Compression) -> None:
    with pytest.raises(UnsupportedCompressionError, match=codec.name.lower()) as caught:
        encode_batch([Record(value=b"v")], compression=codec)
    assert caught.value.error_code is ErrorCode.UNSUPPORTED_COMPRESSION_TYPE
    assert not isinstance(caught.value, CorruptRecordError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"records": []}, "explicit last_offset_delta"),
        ({"offset_deltas": [0]}, "1 entries for 2 records"),
        ({"offset_deltas": [1, 1]}, "strictly increase"),
        ({"offset_deltas": [-1, 0]}, "offset delta"),
        ({"offset_deltas": [0, 5], "last_offset_delta": 4}, "last_offset_delta 4"),
        ({"last_offset_delta": -1}, "last_offset_delta"),
        ({"base_offset": 2**63}, "base_offset"),
        ({"partition_leader_epoch": 2**31}, "partition_leader_epoch"),
        ({"producer_id": -(2**63) - 1}, "producer_id"),
        ({"producer_epoch": 2**15}, "producer_epoch"),
        ({"base_sequence": 2**31}, "base_sequence"),
        ({"records": [Record(key="text")]}, "record key must be bytes"),  # type: ignore[arg-type]
        ({"records": [Record(value=3)]}, "record value must be bytes"),  # type: ignore[arg-type]
        ({"records": [b"raw"]}, "Record values"),
        ({"records": [Record(timestamp=2**63)]}, "record timestamp"),
        ({"records": [Record(timestamp=-(2**62)), Record(timestamp=2**62 + 1)]}, "first record"),
        ({"records": [Record(headers=(("k",),))]}, "pair"),  # type: ignore[arg-type]
        ({"records": [Record(headers=((1, b"v"),))]}, "pair"),  # type: ignore[arg-type]
        ({"records": [Record(headers=(("k", "v"),))]}, "value of header"),  # type: ignore[arg-type]
        ({"records": [Record(headers=(("\ud800", b""),))]}, "UTF-8"),
        ({"records": [Record(headers="k")]}, "tuple"),  # type: ignore[arg-type]
        ({"compression": 9}, "Compression"),
        ({"max_timestamp": 2**63}, "max_timestamp"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"records": [Record(), Record()], **kwargs}
    with pytest.raises(ValueError, match=message):
        encode_batch(**arguments)  # type: ignore[arg-type]


def test_decode_at_a_position_and_refuse_a_negative_one() -> None:
    batch = encode_batch([Record(value=b"v")], base_offset=5)
    assert decode_batch(b"\x00" * 3 + batch, 3).records[0].offset == 5
    with pytest.raises(ValueError, match="position"):
        decode_batch(batch, -1)


def test_decompression_is_bounded() -> None:
    batch = encode_batch([Record(value=bytes(10_000))], compression=Compression.GZIP)
    assert decode_batch(batch, max_decompressed_bytes=20_000).records[0].value == bytes(10_000)
    with pytest.raises(CorruptRecordError, match="inflates past 1000 bytes"):
        decode_batch(batch, max_decompressed_bytes=1000)


# --- iter_batches -----------------------------------------------------------------------------


@given(st.lists(st.lists(RECORDS, min_size=1, max_size=3), min_size=1, max_size=4))
def test_iter_batches_finds_every_whole_batch(groups: list[list[Record]]) -> None:
    batches, offset = [], 0
    for group in groups:
        batches.append(encode_batch(group, base_offset=offset))
        offset += len(group)
    log = b"".join(batches)
    found = list(iter_batches(log))
    starts = [sum(len(b) for b in batches[:i]) for i in range(len(batches))]
    assert [position for position, _ in found] == starts
    assert [header.base_offset for _, header in found] == [
        read_header(b).base_offset for b in batches
    ]
    # A crash can leave a partial batch at the end: iteration stops before it, at every cut.
    last_start = starts[-1]
    for cut in range(last_start, len(log)):
        assert [p for p, _ in iter_batches(log[:cut])] == starts[:-1]


def test_iter_batches_does_not_check_the_crc() -> None:
    batch = bytearray(encode_batch([Record(value=b"v")]))
    batch[-1] ^= 0xFF
    assert len(list(iter_batches(bytes(batch)))) == 1


def test_iter_batches_from_a_position() -> None:
    batch = encode_batch([Record(value=b"v")])
    assert [p for p, _ in iter_batches(batch * 3, len(batch))] == [len(batch), 2 * len(batch)]
    assert list(iter_batches(batch, len(batch) + 5)) == []
    with pytest.raises(ValueError, match="position"):
        list(iter_batches(batch, -1))


@pytest.mark.parametrize("batch_length", [-5, 0, 48])
def test_iter_batches_refuses_a_length_it_cannot_step_over(batch_length: int) -> None:
    good = encode_batch([Record(value=b"v")])
    bad = bytearray(good)
    struct.pack_into(">i", bad, 8, batch_length)
    with pytest.raises(CorruptRecordError, match="shorter than a header"):
        list(iter_batches(good + bytes(bad)))


# --- control batches --------------------------------------------------------------------------


@given(
    commit=st.booleans(),
    producer_id=st.integers(min_value=0, max_value=2**63 - 1),
    producer_epoch=st.integers(min_value=0, max_value=2**15 - 1),
    coordinator_epoch=st.integers(min_value=0, max_value=2**31 - 1),
    base_offset=st.integers(min_value=0, max_value=2**62),
    timestamp=st.integers(min_value=0, max_value=2**50),
)
def test_control_batch_round_trip(
    commit: bool,
    producer_id: int,
    producer_epoch: int,
    coordinator_epoch: int,
    base_offset: int,
    timestamp: int,
) -> None:
    batch = encode_control_batch(
        commit=commit,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        coordinator_epoch=coordinator_epoch,
        base_offset=base_offset,
        timestamp=timestamp,
    )
    decoded = decode_batch(batch)
    header = decoded.header
    assert header.is_control and header.is_transactional and header.base_sequence == -1
    marker = read_end_transaction_marker(decoded)
    expected = ControlRecordType.COMMIT if commit else ControlRecordType.ABORT
    assert marker.control_type is expected
    assert (marker.producer_id, marker.producer_epoch) == (producer_id, producer_epoch)
    assert (marker.coordinator_epoch, marker.offset, marker.timestamp) == (
        coordinator_epoch,
        base_offset,
        timestamp,
    )


def test_control_record_bytes() -> None:
    record = decode_batch(
        encode_control_batch(commit=False, producer_id=1, producer_epoch=0, coordinator_epoch=7)
    ).records[0]
    assert record.key == bytes.fromhex("0000 0000")  # version 0, type 0 = abort
    assert record.value == bytes.fromhex("0000 00000007")  # version 0, coordinator epoch 7


def control(key: bytes | None, value: bytes | None, *, count: int = 1) -> DecodedBatch:
    return decode_batch(
        encode_batch([Record(key=key, value=value)] * count, producer_id=1, is_control=True)
    )


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (decode_batch(encode_batch([Record(key=b"\0\0\0\1", value=bytes(6))])), "not a control"),
        (control(b"\0\0\0\1", bytes(6), count=2), "one record, not 2"),
        (control(None, bytes(6)), "shorter than 4"),
        (control(b"\0\0\0", bytes(6)), "shorter than 4"),
        (control(b"\0\0\0\2", bytes(6)), "type 2 is unknown"),
        (control(b"\xff\xff\0\1", bytes(6)), "version -1"),
        (control(b"\0\0\0\1", None), "shorter than 6"),
        (control(b"\0\0\0\1", bytes(5)), "shorter than 6"),
        (control(b"\0\0\0\1", b"\xff\xff" + bytes(4)), "negative"),
    ],
)
def test_malformed_markers_are_corrupt(batch: DecodedBatch, message: str) -> None:
    with pytest.raises(CorruptRecordError, match=message):
        read_end_transaction_marker(batch)


def test_newer_marker_versions_are_read_as_version_0() -> None:
    marker = read_end_transaction_marker(
        control(b"\0\1\0\1" + b"extra", bytes.fromhex("0001 00000009") + b"tag")
    )
    assert marker.control_type is ControlRecordType.COMMIT and marker.coordinator_epoch == 9


def test_coordinator_epoch_must_be_int32() -> None:
    with pytest.raises(ValueError, match="coordinator_epoch"):
        encode_control_batch(commit=True, producer_id=1, producer_epoch=0, coordinator_epoch=2**31)


def test_a_batch_crc_is_recomputed_for_every_field_inside_it() -> None:
    plain = encode_batch([Record(value=b"v")], producer_id=1)
    other = encode_batch([Record(value=b"v")], producer_id=2)
    assert batch_crc(plain) != batch_crc(other)
