"""Append page visits to a partition log, then look at the files it made.

Run from the repository root::

    python -m tutorials.ch02_the_log.append_and_look            # in a temporary directory
    python -m tutorials.ch02_the_log.append_and_look /tmp/ch02  # keep the files to explore

It prints the partition directory (one file triple per segment, named by base offset), a hex
view of the first batch with its header fields named, and the entries of the first segment's
offset and time indexes.
"""

from __future__ import annotations

import pathlib
import struct
import tempfile

from glasskafka.log import PartitionLog, decode_offset_index, decode_time_index
from glasskafka.records import BATCH_HEADER_SIZE, read_header

from tutorials.ch02_the_log.common import append_visits, directory_argument, open_log

__all__ = ["HEADER_FIELDS", "hex_view", "main"]

HEADER_FIELDS = (
    ("baseOffset", ">q"),
    ("batchLength", ">i"),
    ("partitionLeaderEpoch", ">i"),
    ("magic", ">b"),
    ("crc", ">I"),
    ("attributes", ">h"),
    ("lastOffsetDelta", ">i"),
    ("baseTimestamp", ">q"),
    ("maxTimestamp", ">q"),
    ("producerId", ">q"),
    ("producerEpoch", ">h"),
    ("baseSequence", ">i"),
    ("recordsCount", ">i"),
)
"""The 61-byte header of a RecordBatch v2, field by field (wire-protocol.md §9)."""


def hex_view(batch: bytes) -> list[str]:
    """One line per header field (position, bytes, name, value), then the records' bytes."""
    lines, position = [], 0
    for name, layout in HEADER_FIELDS:
        size = struct.calcsize(layout)
        (value,) = struct.unpack_from(layout, batch, position)
        raw = batch[position : position + size].hex(" ")
        lines.append(f"  {position:3d}  {raw:<24}  {name:<21} {value}")
        position += size
    records = batch[BATCH_HEADER_SIZE:]
    for start in range(0, len(records), 16):
        label = "records" if start == 0 else ""
        lines.append(
            f"  {BATCH_HEADER_SIZE + start:3d}  {records[start : start + 16].hex(' ')}  {label}"
        )
    return lines


def show(log: PartitionLog) -> None:
    """Print the partition directory, the first batch in hex, and the first segment's indexes."""
    print(f"partition directory {log.directory}/ (log end offset {log.log_end_offset}):")
    for name in log.disk.list_dir(log.directory):
        print(f"  {name:<34} {log.disk.size(f'{log.directory}/{name}'):5d} bytes")
    first = log.segments[0]
    head = read_header(log.disk.read(first.log_path, 0, BATCH_HEADER_SIZE))
    batch = log.disk.read(first.log_path, 0, head.size)
    print(f"\nthe first batch, {head.size} bytes at position 0 of {first.log_path}:")
    for line in hex_view(batch):
        print(line)
    print(f"\n{first.index_path}: (relative offset, position) -> offset")
    for relative, position in decode_offset_index(log.disk.read(first.index_path)) or []:
        print(
            f"  ({relative}, {position}) -> offset {first.base_offset + relative} "
            f"is the last offset of the batch at byte {position}"
        )
    print(f"\n{first.time_index_path}: (timestamp, relative offset)")
    for timestamp, relative in decode_time_index(log.disk.read(first.time_index_path)) or []:
        print(f"  ({timestamp}, {relative})")


def main() -> None:
    """Append 12 batches of 3 visits to ``page_visits-0`` and show the files."""
    with tempfile.TemporaryDirectory(prefix="glasskafka-ch02-") as scratch:
        log = open_log(directory_argument(pathlib.Path(scratch)))
        append_visits(log, 12)
        show(log)
        log.disk.close()


if __name__ == "__main__":
    main()
