"""Control batches: the commit and abort markers that end a transaction in a partition.

Theory of operation
-------------------
When a transaction ends, the transaction coordinator asks every partition leader it touched to
append one *control batch* (KIP-98; Kafka's message-format docs, "Control Batches"):

- attributes with the control bit (5) and the transactional bit (4) set;
- the producer id and epoch of the transaction, ``baseSequence`` -1 (markers are not sequenced);
- exactly one record whose key is ``int16 version (0)`` + ``int16 type`` (0 abort, 1 commit) and
  whose value is ``int16 version (0)`` + ``int32 coordinatorEpoch``
  (``ControlRecordType.java``, ``EndTransactionMarker.java``).

A marker takes an offset like any record, which is why the offsets a consumer sees can have
gaps.  Consumers never hand markers to the application; ``read_committed`` consumers use them to
drop aborted records.  Producers may never write them: a produce request carrying a control batch
is answered with ``INVALID_RECORD`` (87; ``LogValidator.java``), which is the broker's job.

Rules kept here: :func:`encode_control_batch` is the one way to build a marker (it writes
version 0), and :func:`read_end_transaction_marker` refuses anything that is not exactly one
well-formed marker.

Spec IDs: none directly (transactions come later in DESIGN §1).

Simplified from Kafka: Kafka also defines control record types for KRaft (LEADER_CHANGE 2,
SNAPSHOT_HEADER 3, SNAPSHOT_FOOTER 4, and more) and a v1 marker value with tagged fields
(KIP-890).  glasskafka is ZooKeeper-era: it writes version-0 abort and commit markers
only, and reads other types as corrupt.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from glasskafka.records.batch import DecodedBatch, Record, encode_batch
from glasskafka.records.header import CorruptRecordError

__all__ = [
    "ControlRecordType",
    "EndTransactionMarker",
    "encode_control_batch",
    "read_end_transaction_marker",
]

_KEY = struct.Struct(">hh")  # version, type
_VALUE = struct.Struct(">hi")  # version, coordinatorEpoch
_VERSION = 0


class ControlRecordType(enum.IntEnum):
    """The ``type`` field of a control record's key (``ControlRecordType.java``)."""

    ABORT = 0
    COMMIT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class EndTransactionMarker:
    """What a commit or abort marker says, read back from its batch."""

    control_type: ControlRecordType
    producer_id: int
    producer_epoch: int
    coordinator_epoch: int
    offset: int
    timestamp: int


def encode_control_batch(
    *,
    commit: bool,
    producer_id: int,
    producer_epoch: int,
    coordinator_epoch: int = 0,
    base_offset: int = 0,
    partition_leader_epoch: int = -1,
    timestamp: int = 0,
) -> bytes:
    """Build the one-record control batch that commits (or aborts) a producer's transaction.

    Raises ``ValueError`` for out-of-range arguments (``coordinator_epoch`` is an int32).
    """
    if not -(2**31) <= coordinator_epoch < 2**31:
        raise ValueError(f"coordinator_epoch must be an int32, got {coordinator_epoch}")
    control_type = ControlRecordType.COMMIT if commit else ControlRecordType.ABORT
    marker = Record(
        key=_KEY.pack(_VERSION, control_type),
        value=_VALUE.pack(_VERSION, coordinator_epoch),
        timestamp=timestamp,
    )
    return encode_batch(
        [marker],
        base_offset=base_offset,
        partition_leader_epoch=partition_leader_epoch,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        base_sequence=-1,
        is_transactional=True,
        is_control=True,
    )


def read_end_transaction_marker(batch: DecodedBatch) -> EndTransactionMarker:
    """Read the commit or abort marker in a decoded control batch.

    Raises :class:`CorruptRecordError` unless the batch has the control bit and exactly one
    record whose key names abort or commit and whose value holds a coordinator epoch (negative
    versions are corrupt; newer versions are read as version 0, as Kafka reads them).
    """
    header = batch.header
    if not header.is_control:
        raise CorruptRecordError("the batch is not a control batch (attribute bit 5 is clear)")
    if len(batch.records) != 1:
        raise CorruptRecordError(f"a control batch holds one record, not {len(batch.records)}")
    (record,) = batch.records
    if record.key is None or len(record.key) < _KEY.size:
        raise CorruptRecordError(f"control record key {record.key!r} is shorter than 4 bytes")
    key_version, type_id = _KEY.unpack_from(record.key)
    if key_version < 0 or type_id not in ControlRecordType._value2member_map_:
        raise CorruptRecordError(f"control key version {key_version}, type {type_id} is unknown")
    # Like Kafka's EndTransactionMarker.deserializeValue: at least the six version-0 bytes, a
    # negative version is corruption, and a newer version is read as version 0 (its first fields
    # are the same), so a marker from a newer coordinator still ends its transaction.
    if record.value is None or len(record.value) < _VALUE.size:
        raise CorruptRecordError(f"marker value {record.value!r} is shorter than 6 bytes")
    value_version, coordinator_epoch = _VALUE.unpack_from(record.value)
    if value_version < 0:
        raise CorruptRecordError(f"marker value version {value_version} is negative")
    return EndTransactionMarker(
        control_type=ControlRecordType(type_id),
        producer_id=header.producer_id,
        producer_epoch=header.producer_epoch,
        coordinator_epoch=coordinator_epoch,
        offset=record.offset,
        timestamp=record.timestamp,
    )
