"""What the scripts of chapter 12 share: a local cluster, the perf tools, and reading their lines.

Every script starts a real glasskafka cluster on this machine -- a coordination process and one
or three broker processes on free loopback ports, in a temporary directory -- exactly as
``glasskafka cluster up`` does, runs the course's commands against it (``glasskafka
producer-perf-test`` and ``glasskafka consumer-perf-test``, each a process of its own with
confluent-kafka as the client), prints each command and what it printed, and stops every
process by its pid at the end, also after an error.

:func:`producer_summary` and :func:`consumer_row` read the two summary lines back into numbers,
so a script can compare runs; :func:`shape` turns a line into the pattern of its kind (every
number replaced), which is how the chapter's test checks that the chapter shows what the tools
print without depending on how fast this machine is today.

Spec IDs: none (tutorial output).

Simplified from Kafka: the course runs three machines; here every process shares one, so the
figures are smaller than a real cluster's and change from run to run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from glasskafka.runtime.cluster import cluster_down, cluster_up

__all__ = [
    "ConsumerRow",
    "ProducerSummary",
    "consumer_row",
    "local_cluster",
    "producer_summary",
    "run_tool",
    "shape",
]

_ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_SUMMARY = re.compile(
    rf"^(\d+) records sent, {_NUMBER} records/sec \({_NUMBER} MB/sec\), {_NUMBER} ms avg "
    rf"latency, {_NUMBER} ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms "
    r"99\.9th\.$",
    re.M,
)
_ROW = re.compile(
    rf"^[\d:\- ]+, [\d:\- ]+, {_NUMBER}, {_NUMBER}, (\d+), {_NUMBER}, (\d+), (-?\d+), "
    rf"{_NUMBER}, {_NUMBER}$",
    re.M,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerSummary:
    """producer-perf-test's last line, as numbers."""

    records: int
    records_per_sec: float
    mb_per_sec: float
    avg_ms: float
    max_ms: float
    p50_ms: int
    p95_ms: int
    p99_ms: int
    p999_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerRow:
    """consumer-perf-test's row, as numbers."""

    mb: float
    mb_per_sec: float
    records: int
    records_per_sec: float


@contextmanager
def local_cluster(brokers: int) -> Iterator[str]:
    """A cluster of ``brokers`` on loopback for the ``with`` block; yields its bootstrap list.

    With more than one broker, ``min.insync.replicas=2`` is set on the brokers: glasskafka's
    brokers do not yet read a topic's own overrides from ``/config/topics`` (a topic's
    ``--config`` is stored there, as Kafka stores it, but the broker default applies)."""
    overrides = {"min.insync.replicas": "2"} if brokers > 1 else {}
    with tempfile.TemporaryDirectory(prefix="glasskafka-ch12-") as directory:
        processes = cluster_up(Path(directory), brokers=brokers, overrides=overrides)
        try:
            yield ",".join(p.address for p in processes if p.name.startswith("broker-"))
        finally:
            cluster_down(Path(directory))


def run_tool(*args: str, show: bool = True) -> str:
    """Run ``glasskafka ARGS`` as a process of its own; print the command and its output.

    Raises ``RuntimeError`` with the tool's error output if it fails.
    """
    if show:
        print("$ glasskafka " + " ".join(args), flush=True)
    done = subprocess.run(
        [sys.executable, "-c", _ENTRY, *args], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"glasskafka {args[0]} failed:\n{done.stderr}")
    if show:
        print(done.stdout, end="", flush=True)
    return done.stdout


def producer_summary(output: str) -> ProducerSummary:
    """The numbers of producer-perf-test's final line in ``output``."""
    found = _SUMMARY.search(output)
    if found is None:
        raise ValueError(f"no producer-perf-test summary line in:\n{output}")
    count, rate, mb, avg, most, p50, p95, p99, p999 = found.groups()
    return ProducerSummary(
        records=int(count), records_per_sec=float(rate), mb_per_sec=float(mb),
        avg_ms=float(avg), max_ms=float(most), p50_ms=int(p50), p95_ms=int(p95),
        p99_ms=int(p99), p999_ms=int(p999),
    )  # fmt: skip


def consumer_row(output: str) -> ConsumerRow:
    """The numbers of consumer-perf-test's summary row in ``output``."""
    found = _ROW.search(output)
    if found is None:
        raise ValueError(f"no consumer-perf-test row in:\n{output}")
    mb, mb_per_sec, count, rate = found.groups()[:4]
    return ConsumerRow(
        mb=float(mb), mb_per_sec=float(mb_per_sec), records=int(count), records_per_sec=float(rate)
    )


def shape(line: str) -> str:
    """``line`` with every number replaced by ``N`` and every run of spaces by one space: what
    stays the same from run to run (a table's columns widen with its numbers)."""
    return " ".join(re.sub(r"\d+(?:[.:,]\d+)*", "N", line).split())
