"""``glasskafka dump-log``: print what is inside segment files, like ``kafka-dump-log.sh``.

Theory of operation
-------------------
Kafka's ``kafka-dump-log.sh`` (``kafka.tools.DumpLogSegments``) is how one looks at a log on disk.
This command takes the same files and flags and prints the same line shapes, so course notes and
Kafka's documentation read the same with glasskafka's files:

* a ``.log`` file: ``Dumping <file>``, ``Log starting offset: <base>``, then one line per batch::

      baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1
      producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false
      deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1700000000000 size: 98
      magic: 2 compresscodec: none crc: 2456284183 isvalid: true

  (one line in the output).  With ``--deep-iteration`` each record follows as
  ``| offset: 0 CreateTime: ... keySize: 1 valueSize: 5 sequence: -1 headerKeys: []``, and
  ``--print-data-log`` adds `` key: ...`` and `` payload: ...`` (decoded as UTF-8).  Bytes after
  the last whole batch are reported as ``Found N invalid bytes at the end of <name>``;
* a ``.index`` file: ``offset: N position: P`` per entry.  If the segment's ``.log`` is beside
  it, each entry is checked against the batch at its position (Kafka records the batch's last
  offset), and mismatches are listed on stderr as Kafka lists them;
* a ``.timeindex`` file: ``timestamp: T offset: N`` per entry.

Files are read with bounded reads, batch by batch, never whole.  Bad input -- a missing file, a
directory, a file of another kind, a torn index -- gets a one-line message on stderr, the other
files are still dumped, and the exit status is 2.  No traceback.

Spec IDs: none directly; the ``.index`` check is LOG-3 seen from outside.

Simplified from Kafka: no ``--offsets-decoder``, ``--transaction-log-decoder`` or custom decoder
classes; ``.snapshot`` and ``.txnindex`` files are not written by glasskafka and are not read.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import struct
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from glasskafka.errors import GlassKafkaError
from glasskafka.log import (
    INDEX_SUFFIX,
    LOG_SUFFIX,
    OFFSET_INDEX_ENTRY_SIZE,
    TIME_INDEX_ENTRY_SIZE,
    TIME_INDEX_SUFFIX,
    decode_offset_index,
    decode_time_index,
)
from glasskafka.records import (
    BATCH_HEADER_SIZE,
    LOG_OVERHEAD,
    BatchHeader,
    ControlRecordType,
    CorruptRecordError,
    DecodedBatch,
    UnsupportedCompressionError,
    decode_batch,
    read_end_transaction_marker,
    read_header,
    validate_batch,
)

__all__ = ["DumpOptions", "dump_files", "register"]

_DELETE_HORIZON_BIT = 0x40
_LENGTH = struct.Struct(">i")


@dataclass(frozen=True, slots=True, kw_only=True)
class DumpOptions:
    """The command's flags."""

    print_data_log: bool = False
    deep_iteration: bool = False
    verify_index_only: bool = False
    max_bytes: int = 2**31 - 1


@dataclass(slots=True)
class _Report:
    out: TextIO
    err: TextIO
    failed: bool = False
    mismatches: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def problem(self, message: str) -> None:
        print(message, file=self.err)
        self.failed = True


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``dump-log`` subcommand."""
    parser = subparsers.add_parser(
        "dump-log",
        help="print the batches and index entries of segment files (kafka-dump-log.sh)",
        description="Parse log segment files (.log, .index, .timeindex) and print their contents.",
    )
    parser.add_argument("paths", nargs="*", metavar="FILE", help="segment files to dump")
    parser.add_argument(
        "--files", default="", help="comma-separated data and index files (as kafka-dump-log.sh)"
    )
    parser.add_argument(
        "--print-data-log", action="store_true", help="print each record's key and payload"
    )
    parser.add_argument(
        "--deep-iteration", action="store_true", help="print each record (implied by the above)"
    )
    parser.add_argument(
        "--verify-index-only", action="store_true", help="check .index entries without printing"
    )
    parser.add_argument(
        "--max-bytes", type=int, default=2**31 - 1, help="stop reading a .log file after this"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    files = [*args.paths, *(name for name in args.files.split(",") if name.strip())]
    if not files:
        raise GlassKafkaError("dump-log needs at least one FILE (or --files a.log,b.index)")
    if args.max_bytes < 0:
        raise GlassKafkaError(f"--max-bytes is {args.max_bytes}; allowed: an integer >= 0")
    options = DumpOptions(
        print_data_log=args.print_data_log,
        deep_iteration=args.deep_iteration or args.print_data_log,
        verify_index_only=args.verify_index_only,
        max_bytes=args.max_bytes,
    )
    try:
        return dump_files([name.strip() for name in files], options, out=sys.stdout, err=sys.stderr)
    except BrokenPipeError:
        # The reader went away (``dump-log ... | head``): stop quietly.  Pointing stdout at
        # /dev/null keeps Python's exit-time flush from failing again (the Python docs' recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def dump_files(files: Sequence[str], options: DumpOptions, *, out: TextIO, err: TextIO) -> int:
    """Dump each file to ``out``; report problems on ``err``; return the exit status (0 or 2)."""
    report = _Report(out=out, err=err)
    for name in files:
        path = pathlib.Path(name)
        print(f"Dumping {path}", file=out)
        try:
            if path.is_dir():
                report.problem(f"glasskafka dump-log: {path}: is a directory, not a segment file")
                continue
            stream = path.open("rb")
        except (OSError, ValueError) as error:  # missing, unreadable, or not a usable name
            reason = error.strerror if isinstance(error, OSError) else str(error)
            report.problem(f"glasskafka dump-log: {path}: cannot read: {reason}")
            continue
        with stream:
            _dump_one(path, stream, options, report)
    for name, mismatches in report.mismatches.items():
        print(f"Mismatches in :{name}", file=err)
        for index_offset, log_offset in mismatches:
            print(f"  Index offset: {index_offset}, log offset: {log_offset}", file=err)
    # Index mismatches are findings, not bad input: Kafka's tool reports them and exits 0.
    return 2 if report.failed else 0


def _dump_one(path: pathlib.Path, stream: BinaryIO, options: DumpOptions, report: _Report) -> None:
    base = _base_offset(path)
    if path.suffix == LOG_SUFFIX:
        if base is not None:
            print(f"Log starting offset: {base}", file=report.out)
        _dump_log(path, stream, options, report)
    elif path.suffix == INDEX_SUFFIX:
        _dump_index(path, stream, base or 0, options, report)
    elif path.suffix == TIME_INDEX_SUFFIX:
        _dump_time_index(path, stream, base or 0, report)
    else:
        report.problem(f"Ignoring unknown file {path}")


def _base_offset(path: pathlib.Path) -> int | None:
    stem = path.name.split(".")[0]
    return int(stem) if stem.isdigit() and stem.isascii() else None


# -- .log files ----------------------------------------------------------------------------


def _batches(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes]]:
    """``(position, bytes)`` of each whole batch, reading one batch at a time."""
    position = 0
    while position + LOG_OVERHEAD <= limit:
        stream.seek(position)
        head = stream.read(LOG_OVERHEAD)
        if len(head) < LOG_OVERHEAD:
            return
        (length,) = _LENGTH.unpack_from(head, 8)
        size = length + LOG_OVERHEAD
        if length < BATCH_HEADER_SIZE - LOG_OVERHEAD or position + size > limit:
            return
        batch = head + stream.read(length)
        if len(batch) < size:
            return
        yield position, batch
        position += size


def _dump_log(path: pathlib.Path, stream: BinaryIO, options: DumpOptions, report: _Report) -> None:
    file_size = stream.seek(0, 2)
    limit = min(file_size, options.max_bytes)
    valid_bytes = 0
    for position, batch in _batches(stream, limit):
        header = read_header(batch)
        try:
            validate_batch(batch)
            is_valid = True
        except CorruptRecordError:
            is_valid = False
        print(_batch_line(header, position, is_valid), file=report.out)
        if options.deep_iteration and is_valid:
            _dump_records(batch, header, options, report)
        valid_bytes = position + len(batch)
    if file_size > valid_bytes and options.max_bytes >= file_size:
        print(
            f"Found {file_size - valid_bytes} invalid bytes at the end of {path.name}",
            file=report.out,
        )


def _batch_line(header: BatchHeader, position: int, is_valid: bool) -> str:
    horizon = (
        f"OptionalLong[{header.base_timestamp}]"
        if header.attributes & _DELETE_HORIZON_BIT
        else "OptionalLong.empty"
    )
    codec = _codec_name(header)
    return (
        f"baseOffset: {header.base_offset} lastOffset: {header.last_offset} "
        f"count: {header.records_count} baseSequence: {header.base_sequence} "
        f"lastSequence: {header.last_sequence} producerId: {header.producer_id} "
        f"producerEpoch: {header.producer_epoch} "
        f"partitionLeaderEpoch: {header.partition_leader_epoch} "
        f"isTransactional: {_bool(header.is_transactional)} isControl: {_bool(header.is_control)} "
        f"deleteHorizonMs: {horizon} position: {position} "
        f"{_timestamp_type(header)}: {header.max_timestamp} size: {header.size} "
        f"magic: {header.magic} compresscodec: {codec} crc: {header.crc} "
        f"isvalid: {_bool(is_valid)}"
    )


def _codec_name(header: BatchHeader) -> str:
    try:
        return header.compression.name.lower()
    except ValueError:
        return f"unknown({header.attributes & 0x07})"


def _timestamp_type(header: BatchHeader) -> str:
    return "LogAppendTime" if header.log_append_time else "CreateTime"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _dump_records(batch: bytes, header: BatchHeader, options: DumpOptions, report: _Report) -> None:
    try:
        decoded = decode_batch(batch)
    except (UnsupportedCompressionError, CorruptRecordError) as error:
        print(f"| cannot read the records: {error}", file=report.out)
        return
    for record in decoded.records:
        delta = record.offset - header.base_offset
        sequence = -1 if header.base_sequence < 0 else (header.base_sequence + delta) % 2**31
        line = (
            f"| offset: {record.offset} {_timestamp_type(header)}: {record.timestamp} "
            f"keySize: {_size(record.key)} valueSize: {_size(record.value)} "
            f"sequence: {sequence} headerKeys: [{','.join(key for key, _ in record.headers)}]"
        )
        if header.is_control:
            line += _control_text(decoded)
        elif options.print_data_log:
            if record.key is not None:
                line += f" key: {record.key.decode('utf-8', 'replace')}"
            if record.value is not None:
                line += f" payload: {record.value.decode('utf-8', 'replace')}"
        print(line, file=report.out)


def _size(data: bytes | None) -> int:
    return -1 if data is None else len(data)


def _control_text(decoded: DecodedBatch) -> str:
    try:
        marker = read_end_transaction_marker(decoded)
    except CorruptRecordError:
        return " controlType: unknown"
    name = ControlRecordType(marker.control_type).name
    return f" endTxnMarker: {name} coordinatorEpoch: {marker.coordinator_epoch}"


# -- index files ---------------------------------------------------------------------------


def _read_entries(stream: BinaryIO, path: pathlib.Path, size: int, report: _Report) -> bytes:
    data = stream.read()
    torn = len(data) % size
    if torn:
        report.problem(
            f"glasskafka dump-log: {path}: {len(data)} bytes is not a whole number of "
            f"{size}-byte entries; the last {torn} bytes are ignored"
        )
    return data[: len(data) - torn]


def _dump_index(
    path: pathlib.Path, stream: BinaryIO, base: int, options: DumpOptions, report: _Report
) -> None:
    entries = decode_offset_index(_read_entries(stream, path, OFFSET_INDEX_ENTRY_SIZE, report))
    if not entries:
        print(f"{path} is empty.", file=report.out)
        return
    log_path = path.with_suffix(LOG_SUFFIX)
    for relative, position in entries:
        offset = base + relative
        if log_path.is_file():
            last = _last_offset_at(log_path, position)
            if last != offset:
                report.mismatches.setdefault(str(path.resolve()), []).append((offset, last))
        if not options.verify_index_only:
            print(f"offset: {offset} position: {position}", file=report.out)


def _last_offset_at(log_path: pathlib.Path, position: int) -> int:
    """The last offset of the batch at ``position`` of ``log_path``, or -1 if there is none."""
    with log_path.open("rb") as stream:
        stream.seek(position)
        head = stream.read(BATCH_HEADER_SIZE)
    if len(head) < BATCH_HEADER_SIZE:
        return -1
    return read_header(head).last_offset


def _dump_time_index(path: pathlib.Path, stream: BinaryIO, base: int, report: _Report) -> None:
    entries = decode_time_index(_read_entries(stream, path, TIME_INDEX_ENTRY_SIZE, report))
    if not entries:
        print(f"{path} is empty.", file=report.out)
        return
    for timestamp, relative in entries:
        print(f"timestamp: {timestamp} offset: {base + relative}", file=report.out)
