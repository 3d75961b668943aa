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


def _log_append(directory: str, batches: list[bytes]) -> tuple[PartitionLog, float]:
    """Append every batch to a new log; return the log and the seconds the appends took."""
    disk = RealDisk(directory)
    log = PartitionLog.open(disk, "bench", 0, TopicConfig(max_message_bytes=2**30), now_ms=0)
    start = time.perf_counter()
    for batch in batches:
        log.append_as_leader(batch, leader_epoch=0, now_ms=0)
    return log, time.perf_counter() - start


def _fetch_offsets(log: PartitionLog) -> list[int]:
    """The offsets a consumer reading the whole log would fetch from (found untimed)."""
    offsets, offset = [], 0
    while offset < log.log_end_offset:
        offsets.append(offset)
        # The next fetch starts after the last batch returned, as a consumer's position does.
        *_, (_, last) = iter_batches(log.read(offset, max_bytes=FETCH_MAX_BYTES))
        offset = last.next_offset
    return offsets


def _log_read(log: PartitionLog, offsets: list[int]) -> tuple[list[int], float]:
    """Fetch from each offset; return the size of each read and the seconds they took."""
    sizes = []
    start = time.perf_counter()
    for offset in offsets:
        sizes.append(len(log.read(offset, max_bytes=FETCH_MAX_BYTES)))
    return sizes, time.perf_counter() - start


def _file_append(path: str, batches: list[bytes]) -> float:
    with open(path, "wb", buffering=0) as stream:
        start = time.perf_counter()
        for batch in batches:
            stream.write(batch)
        return time.perf_counter() - start


def _file_read(path: str, sizes: list[int]) -> float:
    with open(path, "rb", buffering=0) as stream:
        start = time.perf_counter()
        for size in sizes:
            stream.read(size)
        return time.perf_counter() - start


def measure(case: Case, *, repeat: int = 3) -> Result:
    """Run ``case`` ``repeat`` times on fresh directories; keep each side's best time.

    Opening the log and the file is not timed: only moving the batches is.
    """
    batches = [_batch(case.records_per_batch, number) for number in range(case.batches)]
    total = sum(len(batch) for batch in batches)
    times: dict[str, list[float]] = {"log_append": [], "file_append": []}
    times |= {"log_read": [], "file_read": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="glasskafka-bench-") as directory:
            log, seconds = _log_append(os.path.join(directory, "log"), batches)
            times["log_append"].append(seconds)
            plain = os.path.join(directory, "plain.bin")
            times["file_append"].append(_file_append(plain, batches))
            sizes, seconds = _log_read(log, _fetch_offsets(log))
            assert sum(sizes) == total, "the log read back a different number of bytes"
            times["log_read"].append(seconds)
            times["file_read"].append(_file_read(plain, sizes))
            log.disk.close()
    megabytes = total / 1e6
    return Result(
        case=case,
        total_bytes=total,
        log_append=megabytes / min(times["log_append"]),
        file_append=megabytes / min(times["file_append"]),
        log_read=megabytes / min(times["log_read"]),
        file_read=megabytes / min(times["file_read"]),
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
