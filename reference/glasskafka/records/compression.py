"""Compressing the records part of a batch: gzip, and a clear refusal of the other codecs.

Theory of operation
-------------------
A v2 batch names its codec in attribute bits 0-2 (``Compression``).  When a codec is set, every
byte after ``recordsCount`` is one compressed blob; the 61-byte header, ``recordsCount``
included, stays in the clear so a broker can read offsets and counts without decompressing
(Kafka's message-format docs, "Record Batch"; ``DefaultRecordBatch.compressedIterator``).

Rules kept here:

- gzip uses the standard library.  Output is deterministic: the gzip header's modification time
  is written as 0, so the same records always make the same bytes (and the same CRC).  Level 6
  is the JDK's ``Deflater.DEFAULT_COMPRESSION`` that Kafka's producer uses unless
  ``compression.gzip.level`` says otherwise (KIP-390).
- Decompression is bounded.  A few kilobytes of gzip can expand to gigabytes, so output beyond
  ``max_bytes`` is refused as corrupt instead of being allocated.  Concatenated gzip members are
  accepted, as Java's ``GZIPInputStream`` and Python's ``gzip`` module accept them; anything that is
  not gzip, a truncated stream, or bytes after the last member are corrupt.
- snappy, lz4 and zstd raise :class:`UnsupportedCompressionError`, which a broker answers with
  ``UNSUPPORTED_COMPRESSION_TYPE`` (76).  Codes 5-7 name no codec at all and are corrupt.

Spec IDs: none (a codec).

Simplified from Kafka: Kafka supports all four codecs (snappy since 0.8, lz4 since 0.8.2,
zstd since 2.1 with KIP-110) and a broker may recompress to the topic's ``compression.type``.
glasskafka keeps to the one codec in Python's standard library and never recompresses.
"""

from __future__ import annotations

import gzip
import zlib

from glasskafka.errors import ErrorCode
from glasskafka.records.header import Compression, CorruptRecordError

__all__ = [
    "GZIP_LEVEL",
    "MAX_DECOMPRESSED_BYTES",
    "UnsupportedCompressionError",
    "compress",
    "decompress",
]

GZIP_LEVEL = 6
"""The JDK's default deflate level, which Kafka's producer uses by default (KIP-390)."""

MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024
"""Default ceiling on one batch's decompressed records part (a guard against gzip bombs)."""

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's way of saying "gzip header and trailer, 32 KiB window"


class UnsupportedCompressionError(ValueError):
    """A batch (or a request to build one) uses a codec glasskafka does not implement.

    Brokers answer ``UNSUPPORTED_COMPRESSION_TYPE`` (76).  Deliberately *not* a subclass of
    :class:`CorruptRecordError`: the bytes may be perfectly good Kafka, just not servable here.
    """

    error_code = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE


def _refuse(codec: Compression) -> UnsupportedCompressionError:
    return UnsupportedCompressionError(
        f"compression {codec.name.lower()} is not supported; glasskafka supports none and gzip"
    )


def compress(codec: Compression, data: bytes) -> bytes:
    """Compress a batch's records part with ``codec`` (``NONE`` returns ``data`` unchanged).

    Raises :class:`UnsupportedCompressionError` for snappy, lz4 and zstd.
    """
    match codec:
        case Compression.NONE:
            return data
        case Compression.GZIP:
            return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
        case Compression.SNAPPY | Compression.LZ4 | Compression.ZSTD:
            raise _refuse(codec)
    raise ValueError(f"compression must be a Compression member, got {codec!r}")


def decompress(
    codec: Compression, data: bytes, *, max_bytes: int = MAX_DECOMPRESSED_BYTES
) -> bytes:
    """Decompress a batch's records part; never produce more than ``max_bytes``.

    Raises :class:`CorruptRecordError` for bad or oversized gzip data and
    :class:`UnsupportedCompressionError` for snappy, lz4 and zstd.
    """
    match codec:
        case Compression.NONE:
            return data
        case Compression.GZIP:
            return _gunzip(data, max_bytes=max_bytes)
        case Compression.SNAPPY | Compression.LZ4 | Compression.ZSTD:
            raise _refuse(codec)
    raise ValueError(f"compression must be a Compression member, got {codec!r}")


def _gunzip(data: bytes, *, max_bytes: int) -> bytes:
    """Inflate one or more concatenated gzip members, refusing output beyond ``max_bytes``."""
    out = bytearray()
    remaining = data
    while True:
        inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
        try:
            # max_length caps what one call may allocate; one byte more than the budget tells
            # "exactly at the limit" apart from "over it".
            out += inflater.decompress(remaining, max_bytes - len(out) + 1)
        except zlib.error as error:
            raise CorruptRecordError(f"gzip records part is corrupt: {error}") from None
        if len(out) > max_bytes:
            raise CorruptRecordError(f"gzip records part inflates past {max_bytes} bytes")
        if not inflater.eof:
            raise CorruptRecordError("gzip records part is truncated")
        remaining = inflater.unused_data
        if not remaining:
            return bytes(out)
