"""The one exception the partition log raises, carrying the Kafka error code for the caller.

Theory of operation
-------------------
The log is not a node: it is plain data that a broker node owns.  A request the log must refuse
(a corrupt batch, a fetch offset out of range...) is raised as :class:`LogError`, whose ``code``
is the :class:`~glasskafka.errors.ErrorCode` the broker puts in its response.  The broker catches
``LogError`` around every call into the log, so no exception escapes the node (STYLE rule 8).
A ``LogError`` is always raised *before* anything changes: the log is left exactly as it was.

The codes the log uses, and when:

* ``CORRUPT_MESSAGE`` (2): a batch with a bad length, magic or CRC (``LogValidator.java``);
* ``OFFSET_OUT_OF_RANGE`` (1): a read below the log start offset or above the log end offset;
* ``MESSAGE_TOO_LARGE`` (10): a batch larger than ``max.message.bytes``;
* ``RECORD_LIST_TOO_LARGE`` (18): a batch larger than a whole segment (``segment.bytes``);
* ``INVALID_RECORD`` (87): an empty batch, offset deltas that do not match the count, more than
  one batch in a produce, a control batch from a client, a keyless record on a compacted topic,
  or follower batches that do not continue the log;
* ``INVALID_TOPIC_EXCEPTION`` (17): an illegal topic name (refused before any file is created);
* ``INVALID_PARTITIONS`` (37): a partition number that is negative or too large;
* ``FENCED_LEADER_EPOCH`` (74): a leader append with an epoch older than the log's latest;
* ``UNSUPPORTED_COMPRESSION_TYPE`` (76): a codec number that is none of Kafka's, or a codec
  glasskafka cannot open where it must look inside a batch (a compacted topic's keys).

Spec IDs: none directly; "refused and untouched" is checked by the tests of bad input.

Simplified from Kafka: Kafka's ``UnifiedLog`` throws one exception class per case
(``CorruptRecordException``, ``OffsetOutOfRangeException``...) and ``Errors.forException`` maps
them to codes; one class with a code field does the same job with less to read.
"""

from __future__ import annotations

from glasskafka.errors import ErrorCode

__all__ = ["LogError"]


class LogError(Exception):
    """The log refused a request; ``code`` is the Kafka error the broker answers with."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code.name} ({int(code)}): {message}")
