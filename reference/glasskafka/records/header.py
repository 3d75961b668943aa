"""The 61-byte header of a RecordBatch v2, read and stamped without touching the records.

Theory of operation
-------------------
A broker's produce and fetch paths keep batches as bytes (DESIGN §7): they read the header,
check the length, magic and CRC, stamp the base offset and the partition leader epoch, and append.
This file is exactly that much of the format.  Encoding and decoding the records inside a batch
lives in ``batch.py``.

Layout (https://kafka.apache.org/documentation/#recordbatch; ``reference/wire-protocol.md`` §9)::

    0  baseOffset int64        21 attributes int16       43 producerId int64
    8  batchLength int32       23 lastOffsetDelta int32  51 producerEpoch int16
    12 partitionLeaderEpoch    27 baseTimestamp int64    53 baseSequence int32
    16 magic int8 (= 2)        35 maxTimestamp int64     57 recordsCount int32
    17 crc uint32                                         61 records...

``batchLength`` counts the bytes after itself, so a whole batch is ``batchLength + 12`` bytes.
The CRC is CRC-32C over bytes 21 to the end.  ``baseOffset``, ``batchLength`` and
``partitionLeaderEpoch`` lie before byte 21, outside the CRC, which is why the leader can stamp
offsets and epochs without recomputing it.

Spec IDs: none; LOG-1 and LOG-2 rely on the offsets read here.

Simplified from Kafka: magic 0 and 1 (the old message sets) are refused.  Kafka 4 writes only v2
(KIP-724) and removed the request versions that carried the old formats (KIP-896); earlier brokers
converted between formats.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from crc32c import crc32c as _crc32c

__all__ = [
    "BATCH_HEADER_SIZE",
    "CRC_START",
    "LOG_OVERHEAD",
    "BatchHeader",
    "Compression",
    "CorruptRecordError",
    "batch_crc",
    "read_header",
    "set_max_timestamp",
    "stamp",
    "validate_batch",
]

LOG_OVERHEAD = 12
"""Bytes before the length-counted part of a batch: baseOffset (8) + batchLength (4)."""

BATCH_HEADER_SIZE = 61
"""Bytes of a RecordBatch v2 header, up to and including recordsCount."""

CRC_START = 21
"""The CRC covers the batch from the attributes field (byte 21) to its end."""

_HEADER = struct.Struct(">qiibIhiqqqhii")
_BASE_OFFSET = struct.Struct(">q")
_LEADER_EPOCH = struct.Struct(">i")
_LEADER_EPOCH_POS = 12
_CRC = struct.Struct(">I")
_CRC_POS = 17
_ATTRIBUTES = struct.Struct(">h")
_MAX_TIMESTAMP = struct.Struct(">q")
_MAX_TIMESTAMP_POS = 35

_CODEC_MASK = 0x07
_TIMESTAMP_TYPE_BIT = 0x08
_TRANSACTIONAL_BIT = 0x10
_CONTROL_BIT = 0x20


class CorruptRecordError(ValueError):
    """Bytes that are not a valid RecordBatch v2.  Brokers answer CORRUPT_MESSAGE (2)."""


class Compression(enum.IntEnum):
    """The codec in attribute bits 0-2."""

    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchHeader:
    """The decoded fixed header of one RecordBatch v2."""

    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        """Bytes of the whole batch on disk or on the wire."""
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        """Offset of the batch's last record (after compaction, maybe of a removed one)."""
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        """The offset that follows this batch."""
        return self.last_offset + 1

    @property
    def compression(self) -> Compression:
        """The codec of the records' part (raises ``ValueError`` for codes 5-7)."""
        return Compression(self.attributes & _CODEC_MASK)

    @property
    def is_control(self) -> bool:
        """Whether this is a transaction marker batch."""
        return bool(self.attributes & _CONTROL_BIT)

    @property
    def is_transactional(self) -> bool:
        """Whether the batch belongs to a transaction."""
        return bool(self.attributes & _TRANSACTIONAL_BIT)

    @property
    def log_append_time(self) -> bool:
        """Whether the timestamp type bit says LogAppendTime (else CreateTime)."""
        return bool(self.attributes & _TIMESTAMP_TYPE_BIT)

    @property
    def last_sequence(self) -> int:
        """Sequence of the last record (wrapping after 2**31 - 1), or -1 if not idempotent."""
        if self.base_sequence < 0:
            return -1
        return (self.base_sequence + self.last_offset_delta) % 2**31


def batch_crc(batch: bytes | bytearray | memoryview, position: int = 0, size: int = -1) -> int:
    """CRC-32C over bytes 21.. of the batch that starts at ``position`` (whole rest if size<0)."""
    view = memoryview(batch)
    end = len(view) if size < 0 else position + size
    return int(_crc32c(view[position + CRC_START : end]))


def read_header(buffer: bytes | bytearray | memoryview, position: int = 0) -> BatchHeader:
    """Decode the header of the batch at ``position``.  Checks only that 61 bytes are there.

    Raises :class:`CorruptRecordError` if fewer than ``BATCH_HEADER_SIZE`` bytes remain.
    """
    if len(buffer) - position < BATCH_HEADER_SIZE:
        raise CorruptRecordError(
            f"{len(buffer) - position} bytes at position {position} are too few for a batch header"
        )
    fields = _HEADER.unpack_from(buffer, position)
    return BatchHeader(
        base_offset=fields[0],
        batch_length=fields[1],
        partition_leader_epoch=fields[2],
        magic=fields[3],
        crc=fields[4],
        attributes=fields[5],
        last_offset_delta=fields[6],
        base_timestamp=fields[7],
        max_timestamp=fields[8],
        producer_id=fields[9],
        producer_epoch=fields[10],
        base_sequence=fields[11],
        records_count=fields[12],
    )


def validate_batch(buffer: bytes | bytearray | memoryview, position: int = 0) -> BatchHeader:
    """Check that a whole, intact v2 batch starts at ``position`` and return its header.

    Checks, in order: header present; magic 2; ``batchLength`` at least the header and within the
    buffer; CRC-32C; ``recordsCount`` and ``lastOffsetDelta`` not negative, and
    ``lastOffsetDelta + 1 >= recordsCount`` (equal for a producer's batch, as ``LogValidator.java``
    demands; larger once compaction has removed records).  Raises :class:`CorruptRecordError`
    naming the fault.
    """
    header = read_header(buffer, position)
    if header.magic != 2:
        raise CorruptRecordError(
            f"magic {header.magic} at position {position}; only magic 2 is served"
        )
    if header.batch_length < BATCH_HEADER_SIZE - LOG_OVERHEAD:
        raise CorruptRecordError(f"batchLength {header.batch_length} is shorter than a header")
    if position + header.size > len(buffer):
        raise CorruptRecordError(
            f"batch at {position} claims {header.size} bytes; {len(buffer) - position} remain"
        )
    actual = batch_crc(buffer, position, header.size)
    if actual != header.crc:
        raise CorruptRecordError(
            f"CRC-32C mismatch at {position}: stored {header.crc:#010x}, computed {actual:#010x}"
        )
    if header.records_count < 0 or header.last_offset_delta < 0:
        raise CorruptRecordError(f"negative recordsCount or lastOffsetDelta at {position}")
    if header.records_count and header.last_offset_delta + 1 < header.records_count:
        raise CorruptRecordError(
            f"lastOffsetDelta {header.last_offset_delta} < recordsCount {header.records_count} - 1"
        )
    return header


def stamp(batch: bytes | bytearray, *, base_offset: int, partition_leader_epoch: int) -> bytes:
    """Return ``batch`` with its base offset and partition leader epoch set.

    Both fields lie outside the CRC, so the CRC stays valid and nothing else is touched.
    """
    stamped = bytearray(batch)
    _BASE_OFFSET.pack_into(stamped, 0, base_offset)
    _LEADER_EPOCH.pack_into(stamped, _LEADER_EPOCH_POS, partition_leader_epoch)
    return bytes(stamped)


def set_max_timestamp(
    batch: bytes | bytearray, *, log_append_time: bool, max_timestamp: int
) -> bytes:
    """Return ``batch`` with its timestamp type and ``maxTimestamp`` set, and its CRC recomputed.

    This is how a broker applies ``message.timestamp.type=LogAppendTime`` without touching the
    records (``DefaultRecordBatch.setMaxTimestamp``, used by ``LogValidator``): readers then
    report ``maxTimestamp`` for every record.  Both fields lie inside the CRC, so unlike
    :func:`stamp` this must recompute it.  The batch is assumed valid (call
    :func:`validate_batch` first).
    """
    header = read_header(batch)
    attributes = header.attributes & ~_TIMESTAMP_TYPE_BIT
    if log_append_time:
        attributes |= _TIMESTAMP_TYPE_BIT
    changed = bytearray(batch)
    _ATTRIBUTES.pack_into(changed, CRC_START, attributes)
    _MAX_TIMESTAMP.pack_into(changed, _MAX_TIMESTAMP_POS, max_timestamp)
    _CRC.pack_into(changed, _CRC_POS, batch_crc(changed, 0, header.size))
    return bytes(changed)
