"""RecordBatch v2: Kafka's unit of storage and transfer.

``header`` reads, checks and stamps a batch's fixed 61-byte header, which is all the broker's hot
paths need.  ``batch`` encodes and decodes the records inside; ``control`` builds and reads the
transaction markers; ``compression`` holds gzip; ``varint`` the zigzag varints of the record
format; ``crc`` a readable CRC-32C for study (production code uses the ``crc32c`` package).

Simplified from Kafka: only magic 2, and only the gzip codec (see each module's own note).

Spec IDs: none; LOG-1 and LOG-2 rely on the batch layout read here.
"""

from glasskafka.records.batch import (
    NO_TIMESTAMP,
    DecodedBatch,
    DecodedRecord,
    Record,
    decode_batch,
    encode_batch,
    iter_batches,
)
from glasskafka.records.compression import UnsupportedCompressionError
from glasskafka.records.control import (
    ControlRecordType,
    EndTransactionMarker,
    encode_control_batch,
    read_end_transaction_marker,
)
from glasskafka.records.header import (
    BATCH_HEADER_SIZE,
    CRC_START,
    LOG_OVERHEAD,
    BatchHeader,
    Compression,
    CorruptRecordError,
    batch_crc,
    read_header,
    set_max_timestamp,
    stamp,
    validate_batch,
)

__all__ = [
    "BATCH_HEADER_SIZE",
    "CRC_START",
    "LOG_OVERHEAD",
    "NO_TIMESTAMP",
    "BatchHeader",
    "Compression",
    "ControlRecordType",
    "CorruptRecordError",
    "DecodedBatch",
    "DecodedRecord",
    "EndTransactionMarker",
    "Record",
    "UnsupportedCompressionError",
    "batch_crc",
    "decode_batch",
    "encode_batch",
    "encode_control_batch",
    "iter_batches",
    "read_end_transaction_marker",
    "read_header",
    "set_max_timestamp",
    "stamp",
    "validate_batch",
]
