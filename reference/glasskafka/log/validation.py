"""Checking batches before they reach the log: what a leader and a follower may append.

Theory of operation
-------------------
Every batch is checked *before* anything is written, so a refused append leaves the log exactly
as it was (wire-protocol.md §6 "Produce"; ``LogValidator.java``, ``UnifiedLog.analyzeAndValidate
Records``).  The checks run on the 61-byte header and the CRC only; the records inside an
uncompressed batch are not looked at (DESIGN §7), with one exception: a compacted topic must see
every record's key.

A batch from a **producer** (``AppendOrigin.CLIENT``) or from the broker's own coordinators
(``AppendOrigin.COORDINATOR``) must be exactly one intact v2 batch (CORRUPT_MESSAGE otherwise):

* no bigger than ``max.message.bytes`` (MESSAGE_TOO_LARGE) or a whole segment
  (RECORD_LIST_TOO_LARGE);
* a known codec (UNSUPPORTED_COMPRESSION_TYPE);
* at least one record, with ``lastOffsetDelta + 1 == recordsCount`` (INVALID_RECORD);
* not a control batch unless a coordinator wrote it (INVALID_RECORD: clients may not forge
  transaction markers);
* on a compacted topic, a key on every record (INVALID_RECORD).

A **follower** appends what it fetched from the leader (``AppendOrigin.REPLICATION``): any number
of batches, each intact and within the size limits, whose offsets continue the log without
overlap -- contiguously, unless the topic is compacted, where the leader's log has gaps -- and
whose leader epochs never fall (INVALID_RECORD).  A trailing incomplete batch is ignored: a fetch
response may end with one (KIP-74).

Spec IDs: none directly; "refused and untouched" is checked by the bad-input tests.

Simplified from Kafka: Kafka's validator also checks record timestamps against
``message.timestamp.difference.max.ms`` and, for uncompressed batches, walks every record; it may
recompress a batch to the topic's ``compression.type``.  glasskafka keeps batches as sent.
"""

from __future__ import annotations

import enum

from glasskafka.config import TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.log.errors import LogError
from glasskafka.records import (
    BatchHeader,
    Compression,
    CorruptRecordError,
    UnsupportedCompressionError,
    decode_batch,
    iter_batches,
    validate_batch,
)

__all__ = ["AppendOrigin", "validate_follower_batches", "validate_leader_batch"]


class AppendOrigin(enum.Enum):
    """Who is appending (Kafka's ``AppendOrigin``)."""

    CLIENT = "client"
    COORDINATOR = "coordinator"
    REPLICATION = "replication"


def validate_leader_batch(
    batch: bytes, *, config: TopicConfig, origin: AppendOrigin
) -> BatchHeader:
    """Check one batch a leader is asked to append; return its header.

    Raises :class:`LogError` with the code the producer must see (see the module docstring).
    """
    header = _intact(batch, 0, config)
    if header.size != len(batch):
        raise LogError(
            ErrorCode.INVALID_RECORD,
            f"a produce must carry exactly one batch; {len(batch) - header.size} bytes follow it",
        )
    if header.records_count == 0 or header.last_offset_delta + 1 != header.records_count:
        raise LogError(
            ErrorCode.INVALID_RECORD,
            f"recordsCount {header.records_count} does not match lastOffsetDelta "
            f"{header.last_offset_delta}",
        )
    if header.is_control and origin is not AppendOrigin.COORDINATOR:
        raise LogError(ErrorCode.INVALID_RECORD, "clients may not write control batches")
    if config.compact and not header.is_control:
        _check_keys(batch, header)
    return header


def validate_follower_batches(
    records: bytes, *, config: TopicConfig, log_end_offset: int, latest_epoch: int
) -> list[tuple[int, BatchHeader]]:
    """Check batches fetched from the leader; return the ``(position, header)`` of each.

    Raises :class:`LogError` (CORRUPT_MESSAGE, size limits, or INVALID_RECORD for offsets or
    epochs that do not continue the log).
    """
    try:
        found = list(iter_batches(records))
    except CorruptRecordError as error:
        raise LogError(ErrorCode.CORRUPT_MESSAGE, str(error)) from None
    next_offset, epoch = log_end_offset, latest_epoch
    for position, _ in found:
        header = _intact(records, position, config)
        gap_allowed = config.compact and header.base_offset > next_offset
        if header.base_offset != next_offset and not gap_allowed:
            raise LogError(
                ErrorCode.INVALID_RECORD,
                f"batch at offset {header.base_offset} does not continue the log at {next_offset}",
            )
        if header.partition_leader_epoch < epoch:
            raise LogError(
                ErrorCode.INVALID_RECORD,
                f"batch epoch {header.partition_leader_epoch} is below the log's epoch {epoch}",
            )
        next_offset, epoch = header.next_offset, header.partition_leader_epoch
    return found


def _intact(buffer: bytes, position: int, config: TopicConfig) -> BatchHeader:
    """Length, magic, CRC, codec and size limits of the batch at ``position``."""
    try:
        header = validate_batch(buffer, position)
    except CorruptRecordError as error:
        raise LogError(ErrorCode.CORRUPT_MESSAGE, str(error)) from None
    if header.attributes & 0x07 not in {int(codec) for codec in Compression}:
        raise LogError(
            ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
            f"attributes {header.attributes:#06x} name codec {header.attributes & 0x07}; "
            "allowed: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd",
        )
    if header.size > config.max_message_bytes:
        raise LogError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"batch of {header.size} bytes exceeds max.message.bytes={config.max_message_bytes}",
        )
    if header.size > config.segment_bytes:
        raise LogError(
            ErrorCode.RECORD_LIST_TOO_LARGE,
            f"batch of {header.size} bytes exceeds segment.bytes={config.segment_bytes}",
        )
    return header


def _check_keys(batch: bytes, header: BatchHeader) -> None:
    """Every record of a compacted topic needs a key (``LogValidator.validateKey``)."""
    try:
        decoded = decode_batch(batch)
    except UnsupportedCompressionError as error:
        raise LogError(
            ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
            f"cannot check the keys of a compacted topic's batch: {error}",
        ) from None
    except CorruptRecordError as error:
        raise LogError(ErrorCode.CORRUPT_MESSAGE, str(error)) from None
    for record in decoded.records:
        if record.key is None:
            raise LogError(
                ErrorCode.INVALID_RECORD,
                f"record at offset delta {record.offset - header.base_offset} has no key; "
                "a compacted topic needs a key on every record",
            )
