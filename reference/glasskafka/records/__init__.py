"""RecordBatch v2: Kafka's unit of storage and transfer.

``header`` reads, checks and stamps a batch's fixed 61-byte header, which is all the broker's hot
paths need.
"""

from glasskafka.records.header import (
    BATCH_HEADER_SIZE,
    LOG_OVERHEAD,
    BatchHeader,
    Compression,
    CorruptRecordError,
    batch_crc,
    read_header,
    stamp,
    validate_batch,
)

__all__ = [
    "BATCH_HEADER_SIZE",
    "LOG_OVERHEAD",
    "BatchHeader",
    "Compression",
    "CorruptRecordError",
    "batch_crc",
    "read_header",
    "stamp",
    "validate_batch",
]
