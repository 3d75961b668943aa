"""Append and read throughput of the partition log, against a plain file, in one run.

What it measures
----------------
Batches of 1000-byte records (16 and 1,000 records per batch, the sizes of a small and a large
producer batch) are encoded once, up front, as a producer would.  Then, on a ``RealDisk`` in a
temporary directory:

* **append**: ``PartitionLog.append_as_leader`` for every batch -- validate the header and
  CRC-32C, stamp the base offset and leader epoch, append to the segment, add index entries,
  roll segments at the default 1 GiB;
* **read**: read the whole log back from offset 0 with ``PartitionLog.read`` as a consumer
  would, ``max_bytes`` = 1 MiB per call (``max.partition.fetch.bytes``), each call starting
  where the last ended.

The peer is the least work that moves the same bytes: ``write`` the same batches to one plain
file (unbuffered, one call per batch) and ``read`` them back in the same chunk sizes.  Neither
side fsyncs: both measure the path through the page cache, which is what a broker's produce and
fetch paths do between flushes.  The ratio log/plain is the figure that matters: it is the cost
of being a log (validation, stamping, indexes, segment files) on top of moving bytes.

Run ``python -m benchmarks.log_throughput`` (``--megabytes`` sets the amount per case, default
256).  ``docs/benchmarks/log.md`` records the figures.

Spec IDs: none (performance).

Simplified from Kafka: Kafka's fetch path hands the socket a zero-copy ``FileChannel`` region;
here both the log and the peer copy bytes into Python objects, so the comparison is like for like.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from glasskafka.config import TopicConfig
from glasskafka.log import PartitionLog
from glasskafka.records import Record, encode_batch, iter_batches
from glasskafka.storage import RealDisk

__all__ = ["Case", "Result", "main", "measure"]

RECORD_BYTES = 1000
FETCH_MAX_BYTES = 1024 * 1024
BATCH_SIZES = (16, 1000)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One measurement: ``batches`` batches of ``records_per_batch`` 1000-byte records."""

    records_per_batch: int
    batches: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """Throughputs in MB/s for the log and the plain file, appending and reading."""

    case: Case
    total_bytes: int
    log_append: float
    file_append: float
    log_read: float
    file_read: float


def _batch(records_per_batch: int, number: int) -> bytes:
    value = bytes([number % 251]) * (RECORD_BYTES - 16)
    records = [
        Record(key=b"key-%011d" % (number * records_per_batch + i), value=value, timestamp=number)
        for i in range(records_per_batch)
    ]
    return encode_batch(records)


def _seconds(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _log_append(directory: str, batches: list[bytes]) -> PartitionLog:
    disk = RealDisk(directory)
    config = TopicConfig(max_message_bytes=2**30)
    log = PartitionLog.open(disk, "bench", 0, config, now_ms=0)
    for batch in batches:
        log.append_as_leader(batch, leader_epoch=0, now_ms=0)
    return log


def _log_read(log: PartitionLog) -> list[int]:
    """Read the whole log; return the sizes each read returned (the peer reads the same)."""
    sizes, offset = [], 0
    while offset < log.log_end_offset:
        data = log.read(offset, max_bytes=FETCH_MAX_BYTES)
        sizes.append(len(data))
        # The next fetch starts after the last batch returned, as a consumer's position does.
        *_, (_, last) = iter_batches(data)
        offset = last.next_offset
    return sizes


def _file_append(path: str, batches: list[bytes]) -> None:
    with open(path, "wb", buffering=0) as stream:
        for batch in batches:
            stream.write(batch)


def _file_read(path: str, sizes: list[int]) -> None:
    with open(path, "rb", buffering=0) as stream:
        for size in sizes:
            stream.read(size)


def measure(case: Case, *, repeat: int = 3) -> Result:
    """Run ``case`` ``repeat`` times on fresh directories; keep each side's best time."""
    batches = [_batch(case.records_per_batch, number) for number in range(case.batches)]
    total = sum(len(batch) for batch in batches)
    best = {"log_append": float("inf"), "file_append": float("inf")}
    best |= {"log_read": float("inf"), "file_read": float("inf")}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="glasskafka-bench-") as directory:
            plain = os.path.join(directory, "plain.bin")
            holder: list[PartitionLog] = []
            best["log_append"] = min(
                best["log_append"],
                _seconds(
                    lambda: holder.append(_log_append(os.path.join(directory, "log"), batches))
                ),
            )
            best["file_append"] = min(
                best["file_append"], _seconds(lambda: _file_append(plain, batches))
            )
            sizes: list[int] = []
            best["log_read"] = min(
                best["log_read"], _seconds(lambda: sizes.extend(_log_read(holder[0])))
            )
            assert sum(sizes) == total, "the log read back a different number of bytes"
            best["file_read"] = min(best["file_read"], _seconds(lambda: _file_read(plain, sizes)))
            holder[0].disk.close()
    megabytes = total / 1e6
    return Result(
        case=case,
        total_bytes=total,
        log_append=megabytes / best["log_append"],
        file_append=megabytes / best["file_append"],
        log_read=megabytes / best["log_read"],
        file_read=megabytes / best["file_read"],
    )


def _report(result: Result) -> str:
    case = result.case
    append_ratio = result.log_append / result.file_append
    read_ratio = result.log_read / result.file_read
    return (
        f"{case.records_per_batch:>5} records/batch  {result.total_bytes / 1e6:8.1f} MB  "
        f"append {result.log_append:8.1f} MB/s vs file {result.file_append:8.1f} MB/s "
        f"= {append_ratio:5.0%}   "
        f"read {result.log_read:8.1f} MB/s vs file {result.file_read:8.1f} MB/s = {read_ratio:5.0%}"
    )


def main(argv: list[str] | None = None) -> list[Result]:
    """Run both batch sizes and print one line each; return the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.log_throughput")
    parser.add_argument("--megabytes", type=float, default=256.0, help="data per case")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best is kept)")
    args = parser.parse_args(argv)
    results = []
    print(f"partition log vs plain file, {RECORD_BYTES}-byte records, page cache (no fsync)")
    for records_per_batch in BATCH_SIZES:
        batch_bytes = records_per_batch * (RECORD_BYTES + 16)
        count = max(2, int(args.megabytes * 1e6 / batch_bytes))
        result = measure(
            Case(records_per_batch=records_per_batch, batches=count), repeat=args.repeat
        )
        print(_report(result))
        results.append(result)
    return results


if __name__ == "__main__":
    main()
