"""Watch segments roll (by size and by age) and old segments go (retention).

Run from the repository root::

    python -m tutorials.ch02_the_log.roll_and_retain

The topic keeps tiny segments: ``segment.bytes=1024`` and ``segment.ms=10000`` (the broker-wide
names are ``log.segment.bytes`` and ``log.roll.ms``/``log.roll.hours``), and
``retention.ms=60000`` (``log.retention.ms``/``.hours``).  One batch of three visits arrives
every second (big ones first, then small ones); then a minute passes and retention runs.
"""

from __future__ import annotations

import pathlib
import tempfile

from glasskafka.config import TopicConfig
from glasskafka.log import LogError, LogSegment, PartitionLog

from tutorials.ch02_the_log.common import START_MS, append_visits, open_log

__all__ = ["CONFIG", "main"]

CONFIG = TopicConfig(
    segment_bytes=1024, segment_ms=10_000, index_interval_bytes=200, retention_ms=60_000
)


def segments(log: PartitionLog) -> str:
    """The segment files, with the range of offsets each holds."""
    return ", ".join(
        f"{s.base_offset:020d}.log [{s.base_offset}, {s.next_offset})" for s in log.segments
    )


def report_roll(old: LogSegment, log: PartitionLog, second: int) -> None:
    """Say why the segment ``old`` stopped being the active one at ``second``."""
    waited = START_MS + 1_000 * second - (old.first_batch_timestamp or START_MS)
    if waited > CONFIG.segment_ms:
        reason = f"its first batch is {waited} ms old, more than segment.ms={CONFIG.segment_ms}"
    else:
        reason = f"{old.size} bytes + this batch would pass segment.bytes={CONFIG.segment_bytes}"
    print(f"t={second}s: rolled a new segment at offset {log.active_segment.base_offset}")
    print(f"       because {reason}")


def main() -> None:
    """Append a batch a second for 20 s, reporting each roll; then apply retention."""
    with tempfile.TemporaryDirectory(prefix="glasskafka-ch02-") as scratch:
        log = open_log(pathlib.Path(scratch), CONFIG)
        for second in range(20):
            before = log.active_segment
            # Big batches (8 visits) for 3 s, then small ones (1 visit): size rolls first, age next.
            per_batch = 8 if second < 3 else 1
            append_visits(log, 1, per_batch=per_batch, first_ms=START_MS + 1_000 * second)
            if log.active_segment is not before:
                report_roll(before, log, second)
        print(f"segments: {segments(log)}")
        print(f"log start offset {log.log_start_offset}, log end offset {log.log_end_offset}\n")

        now_ms = START_MS + 75_000
        deleted = log.delete_old_segments(now_ms=now_ms)
        print(f"t=75s: retention deleted {deleted} segment(s) whose newest record is over 60 s old")
        print(f"segments: {segments(log)}")
        print(f"log start offset {log.log_start_offset}, log end offset {log.log_end_offset}")
        try:
            log.read(0, max_bytes=1_000)
        except LogError as error:
            print(f"reading offset 0 now: {error}")
        log.disk.close()


if __name__ == "__main__":
    main()
