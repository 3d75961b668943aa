"""Find an offset in a partition log by hand: segment, sparse index, short scan.

Run from the repository root::

    python -m tutorials.ch02_the_log.find_offset

It builds the same ``page_visits-0`` log as ``append_and_look`` and looks up offsets 17 and 30
in the three steps of the course's picture, printing each step, then checks the answer against
``PartitionLog.read``, which does the same steps.
"""

from __future__ import annotations

import bisect
import pathlib
import tempfile

from glasskafka.log import PartitionLog
from glasskafka.records import read_header

from tutorials.ch02_the_log.common import append_visits, open_log

__all__ = ["find", "main"]


def find(log: PartitionLog, offset: int) -> int:
    """Print the three steps that locate ``offset``; return the byte position found."""
    print(f"looking for offset {offset}:")
    bases = [segment.base_offset for segment in log.segments]
    segment = log.segments[bisect.bisect_right(bases, offset) - 1]
    print(f"  1. segments start at offsets {bases}; the last one at or below {offset} is")
    print(f"     {segment.log_path} (base offset {segment.base_offset})")
    index = segment.offset_index
    entries = [index.entry(number) for number in range(index.entries)]
    entry_offset, position = index.lookup(offset)
    print(f"  2. its sparse index holds (offset, position) entries {entries};")
    if position == 0 and entry_offset == segment.base_offset:
        print(f"     none is at or below {offset}, so the scan starts at byte 0")
    else:
        print(f"     the last at or below {offset} is ({entry_offset}, {position}):")
        print(f"     every batch before byte {position} ends below offset {entry_offset}")
    print(f"  3. scan forward from byte {position}, reading only batch headers:")
    for batch_position, header in segment.batches_from(position):
        verdict = "holds it" if header.last_offset >= offset else "ends too early"
        span = f"{header.base_offset}-{header.last_offset}"
        print(f"     batch at byte {batch_position}: offsets {span}, {verdict}")
        if header.last_offset >= offset:
            return batch_position
    raise AssertionError(f"offset {offset} is not in the log")


def main() -> None:
    """Look up two offsets by hand and check each against the log's own read."""
    with tempfile.TemporaryDirectory(prefix="glasskafka-ch02-") as scratch:
        log = open_log(pathlib.Path(scratch))
        append_visits(log, 12)
        for offset in (17, 30):
            find(log, offset)
            first = read_header(log.read(offset, max_bytes=1))
            span = f"{first.base_offset}-{first.last_offset}"
            print(f"  log.read({offset}) returns the batch {span}, the same one\n")
        log.disk.close()


if __name__ == "__main__":
    main()
