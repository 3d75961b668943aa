"""Byte-level interop with kafka-python's record code (``kafka.record.default_records``).

Both directions, Hypothesis-driven: batches glasskafka encodes are read by kafka-python's
``DefaultRecordBatch`` and ``MemoryRecords`` (CRC, offsets, timestamps, keys, values, headers,
producer fields, gzip, control markers), and batches kafka-python's ``DefaultRecordBatchBuilder``
builds are read by glasskafka.  Uncompressed batches must be byte-for-byte identical.  A golden
vector pins one small batch, checked against both encoders.
"""

from __future__ import annotations

from typing import Any, TypedDict

from glasskafka.records import (
    Compression,
    Record,
    decode_batch,
    encode_batch,
    encode_control_batch,
    iter_batches,
    read_header,
    stamp,
)
from hypothesis import given
from hypothesis import strategies as st
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords

HEADERS = st.lists(
    st.tuples(st.text(max_size=8), st.none() | st.binary(max_size=8)), max_size=3
).map(tuple)
# Repeated words make gzip worthwhile, so kafka-python's builder keeps the compression.
VALUES = (
    st.none()
    | st.binary(max_size=40)
    | st.sampled_from([b"to", b"be", b"or"]).map(lambda w: w * 30)
)
RECORDS = st.builds(
    Record,
    key=st.none() | st.binary(max_size=16),
    value=VALUES,
    headers=HEADERS,
    timestamp=st.integers(min_value=0, max_value=2**50),
)
CODECS = st.sampled_from([Compression.NONE, Compression.GZIP])


class Producer(TypedDict):
    """The idempotence fields of a batch header (-1 when the producer is not idempotent)."""

    producer_id: int
    producer_epoch: int
    base_sequence: int


PRODUCER = st.builds(
    Producer,
    producer_id=st.integers(min_value=-1, max_value=2**62),
    producer_epoch=st.integers(min_value=-1, max_value=2**15 - 1),
    base_sequence=st.integers(min_value=-1, max_value=2**31 - 1),
)

GOLDEN_RECORDS = [
    Record(key=b"k", value=b"hello", headers=(("h", b"v"),), timestamp=1_700_000_000_000),
    Record(key=None, value=b"world", timestamp=1_700_000_000_005),
]
GOLDEN_ARGS: dict[str, Any] = {
    "partition_leader_epoch": 0,
    "producer_id": 1000,
    "producer_epoch": 0,
    "base_sequence": 0,
}
GOLDEN_HEX = (
    "0000000000000000"  # baseOffset 0
    "0000004e"  # batchLength 78: the 90 bytes after baseOffset and batchLength
    "00000000"  # partitionLeaderEpoch 0
    "02"  # magic 2
    "21f6d164"  # crc: CRC-32C of everything from attributes on
    "0000"  # attributes: no codec, CreateTime, not transactional, not control
    "00000001"  # lastOffsetDelta 1
    "0000018bcfe56800"  # baseTimestamp 1700000000000
    "0000018bcfe56805"  # maxTimestamp 1700000000005
    "00000000000003e8"  # producerId 1000
    "0000"  # producerEpoch 0
    "00000000"  # baseSequence 0
    "00000002"  # recordsCount 2
    # record 0: length 16, attributes, timestampDelta 0, offsetDelta 0, key "k", value "hello",
    # one header "h" = "v" (every varint zigzag: 1 -> 02, 5 -> 0a, 16 -> 20)
    "20"
    "00"
    "00"
    "00"
    "026b"
    "0a68656c6c6f"
    "02"
    "0268"
    "0276"
    # record 1: length 11, attributes, timestampDelta 5, offsetDelta 1, null key (-1 -> 01),
    # value "world", no headers
    "16"
    "00"
    "0a"
    "02"
    "01"
    "0a776f726c64"
    "00"
)


def kafka_python_build(
    records: list[Record], offsets: list[int], codec: Compression, producer: Producer
) -> bytes:
    """Build a batch the way kafka-python's producer does."""
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=int(codec),
        is_transactional=False,
        batch_size=2**30,
        **producer,
    )
    for record, offset in zip(records, offsets, strict=True):
        built = builder.append(
            offset, record.timestamp, record.key, record.value, list(record.headers)
        )
        assert built is not None
    return bytes(builder.build())


def assert_kafka_python_reads(batch: bytes, records: list[Record], base_offset: int) -> None:
    theirs = DefaultRecordBatch(bytearray(batch))
    assert theirs.validate_crc()
    assert theirs.base_offset == base_offset
    assert theirs.records_count == len(records)
    read = list(theirs)
    assert [r.offset for r in read] == [base_offset + i for i in range(len(records))]
    assert [(r.key, r.value, r.headers, r.timestamp) for r in read] == [
        (r.key, r.value, list(r.headers), r.timestamp) for r in records
    ]


@given(
    st.lists(RECORDS, min_size=1, max_size=6),
    CODECS,
    PRODUCER,
    st.integers(min_value=0, max_value=2**62),
)
def test_kafka_python_reads_what_glasskafka_writes(
    records: list[Record], codec: Compression, producer: Producer, base_offset: int
) -> None:
    batch = encode_batch(records, base_offset=base_offset, compression=codec, **producer)
    theirs = DefaultRecordBatch(bytearray(batch))
    assert theirs.compression_type == codec
    assert (theirs.producer_id, theirs.producer_epoch, theirs.base_sequence) == (
        producer["producer_id"],
        producer["producer_epoch"],
        producer["base_sequence"],
    )
    assert theirs.first_timestamp == records[0].timestamp
    assert theirs.max_timestamp == max(r.timestamp for r in records)
    assert theirs.last_offset_delta == len(records) - 1
    assert_kafka_python_reads(batch, records, base_offset)


@given(st.data(), st.lists(RECORDS, min_size=1, max_size=6), CODECS, PRODUCER)
def test_glasskafka_reads_what_kafka_python_writes(
    data: st.DataObject, records: list[Record], codec: Compression, producer: Producer
) -> None:
    offsets = sorted(
        data.draw(st.sets(st.integers(0, 1000), min_size=len(records), max_size=len(records)))
    )
    batch = kafka_python_build(records, offsets, codec, producer)
    decoded = decode_batch(batch)
    header = decoded.header
    assert header.compression in (Compression.NONE, codec)  # the builder skips useless gzip
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (
        producer["producer_id"],
        producer["producer_epoch"],
        producer["base_sequence"],
    )
    assert [r.offset for r in decoded.records] == offsets
    assert [(r.key, r.value, r.headers, r.timestamp) for r in decoded.records] == [
        (r.key, r.value, r.headers, r.timestamp) for r in records
    ]


@given(st.lists(RECORDS, min_size=1, max_size=6), PRODUCER)
def test_uncompressed_batches_are_byte_identical(records: list[Record], producer: Producer) -> None:
    # kafka-python writes partitionLeaderEpoch 0 where the broker will stamp it.
    ours = encode_batch(records, partition_leader_epoch=0, **producer)
    theirs = kafka_python_build(records, list(range(len(records))), Compression.NONE, producer)
    assert ours == theirs


def test_kafka_python_gzip_is_read_and_ours_is_read_by_it() -> None:
    records = [Record(value=b"repeat " * 40, timestamp=t) for t in range(5)]
    producer = Producer(producer_id=-1, producer_epoch=-1, base_sequence=-1)
    theirs = kafka_python_build(records, list(range(5)), Compression.GZIP, producer)
    assert read_header(theirs).compression is Compression.GZIP
    assert [r.value for r in decode_batch(theirs).records] == [r.value for r in records]
    ours = encode_batch(records, compression=Compression.GZIP)
    assert_kafka_python_reads(ours, records, 0)


@given(st.lists(st.lists(RECORDS, min_size=1, max_size=3), min_size=1, max_size=4), CODECS)
def test_memory_records_walks_a_log_of_glasskafka_batches(
    groups: list[list[Record]], codec: Compression
) -> None:
    batches, offset = [], 0
    for group in groups:
        unstamped = encode_batch(group, compression=codec)
        batches.append(stamp(unstamped, base_offset=offset, partition_leader_epoch=7))
        offset += len(group)
    log = b"".join(batches) + batches[0][:30]  # and a partial batch at the end, as a fetch may
    theirs = list(MemoryRecords(log))
    ours = list(iter_batches(log))
    assert [batch.base_offset for batch in theirs] == [header.base_offset for _, header in ours]
    assert all(batch.leader_epoch == 7 and batch.validate_crc() for batch in theirs)
    start = 0
    for group, batch in zip(groups, theirs, strict=True):
        assert_kafka_python_reads(bytes(batch._buffer), group, start)
        start += len(group)


@given(commit=st.booleans(), coordinator_epoch=st.integers(min_value=0, max_value=2**31 - 1))
def test_kafka_python_reads_control_markers(commit: bool, coordinator_epoch: int) -> None:
    batch = encode_control_batch(
        commit=commit, producer_id=11, producer_epoch=3, coordinator_epoch=coordinator_epoch
    )
    theirs = DefaultRecordBatch(bytearray(batch))
    assert theirs.validate_crc() and theirs.is_control_batch and theirs.is_transactional
    (marker,) = list(theirs)
    assert (marker.version, marker.commit, marker.abort) == (0, commit, not commit)
    assert int.from_bytes(marker.value[2:], "big") == coordinator_epoch


@given(st.lists(RECORDS, min_size=1, max_size=4), st.integers(min_value=0, max_value=2**50))
def test_kafka_python_reads_log_append_time(records: list[Record], now_ms: int) -> None:
    batch = encode_batch(records, log_append_time=True, max_timestamp=now_ms)
    theirs = DefaultRecordBatch(bytearray(batch))
    assert theirs.timestamp_type == 1  # LogAppendTime
    assert {r.timestamp for r in theirs} == {now_ms}


def test_golden_vector() -> None:
    golden = bytes.fromhex(GOLDEN_HEX)
    assert encode_batch(GOLDEN_RECORDS, **GOLDEN_ARGS) == golden
    producer = Producer(producer_id=1000, producer_epoch=0, base_sequence=0)
    assert kafka_python_build(GOLDEN_RECORDS, [0, 1], Compression.NONE, producer) == golden
    assert_kafka_python_reads(golden, GOLDEN_RECORDS, 0)
