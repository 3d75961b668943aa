"""What every script of chapter 2 shares: the topic, its tiny segments, and the records.

The partition is ``page_visits-0``, the course's example topic.  Segments are made tiny (1 KiB,
an index entry every 200 bytes) so that a few dozen records already fill several segments; a
real broker's defaults are 1 GiB and 4096 bytes.  Each record is one page visit: the key is the
user, the value the page, and the timestamps are fixed, so every run prints the same thing.
"""

from __future__ import annotations

import pathlib
import sys

from glasskafka.config import TopicConfig
from glasskafka.log import PartitionLog
from glasskafka.records import Record, encode_batch
from glasskafka.storage import RealDisk

__all__ = ["CONFIG", "START_MS", "TOPIC", "append_visits", "directory_argument", "open_log"]

TOPIC = "page_visits"
START_MS = 1_700_000_000_000
CONFIG = TopicConfig(segment_bytes=1024, index_interval_bytes=200, retention_ms=60_000)


def directory_argument(default: pathlib.Path) -> pathlib.Path:
    """The log directory: the script's first argument if given (to keep the files), else
    ``default``."""
    return pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default


def open_log(directory: pathlib.Path, config: TopicConfig = CONFIG) -> PartitionLog:
    """Open (or create) ``page_visits-0`` in ``directory`` on the real file system."""
    return PartitionLog.open(RealDisk(directory), TOPIC, 0, config, now_ms=START_MS)


def append_visits(
    log: PartitionLog, batches: int, *, per_batch: int = 3, first_ms: int = START_MS
) -> None:
    """Append ``batches`` batches of ``per_batch`` page visits, the first batch's at
    ``first_ms`` and each next one a millisecond later."""
    for number in range(batches):
        offset, timestamp = log.log_end_offset, first_ms + number
        records = [
            Record(
                key=b"user-%d" % ((offset + n) % 7),
                value=b"/page/%d" % (offset + n),
                timestamp=timestamp,
            )
            for n in range(per_batch)
        ]
        log.append_as_leader(encode_batch(records), leader_epoch=0, now_ms=timestamp)
