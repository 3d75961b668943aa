"""The 61-byte batch header: read, validate, stamp (``glasskafka.records.header``).

The property that makes the broker's hot path cheap is checked byte by byte: the CRC covers
bytes 21 onwards, so every byte there is protected, while ``baseOffset`` and
``partitionLeaderEpoch`` (bytes 0-7 and 12-15) can be rewritten without recomputing it.
"""

from __future__ import annotations

import struct

import pytest
from glasskafka.records import (
    BATCH_HEADER_SIZE,
    CRC_START,
    LOG_OVERHEAD,
    Compression,
    CorruptRecordError,
    Record,
    batch_crc,
    decode_batch,
    encode_batch,
    read_header,
    set_max_timestamp,
    stamp,
    validate_batch,
)
from hypothesis import given
from hypothesis import strategies as st

SAMPLE = encode_batch(
    [
        Record(key=b"k1", value=b"first", headers=(("trace", b"a"),), timestamp=1_700_000_000_000),
        Record(key=None, value=b"second", timestamp=1_700_000_000_005),
        Record(key=b"k3", value=None, timestamp=1_699_999_999_990),
    ],
    base_offset=40,
    partition_leader_epoch=3,
    producer_id=1001,
    producer_epoch=2,
    base_sequence=17,
)
LENGTH_BYTES = range(8, 12)
MAGIC_BYTE = 16
CRC_BYTES = range(17, 21)
OUTSIDE_CRC_FREE = [*range(0, 8), *range(12, 16)]  # baseOffset, partitionLeaderEpoch


def reseal(batch: bytes | bytearray) -> bytes:
    """Recompute the stored CRC, so a test can reach the checks that come after it."""
    sealed = bytearray(batch)
    struct.pack_into(">I", sealed, 17, batch_crc(sealed))
    return bytes(sealed)


def test_read_header_gives_every_field() -> None:
    header = read_header(SAMPLE)
    assert header.base_offset == 40
    assert header.batch_length == len(SAMPLE) - LOG_OVERHEAD
    assert header.partition_leader_epoch == 3
    assert header.magic == 2
    assert header.attributes == 0
    assert header.last_offset_delta == 2
    assert header.base_timestamp == 1_700_000_000_000  # the first record's, not the smallest
    assert header.max_timestamp == 1_700_000_000_005
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (1001, 2, 17)
    assert header.records_count == 3
    assert (header.size, header.last_offset, header.next_offset) == (len(SAMPLE), 42, 43)
    assert header.compression is Compression.NONE
    assert not (header.is_control or header.is_transactional or header.log_append_time)
    assert header.last_sequence == 19


def test_last_sequence_wraps_and_is_minus_one_without_idempotence() -> None:
    wrapping = read_header(encode_batch([Record()] * 3, producer_id=1, base_sequence=2**31 - 2))
    assert wrapping.last_sequence == 0
    assert read_header(encode_batch([Record()])).last_sequence == -1


def test_read_header_needs_61_bytes() -> None:
    assert read_header(SAMPLE[:BATCH_HEADER_SIZE]).records_count == 3
    with pytest.raises(CorruptRecordError, match="too few"):
        read_header(SAMPLE[: BATCH_HEADER_SIZE - 1])
    with pytest.raises(CorruptRecordError, match="too few"):
        read_header(SAMPLE, position=len(SAMPLE) - 10)


def test_validate_accepts_a_batch_at_any_position() -> None:
    data = b"\xee" * 7 + SAMPLE + b"\xee" * 5
    assert validate_batch(data, 7) == read_header(SAMPLE)


@given(
    base_offset=st.integers(min_value=0, max_value=2**63 - 1),
    epoch=st.integers(min_value=-1, max_value=2**31 - 1),
)
def test_stamping_keeps_the_crc_valid(base_offset: int, epoch: int) -> None:
    stamped = stamp(SAMPLE, base_offset=base_offset, partition_leader_epoch=epoch)
    header = validate_batch(stamped)
    assert (header.base_offset, header.partition_leader_epoch) == (base_offset, epoch)
    assert stamped[CRC_START:] == SAMPLE[CRC_START:]
    offsets = [record.offset for record in decode_batch(stamped).records]
    assert offsets == [base_offset, base_offset + 1, base_offset + 2]


@pytest.mark.parametrize("position", range(CRC_START, len(SAMPLE)))
def test_flipping_any_byte_from_21_on_fails_validation(position: int) -> None:
    for mask in (0x01, 0x80, 0xFF):
        damaged = bytearray(SAMPLE)
        damaged[position] ^= mask
        with pytest.raises(CorruptRecordError, match="CRC-32C mismatch"):
            validate_batch(bytes(damaged))


@pytest.mark.parametrize("position", OUTSIDE_CRC_FREE)
def test_bytes_before_21_other_than_length_and_magic_are_outside_the_crc(position: int) -> None:
    changed = bytearray(SAMPLE)
    changed[position] ^= 0xFF
    assert batch_crc(changed) == batch_crc(SAMPLE)
    validate_batch(bytes(changed))


@pytest.mark.parametrize("position", CRC_BYTES)
def test_damaging_the_stored_crc_fails_though_the_computed_crc_is_unchanged(position: int) -> None:
    damaged = bytearray(SAMPLE)
    damaged[position] ^= 0x10
    assert batch_crc(damaged) == batch_crc(SAMPLE)
    with pytest.raises(CorruptRecordError, match="CRC-32C mismatch"):
        validate_batch(bytes(damaged))


@pytest.mark.parametrize("magic", [0, 1, 3, -1])
def test_validate_refuses_other_magic(magic: int) -> None:
    changed = bytearray(SAMPLE)
    changed[MAGIC_BYTE] = magic & 0xFF
    with pytest.raises(CorruptRecordError, match="magic"):
        validate_batch(bytes(changed))


@pytest.mark.parametrize(
    ("batch_length", "message"),
    [(-1, "shorter than a header"), (48, "shorter than a header"), (10_000, "claims")],
)
def test_validate_refuses_bad_lengths(batch_length: int, message: str) -> None:
    changed = bytearray(SAMPLE)
    struct.pack_into(">i", changed, LENGTH_BYTES.start, batch_length)
    with pytest.raises(CorruptRecordError, match=message):
        validate_batch(bytes(changed))


def test_a_shorter_length_leaves_bytes_outside_the_crc_and_fails() -> None:
    changed = bytearray(SAMPLE)
    struct.pack_into(">i", changed, LENGTH_BYTES.start, len(SAMPLE) - LOG_OVERHEAD - 1)
    with pytest.raises(CorruptRecordError, match="CRC-32C mismatch"):
        validate_batch(bytes(changed))


@pytest.mark.parametrize(("last_offset_delta", "records_count"), [(-1, 3), (2, -1), (1, 3), (0, 2)])
def test_validate_refuses_counts_that_disagree(last_offset_delta: int, records_count: int) -> None:
    changed = bytearray(SAMPLE)
    struct.pack_into(">i", changed, 23, last_offset_delta)
    struct.pack_into(">i", changed, 57, records_count)
    with pytest.raises(CorruptRecordError, match=r"recordsCount|lastOffsetDelta"):
        validate_batch(reseal(changed))


@given(st.integers(min_value=0, max_value=2**40))
def test_set_max_timestamp_applies_log_append_time(now_ms: int) -> None:
    changed = set_max_timestamp(SAMPLE, log_append_time=True, max_timestamp=now_ms)
    header = validate_batch(changed)
    assert header.log_append_time and header.max_timestamp == now_ms
    assert header.base_timestamp == read_header(SAMPLE).base_timestamp
    assert {record.timestamp for record in decode_batch(changed).records} == {now_ms}
    back = set_max_timestamp(changed, log_append_time=False, max_timestamp=1_700_000_000_005)
    assert back == SAMPLE


def test_set_max_timestamp_keeps_the_other_attributes() -> None:
    batch = encode_batch(
        [Record(value=b"x" * 100)],
        compression=Compression.GZIP,
        producer_id=5,
        is_transactional=True,
    )
    header = validate_batch(set_max_timestamp(batch, log_append_time=True, max_timestamp=9))
    assert header.compression is Compression.GZIP and header.is_transactional
    assert header.log_append_time
