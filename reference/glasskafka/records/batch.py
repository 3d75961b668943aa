"""Encoding and decoding whole RecordBatch v2 batches: the records inside the 61-byte header.

Theory of operation
-------------------
A batch is a header (``header.py``) followed by ``recordsCount`` records, each laid out as
(Kafka's message-format docs, "Record"; ``DefaultRecord.java``)::

    length          zigzag varint   bytes of the record after this field
    attributes      int8            unused in v2, written as 0
    timestampDelta  zigzag varlong  timestamp - baseTimestamp
    offsetDelta     zigzag varint   offset - baseOffset
    keyLength       zigzag varint   -1 for a null key
    key             bytes
    valueLength     zigzag varint   -1 for a null value
    value           bytes
    headerCount     zigzag varint
    headers         headerKeyLength varint, UTF-8 key, headerValueLength varint (-1 = null), value

``baseTimestamp`` is the first record's timestamp and ``maxTimestamp`` the largest, as Kafka's
``MemoryRecordsBuilder`` writes them.  With a codec set, everything after ``recordsCount`` is one
compressed blob (``compression.py``).

Decoding trusts nothing.  :func:`decode_batch` first runs :func:`validate_batch` (length, magic,
CRC, count), then reads every record with bounds checks: a length that points past its container,
a negative length other than -1, fewer or more records than ``recordsCount``, bytes left over in a
record or after the last record, offset deltas out of order or beyond ``lastOffsetDelta``, and a
header key that is not UTF-8 all raise :class:`CorruptRecordError`.  No buffer is sized from a
length that has not been checked against the bytes actually present.

Offset deltas are normally 0..n-1.  Log compaction removes records but keeps every survivor's
offset and the batch's ``lastOffsetDelta`` (Kafka's design docs, "Log Compaction";
``MemoryRecords.filterTo``), so :func:`encode_batch` accepts explicit ``offset_deltas`` with gaps,
and even an empty batch that only preserves a producer's last sequence (``LogCleaner.scala``,
``BatchRetention.RETAIN_EMPTY``).  Such an empty batch keeps the original ``maxTimestamp``
(``DefaultRecordBatch.writeEmptyHeader``), hence the ``max_timestamp`` argument.

Spec IDs: none directly; the partition log's LOG-n invariants rely on these checks.

Simplified from Kafka: glasskafka decodes a whole batch at once instead of streaming records
(``DefaultRecordBatch.StreamRecordIterator``), and is stricter than Kafka's reader about offset
deltas, which Kafka's reader does not check (its ``LogValidator`` does, for producer batches).
The delete-horizon attribute bit (bit 6, KIP-534) shows in ``attributes`` when read but is never
set.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from crc32c import crc32c as _crc32c

from glasskafka.records.compression import (
    MAX_DECOMPRESSED_BYTES,
    UnsupportedCompressionError,
    compress,
    decompress,
)
from glasskafka.records.header import (
    BATCH_HEADER_SIZE,
    CRC_START,
    LOG_OVERHEAD,
    BatchHeader,
    Compression,
    CorruptRecordError,
    read_header,
    validate_batch,
)
from glasskafka.records.varint import (
    decode_zigzag_varint,
    decode_zigzag_varlong,
    encode_zigzag_varint,
    encode_zigzag_varlong,
)

__all__ = [
    "NO_TIMESTAMP",
    "DecodedBatch",
    "DecodedRecord",
    "Record",
    "UnsupportedCompressionError",
    "decode_batch",
    "encode_batch",
    "iter_batches",
]

NO_TIMESTAMP = -1
"""Kafka's ``RecordBatch.NO_TIMESTAMP``: the timestamps of a batch that holds no records."""

Buffer = bytes | bytearray | memoryview
Headers = tuple[tuple[str, bytes | None], ...]

_MAGIC = 2
_TIMESTAMP_TYPE_BIT = 0x08
_TRANSACTIONAL_BIT = 0x10
_CONTROL_BIT = 0x20
_INT16 = (-(2**15), 2**15 - 1)
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
# The header fields from attributes to recordsCount, the first that the CRC covers.
_AFTER_CRC = struct.Struct(">hiqqqhii")
_BEFORE_CRC = struct.Struct(">qiib")
_CRC = struct.Struct(">I")


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One record to put in a batch.  ``timestamp`` is absolute milliseconds (CreateTime)."""

    key: bytes | None = None
    value: bytes | None = None
    headers: Headers = ()
    timestamp: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodedRecord:
    """One record read back from a batch, with its absolute offset and timestamp.

    For a LogAppendTime batch ``timestamp`` is the batch's ``maxTimestamp``, as Kafka's
    ``DefaultRecord.readFrom`` reports it.
    """

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodedBatch:
    """A validated batch: its header and its records in offset order."""

    header: BatchHeader
    records: tuple[DecodedRecord, ...]


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    if not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{name} must be an integer in [{bounds[0]}, {bounds[1]}], got {value!r}")


def _encode_bytes(name: str, data: bytes | None) -> bytes:
    """A varint length (-1 for null) followed by the bytes."""
    if data is None:
        return encode_zigzag_varint(-1)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError(f"{name} must be bytes or None, got {type(data).__name__}")
    return encode_zigzag_varint(len(data)) + bytes(data)


def _encode_headers(headers: Headers) -> bytes:
    if not isinstance(headers, tuple | list):
        raise ValueError(
            f"record headers must be a tuple of (str, bytes | None) pairs, got {headers!r}"
        )
    parts = [encode_zigzag_varint(len(headers))]
    for pair in headers:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise ValueError(f"a record header must be a (str, bytes | None) pair, got {pair!r}")
        key, value = pair
        try:
            encoded_key = key.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"header key {key!r} cannot be encoded as UTF-8") from None
        parts.append(_encode_bytes("header key", encoded_key))
        parts.append(_encode_bytes(f"value of header {key!r}", value))
    return b"".join(parts)


def _encode_record(record: Record, *, offset_delta: int, base_timestamp: int) -> bytes:
    """One record, length prefix included (``DefaultRecord.writeTo``)."""
    body = b"".join(
        (
            b"\x00",  # record attributes: reserved in v2
            encode_zigzag_varlong(record.timestamp - base_timestamp),
            encode_zigzag_varint(offset_delta),
            _encode_bytes("record key", record.key),
            _encode_bytes("record value", record.value),
            _encode_headers(record.headers),
        )
    )
    return encode_zigzag_varint(len(body)) + body


def _resolve_offset_deltas(
    count: int, offset_deltas: Sequence[int] | None, last_offset_delta: int | None
) -> tuple[list[int], int]:
    """Check the caller's offset deltas, or default them to 0..count-1."""
    deltas = list(range(count)) if offset_deltas is None else list(offset_deltas)
    if len(deltas) != count:
        raise ValueError(f"offset_deltas has {len(deltas)} entries for {count} records")
    for index, delta in enumerate(deltas):
        _check_range("offset delta", delta, (0, _INT32[1]))
        if index and delta <= deltas[index - 1]:
            raise ValueError(f"offset_deltas must strictly increase, got {deltas}")
    if last_offset_delta is None:
        if not deltas:
            raise ValueError("an empty batch needs an explicit last_offset_delta")
        last_offset_delta = deltas[-1]
    _check_range("last_offset_delta", last_offset_delta, (0, _INT32[1]))
    if deltas and last_offset_delta < deltas[-1]:
        raise ValueError(f"last_offset_delta {last_offset_delta} < last offset delta {deltas[-1]}")
    return deltas, last_offset_delta


def _batch_timestamps(records: Sequence[Record]) -> tuple[int, int]:
    """Check the records; return (baseTimestamp, maxTimestamp) as Kafka's builder sets them."""
    for record in records:
        if not isinstance(record, Record):
            raise ValueError(f"records must be Record values, got {type(record).__name__}")
        _check_range("record timestamp", record.timestamp, _INT64)
    if not records:
        return NO_TIMESTAMP, NO_TIMESTAMP
    base_timestamp = records[0].timestamp
    for record in records:
        # Java's long arithmetic would wrap here silently; a Python int would not fit a varlong.
        _check_range(
            "record timestamp - first record's timestamp", record.timestamp - base_timestamp, _INT64
        )
    return base_timestamp, max(record.timestamp for record in records)


def _attributes(
    compression: Compression, *, log_append_time: bool, is_transactional: bool, is_control: bool
) -> int:
    return (
        int(compression)
        | (_TIMESTAMP_TYPE_BIT if log_append_time else 0)
        | (_TRANSACTIONAL_BIT if is_transactional else 0)
        | (_CONTROL_BIT if is_control else 0)
    )


def encode_batch(
    records: Sequence[Record],
    *,
    base_offset: int = 0,
    partition_leader_epoch: int = -1,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    compression: Compression = Compression.NONE,
    is_transactional: bool = False,
    log_append_time: bool = False,
    offset_deltas: Sequence[int] | None = None,
    last_offset_delta: int | None = None,
    is_control: bool = False,
    max_timestamp: int | None = None,
) -> bytes:
    """Build one RecordBatch v2 from ``records`` and return its bytes, CRC included.

    ``offset_deltas`` (default 0..n-1) and ``last_offset_delta`` (default the last delta) let log
    compaction rebuild a batch that keeps its offsets; an empty ``records`` needs an explicit
    ``last_offset_delta``.  ``max_timestamp`` defaults to the largest record timestamp
    (``NO_TIMESTAMP`` for an empty batch); compaction passes the original batch's, and with
    ``log_append_time`` it is the append time that readers report for every record.
    ``is_control`` is for transaction markers (``control.encode_control_batch`` builds those) and
    for compaction rebuilding one.  Raises ``ValueError`` for bad arguments and
    :class:`UnsupportedCompressionError` (also a ``ValueError``) for codecs other than gzip.
    """
    compression = Compression(compression)
    deltas, last_delta = _resolve_offset_deltas(len(records), offset_deltas, last_offset_delta)
    _check_range("base_offset", base_offset, _INT64)
    _check_range("partition_leader_epoch", partition_leader_epoch, _INT32)
    _check_range("producer_id", producer_id, _INT64)
    _check_range("producer_epoch", producer_epoch, _INT16)
    _check_range("base_sequence", base_sequence, _INT32)
    base_timestamp, largest_timestamp = _batch_timestamps(records)
    if max_timestamp is None:
        max_timestamp = largest_timestamp
    _check_range("max_timestamp", max_timestamp, _INT64)
    body = b"".join(
        _encode_record(record, offset_delta=delta, base_timestamp=base_timestamp)
        for record, delta in zip(records, deltas, strict=True)
    )
    after_crc = _AFTER_CRC.pack(
        _attributes(
            compression,
            log_append_time=log_append_time,
            is_transactional=is_transactional,
            is_control=is_control,
        ),
        last_delta,
        base_timestamp,
        max_timestamp,
        producer_id,
        producer_epoch,
        base_sequence,
        len(records),
    ) + compress(compression, body)
    batch_length = len(after_crc) + CRC_START - LOG_OVERHEAD
    _check_range("batch length", batch_length, (0, _INT32[1] - LOG_OVERHEAD))
    # The CRC covers attributes onwards (wire-protocol.md §9), which is why baseOffset,
    # batchLength and partitionLeaderEpoch can be written (and later stamped) around it.
    return (
        _BEFORE_CRC.pack(base_offset, batch_length, partition_leader_epoch, _MAGIC)
        + _CRC.pack(_crc32c(after_crc))
        + after_crc
    )


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def _read_length(data: bytes, position: int, end: int, what: str) -> tuple[int, int]:
    """Read a varint length that must be -1 or fit between ``position`` and ``end``."""
    length, position = decode_zigzag_varint(data, position)
    if length < -1:
        raise CorruptRecordError(f"{what} length {length} is negative (only -1 means null)")
    if position > end or length > end - position:
        raise CorruptRecordError(f"{what} length {length} points past the end of its record")
    return length, position


def _read_bytes(data: bytes, position: int, end: int, what: str) -> tuple[bytes | None, int]:
    length, position = _read_length(data, position, end, what)
    if length == -1:
        return None, position
    return data[position : position + length], position + length


def _read_headers(data: bytes, position: int, end: int) -> tuple[Headers, int]:
    count, position = decode_zigzag_varint(data, position)
    # Each header takes at least two bytes (two one-byte lengths), which bounds a hostile count.
    if count < 0 or count * 2 > end - position:
        raise CorruptRecordError(f"header count {count} does not fit its record")
    headers = []
    for _ in range(count):
        key, position = _read_bytes(data, position, end, "header key")
        if key is None:
            raise CorruptRecordError("a header key is null; Kafka allows only null header values")
        try:
            text = key.decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptRecordError(f"header key {key!r} is not valid UTF-8") from None
        value, position = _read_bytes(data, position, end, "header value")
        headers.append((text, value))
    return tuple(headers), position


def _read_record(
    data: bytes, position: int, header: BatchHeader, previous_delta: int
) -> tuple[DecodedRecord, int]:
    """Read one record at ``position``; check its offset delta follows ``previous_delta``."""
    length, position = _read_length(data, position, len(data), "record")
    if length < 1:
        raise CorruptRecordError(f"record length {length} is too short for a record")
    end = position + length
    position += 1  # record attributes: reserved in v2, ignored as Kafka ignores them
    timestamp_delta, position = decode_zigzag_varlong(data, position)
    offset_delta, position = decode_zigzag_varint(data, position)
    if not previous_delta < offset_delta <= header.last_offset_delta:
        raise CorruptRecordError(
            f"offset delta {offset_delta} is out of order or beyond lastOffsetDelta "
            f"{header.last_offset_delta}"
        )
    key, position = _read_bytes(data, position, end, "key")
    value, position = _read_bytes(data, position, end, "value")
    headers, position = _read_headers(data, position, end)
    if position != end:
        raise CorruptRecordError(
            f"record declares {length} bytes but its fields end {end - position} bytes early"
            if position < end
            else f"record fields run {position - end} bytes past its declared length {length}"
        )
    timestamp = (
        header.max_timestamp if header.log_append_time else header.base_timestamp + timestamp_delta
    )
    record = DecodedRecord(
        offset=header.base_offset + offset_delta,
        timestamp=timestamp,
        key=key,
        value=value,
        headers=headers,
    )
    return record, end


def _records_part(
    buffer: Buffer, position: int, header: BatchHeader, max_decompressed_bytes: int
) -> bytes:
    """The (decompressed) bytes after ``recordsCount``."""
    start = position + BATCH_HEADER_SIZE
    raw = bytes(buffer[start : position + header.size])
    try:
        codec = header.compression
    except ValueError:
        raise CorruptRecordError(
            f"attributes {header.attributes:#06x} name codec {header.attributes & 7}, which is none"
        ) from None
    return decompress(codec, raw, max_bytes=max_decompressed_bytes)


def decode_batch(
    buffer: Buffer,
    position: int = 0,
    *,
    max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES,
) -> DecodedBatch:
    """Validate and decode the batch at ``position``, decompressing gzip.

    Raises :class:`CorruptRecordError` for any malformed batch (see the module docstring) and
    :class:`UnsupportedCompressionError` for snappy, lz4 and zstd.
    """
    if position < 0:
        raise ValueError(f"position must be >= 0, got {position}")
    header = validate_batch(buffer, position)
    data = _records_part(buffer, position, header, max_decompressed_bytes)
    # Every record takes at least 7 bytes, so a count beyond len/7 cannot be honest; checking
    # first keeps a hostile recordsCount from driving a long loop.
    if header.records_count * 7 > len(data):
        raise CorruptRecordError(
            f"recordsCount {header.records_count} cannot fit in {len(data)} bytes of records"
        )
    records = []
    cursor = 0
    previous_delta = -1
    for _ in range(header.records_count):
        record, cursor = _read_record(data, cursor, header, previous_delta)
        previous_delta = record.offset - header.base_offset
        records.append(record)
    if cursor != len(data):
        raise CorruptRecordError(
            f"{len(data) - cursor} bytes follow the last of {header.records_count} records"
        )
    return DecodedBatch(header=header, records=tuple(records))


def iter_batches(buffer: Buffer, position: int = 0) -> Iterator[tuple[int, BatchHeader]]:
    """Yield ``(position, header)`` for each whole batch from ``position`` on.

    Stops silently at a trailing incomplete batch (a crash can leave one at the end of a
    segment; ``FileLogInputStream.nextBatch`` does the same).  Checks neither the CRC nor the
    magic: callers validate.  Raises :class:`CorruptRecordError` only when a ``batchLength`` is
    too small to hold a header, since iteration cannot step past such a batch.
    """
    if position < 0:
        raise ValueError(f"position must be >= 0, got {position}")
    end = len(buffer)
    while end - position >= LOG_OVERHEAD:
        (batch_length,) = struct.unpack_from(">i", buffer, position + 8)
        if batch_length < BATCH_HEADER_SIZE - LOG_OVERHEAD:
            raise CorruptRecordError(
                f"batchLength {batch_length} at position {position} is shorter than a header"
            )
        if batch_length > end - position - LOG_OVERHEAD:
            return
        yield position, read_header(buffer, position)
        position += batch_length + LOG_OVERHEAD
