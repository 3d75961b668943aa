"""Whole clusters on one machine: glasskafka against Redis Streams, as the course measures Kafka.

What it measures
----------------
One run starts, one after the other, a **1-broker** and a **3-broker** glasskafka cluster -- real
processes on free loopback ports, in a temporary directory (``glasskafka.runtime.cluster``) --
and measures each with the perf tools the course uses, run as processes of their own with
confluent-kafka (librdkafka) as the client:

* ``glasskafka producer-perf-test``: ``--num-records N --record-size B --throughput -1`` with
  ``acks=0``, ``acks=1`` and ``acks=all``, each to a fresh one-partition topic (on the 3-broker
  cluster: replication factor 3, ``min.insync.replicas=2``);
* ``glasskafka consumer-perf-test``: all N records back, in fetches of up to 1 MiB, after an
  untimed warm-up read (the first consumer makes the broker create ``__consumer_offsets``);
* the producer again at ``--throughput 10000`` (records/s), for the latency percentiles of a
  cluster that is not saturated (``acks=1`` on one broker, ``acks=all`` on three).

The peer, in the same run and with payloads of the same size and kind: Debian's ``redis-server``,
started here on a free loopback port with no persistence (no RDB, no AOF), and redis-py with
hiredis: ``XADD`` in pipelines of 500, then the whole stream read back with ``XRANGE`` in pages
of 1,000 entries (about the 1 MiB of a fetch) and with ``XREADGROUP ... NOACK`` (a group that,
like the perf consumer, commits nothing per record).

Every leg must move every record: the producer's summary must count N acknowledgements and the
partition's high watermark (ListOffsets) must be N -- for ``acks=0`` that is the only proof --
and the consumers must read N.  Otherwise the run stops with a message.  The peak resident memory
of each broker process (``VmHWM`` in ``/proc/<pid>/status``) is read before it is stopped.

It prints one table and the target ratios of issue 8; ``--write-docs`` also writes them, with
the machine (``lscpu``'s model name, cores, load average at the start and the end), between the
markers of ``docs/benchmarks/cluster.md``, leaving the page's hand-written text alone.  Run it as
``python -m benchmarks.cluster_bench [--records N] [--record-size B] [--write-docs]``.

Every process it starts is stopped by its pid at the end, also after an error or Ctrl-C.

Spec IDs: none (performance).

Simplified from Kafka: the course's figures come from three machines; here every process shares
one machine, so a client and the brokers compete for the same cores.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glasskafka.cli.perf_common import freeze_startup_objects
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopic,
)
from glasskafka.runtime.cluster import cluster_down, cluster_up, free_ports
from glasskafka.runtime.kafka_client import KafkaClient

__all__ = ["COURSE", "Leg", "Report", "Target", "main", "markdown", "run", "table", "targets"]

MIB = 1024 * 1024
ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"
TOOL_TIMEOUT_S = 900
XADD_PIPELINE = 500
XRANGE_PAGE = 1000
THROTTLE = 10_000
HIGH_WATERMARK_WAIT_S = 60.0
DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "cluster.md"
BEGIN, END = "<!-- cluster_bench:begin -->", "<!-- cluster_bench:end -->"

COURSE = {"produce records/s": 11_701.0, "produce MiB/s": 11.16, "consume records/s": 6_900.0}
"""The course's 3-broker Kafka figures (500,000 x 1,000 B, acks=1; consumer-perf-test)."""

_NUMBER = r"(\d+(?:\.\d+)?)"
_PRODUCER_TOTAL = re.compile(
    rf"^(\d+) records sent, {_NUMBER} records/sec \({_NUMBER} MB/sec\), {_NUMBER} ms avg "
    rf"latency, {_NUMBER} ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th, \d+ ms "
    r"99\.9th\.$",
    re.M,
)
_CONSUMER_ROW = re.compile(
    rf"^[\d:\- ]+, [\d:\- ]+, {_NUMBER}, {_NUMBER}, (\d+), {_NUMBER}, \d+, -?\d+, [\d.]+, [\d.]+$",
    re.M,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Leg:
    """One measured row: who, what, how many, how fast; latencies in ms where they apply."""

    system: str
    name: str
    records: int
    records_per_s: float
    mib_per_s: float
    avg_ms: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    peak_rss_mib: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One ratio of issue 8: its value, and whether it meets ``goal`` (None: no goal, a note)."""

    name: str
    value: float
    goal: str
    met: bool | None


@dataclass(slots=True, kw_only=True)
class Report:
    """Everything one run measured, and the machine it ran on."""

    records: int
    record_size: int
    throttled_records: int
    legs: list[Leg] = field(default_factory=list)
    broker_rss_mib: dict[str, float] = field(default_factory=dict)
    machine: str = ""
    load_start: str = ""
    load_end: str = ""

    def leg(self, system: str, name: str) -> Leg:
        """The leg called ``name`` of ``system`` (KeyError if the run had none)."""
        for leg in self.legs:
            if leg.system == system and leg.name == name:
                return leg
        raise KeyError(f"{system}: {name}")


# -- processes ------------------------------------------------------------------------------


def peak_rss_mib(pid: int) -> float:
    """``VmHWM`` of ``pid`` (its peak resident set) in MiB, or -1 without ``/proc``."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return -1.0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) / 1024 if found else -1.0


def glasskafka(*args: str) -> str:
    """Run one ``glasskafka`` command in a process of its own; its stdout, or a clear error."""
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, *args], capture_output=True, text=True,
        timeout=TOOL_TIMEOUT_S,
    )  # fmt: skip
    if done.returncode != 0:
        raise GlassKafkaError(f"glasskafka {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def payload_for(record_size: int) -> bytes:
    """A record value like producer-perf-test's: random upper-case letters (seeded here)."""
    alphabet = random.Random(record_size)  # the very bytes producer-perf-test sends
    return bytes(alphabet.randrange(26) + 65 for _ in range(record_size))


# -- glasskafka ---------------------------------------------------------------------------


def _produce(bootstrap: str, topic: str, leg: Leg, *, size: int, acks: str, rate: int) -> Leg:
    """Run producer-perf-test for ``leg`` (its system, name and record count); the leg measured."""
    out = glasskafka(
        "producer-perf-test", "--topic", topic, "--num-records", str(leg.records),
        "--record-size", str(size), "--throughput", str(rate),
        "--producer-props", f"bootstrap.servers={bootstrap}", f"acks={acks}",
    )  # fmt: skip
    found = _PRODUCER_TOTAL.search(out)
    if found is None:
        raise GlassKafkaError(f"no summary line in producer-perf-test's output:\n{out[-2000:]}")
    count, per_s, mib, avg, most, p50, p99 = found.groups()
    print(found.group(0), flush=True)
    return _moved_all(dataclasses.replace(
        leg, records=int(count), records_per_s=float(per_s), mib_per_s=float(mib),
        avg_ms=float(avg), p50_ms=float(p50), p99_ms=float(p99), max_ms=float(most),
    ), leg.records)  # fmt: skip


def _consume(bootstrap: str, topic: str, leg: Leg, *, timeout_ms: int = 10_000) -> Leg:
    """Run consumer-perf-test for ``leg``; the leg measured (every record must be read)."""
    out = glasskafka(
        "consumer-perf-test", "--bootstrap-server", bootstrap, "--topic", topic,
        "--messages", str(leg.records), "--fetch-size", str(MIB), "--timeout", str(timeout_ms),
    )  # fmt: skip
    found = _CONSUMER_ROW.search(out)
    if found is None:
        raise GlassKafkaError(f"no row in consumer-perf-test's output:\n{out[-2000:]}")
    _, mib_per_s, count, per_s = found.groups()
    print(found.group(0), flush=True)
    measured = dataclasses.replace(
        leg, records=int(count), records_per_s=float(per_s), mib_per_s=float(mib_per_s)
    )
    return _moved_all(measured, leg.records)


def high_watermark(bootstrap: str, topic: str) -> int:
    """Partition 0's high watermark, asked of its leader with ListOffsets (latest)."""
    with KafkaClient(bootstrap, timeout_s=10.0) as client:
        metadata = client.metadata([topic])
        leader = metadata.topics[0].partitions[0].leader_id
        broker = next(b for b in metadata.brokers if b.node_id == leader)
        asked = ListOffsetsTopic(
            name=topic, partitions=(ListOffsetsPartition(partition_index=0, timestamp=-1),)
        )
        answer = client.request(
            (broker.host, broker.port), ListOffsetsRequest(replica_id=-1, topics=(asked,))
        )
    assert isinstance(answer, ListOffsetsResponse)
    partition = answer.topics[0].partitions[0]
    if partition.error_code != ErrorCode.NONE:
        raise GlassKafkaError(f"ListOffsets {topic}: {ErrorCode(partition.error_code).name}")
    return partition.offset


def _wait_for_high_watermark(bootstrap: str, topic: str, wanted: int, what: str) -> None:
    """Until the high watermark is ``wanted`` -- for acks=0 the only proof that every record
    arrived.  Followers may still be copying the last batches when the producer is done (their
    fetches raise the HW), so the check waits a while before it calls a record lost."""
    deadline = time.monotonic() + HIGH_WATERMARK_WAIT_S
    while (stored := high_watermark(bootstrap, topic)) < wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    if stored != wanted:
        raise GlassKafkaError(f"{what}: high watermark {stored}, not {wanted}")


def _wait_for_offsets_topic(bootstrap: str) -> None:
    """Until every partition of ``__consumer_offsets`` has a leader and its whole ISR: creating
    it (and, on 3 brokers, starting its followers) is a one-time cost, not reading."""
    deadline = time.monotonic() + HIGH_WATERMARK_WAIT_S
    with KafkaClient(bootstrap, timeout_s=10.0) as client:
        while time.monotonic() < deadline:
            found = client.metadata(["__consumer_offsets"]).topics
            partitions = found[0].partitions if found and found[0].error_code == 0 else ()
            ready = [p.leader_id >= 0 and len(p.isr_nodes) == len(p.replica_nodes)
                     for p in partitions]  # fmt: skip
            if ready and all(ready):
                return
            time.sleep(0.2)
    raise GlassKafkaError("__consumer_offsets did not get its leaders and ISRs in time")


def _moved_all(leg: Leg, wanted: int) -> Leg:
    if leg.records != wanted:
        raise GlassKafkaError(f"{leg.system} {leg.name}: {leg.records} of {wanted} records")
    return leg


def measure_cluster(
    directory: Path, *, brokers: int, records: int, size: int, throttled: int
) -> tuple[list[Leg], dict[str, float]]:
    """Start a cluster of ``brokers``, run its legs, read each broker's peak RSS, stop it."""
    system = f"glasskafka {brokers} broker" + ("s" if brokers > 1 else "")
    # Broker-wide as well as per topic: glasskafka's brokers apply their own
    # min.insync.replicas, not yet a topic's /config/topics override.
    overrides = {"min.insync.replicas": "2"} if brokers > 1 else {}
    processes = cluster_up(directory, brokers=brokers, overrides=overrides)
    try:
        servers = [p for p in processes if p.name.startswith("broker-")]
        bootstrap = ",".join(p.address for p in servers)
        strong = "all" if brokers > 1 else "1"
        topics = {"acks=0": "0", "acks=1": "1", "acks=all": "all", "throttled": strong}
        for topic in topics:
            extra = ["--config", "min.insync.replicas=2"] if brokers > 1 else []
            glasskafka(
                "topics", "--create", "--topic", _topic(topic), "--partitions", "1",
                "--replication-factor", str(brokers), "--bootstrap-server", bootstrap, *extra,
            )  # fmt: skip
        legs = []
        for topic, acks in topics.items():
            count = throttled if topic == "throttled" else records
            rate = THROTTLE if topic == "throttled" else -1
            name = f"produce acks={acks}" + (f", {THROTTLE:,}/s" if rate > 0 else "")
            print(f"-- {system}: {name}", flush=True)
            leg = Leg(system=system, name=name, records=count, records_per_s=0, mib_per_s=0)
            legs.append(_produce(bootstrap, _topic(topic), leg, size=size, acks=acks, rate=rate))
            _wait_for_high_watermark(bootstrap, _topic(topic), count, f"{system} {name}")
        # Untimed: the first consumer's FindCoordinator makes the broker create
        # __consumer_offsets (50 partitions), a one-time cost that is not reading.
        print(f"-- {system}: warm-up read of the throttled topic (not timed)", flush=True)
        warm = Leg(system=system, name="warm-up", records=throttled, records_per_s=0, mib_per_s=0)
        _consume(bootstrap, _topic("throttled"), warm, timeout_ms=60_000)
        _wait_for_offsets_topic(bootstrap)
        print(f"-- {system}: consume (the acks={strong} topic)", flush=True)
        leg = Leg(system=system, name="consume", records=records, records_per_s=0, mib_per_s=0)
        legs.append(_consume(bootstrap, _topic(f"acks={strong}"), leg))
        rss = {f"{system}, {p.name}": peak_rss_mib(p.pid) for p in servers}
    finally:
        cluster_down(directory)
    peak = max(rss.values())
    return [dataclasses.replace(leg, peak_rss_mib=peak) for leg in legs], rss


def _topic(leg: str) -> str:
    return "perf-" + leg.replace("=", "-")


# -- Redis Streams ------------------------------------------------------------------------


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[tuple[int, int]]:
    """Debian's ``redis-server`` on a free loopback port, no persistence; ``(port, pid)``.

    Stopped by its pid on the way out (SIGTERM, then SIGKILL), whatever happened.
    """
    program = shutil.which("redis-server")
    if program is None:
        raise GlassKafkaError("redis-server is missing (Debian: apt-get install redis-server)")
    port = free_ports(1)[0]
    command = [
        program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(directory), "--daemonize", "no", "--loglevel", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _connect(port: int) -> Any:
    import redis

    if not redis.utils.HIREDIS_AVAILABLE:
        raise GlassKafkaError("redis-py runs without hiredis; pip install hiredis")
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise GlassKafkaError(f"redis-server did not answer on port {port}") from None
            time.sleep(0.05)


def _xadd(client: Any, payload: bytes, records: int) -> Leg:
    """XADD in pipelines of 500; a record's latency is its pipeline's (queue to reply)."""
    latencies: list[float] = []
    pipe = client.pipeline(transaction=False)
    start = began = time.perf_counter()
    for number in range(1, records + 1):
        pipe.xadd("perf", {"value": payload})
        if number % XADD_PIPELINE == 0 or number == records:
            pipe.execute()
            now = time.perf_counter()
            latencies += [(now - began) * 1000] * (((number - 1) % XADD_PIPELINE) + 1)
            began = now
    elapsed = time.perf_counter() - start
    latencies.sort()
    return Leg(
        system="Redis Streams", name=f"XADD, pipelines of {XADD_PIPELINE}", records=records,
        records_per_s=records / elapsed, mib_per_s=records * len(payload) / MIB / elapsed,
        avg_ms=sum(latencies) / len(latencies), p50_ms=_percentile(latencies, 0.5),
        p99_ms=_percentile(latencies, 0.99), max_ms=latencies[-1],
    )  # fmt: skip


def _read_all(name: str, size: int, page: Callable[[bytes], list[Any]]) -> Leg:
    """Call ``page(after_id)`` until it returns nothing; count entries and value bytes."""
    count = total = 0
    after = b"-"
    start = time.perf_counter()
    while entries := page(after):
        count += len(entries)
        total += sum(len(fields[b"value"]) for _, fields in entries)
        after = b"(" + entries[-1][0]
    elapsed = time.perf_counter() - start
    if total != count * size:
        raise GlassKafkaError(f"Redis {name}: read {total} bytes for {count} entries of {size}")
    return Leg(
        system="Redis Streams", name=name, records=count, records_per_s=count / elapsed,
        mib_per_s=total / MIB / elapsed,
    )  # fmt: skip


def measure_redis(directory: Path, *, records: int, size: int) -> list[Leg]:
    """XADD, then XRANGE and XREADGROUP over the same stream; each must move every record."""
    payload = payload_for(size)
    with redis_server(directory) as (port, pid):
        client = _connect(port)
        freeze_startup_objects()  # as the perf tools do, so the clients are treated alike
        print("-- Redis Streams: XADD", flush=True)
        legs = [_xadd(client, payload, records)]
        if client.xlen("perf") != records:
            raise GlassKafkaError(f"Redis XADD: the stream holds {client.xlen('perf')} entries")
        print("-- Redis Streams: XRANGE, XREADGROUP", flush=True)
        xrange = _read_all(
            f"XRANGE, pages of {XRANGE_PAGE}", size,
            lambda after: client.xrange("perf", min=after, max="+", count=XRANGE_PAGE),
        )  # fmt: skip
        client.xgroup_create("perf", "perf-group", id="0")

        def group_page(_: bytes) -> list[Any]:
            answer = client.xreadgroup(
                "perf-group", "c1", {"perf": ">"}, count=XRANGE_PAGE, noack=True
            )
            return list(answer[0][1]) if answer else []

        group = _read_all(f"XREADGROUP NOACK, pages of {XRANGE_PAGE}", size, group_page)
        legs += [_moved_all(xrange, records), _moved_all(group, records)]
        rss = peak_rss_mib(pid)
        client.close()
    return [dataclasses.replace(leg, peak_rss_mib=rss) for leg in legs]


def _percentile(ordered: list[float], p: float) -> float:
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)]


# -- the run, the targets, the table --------------------------------------------------------


def machine() -> str:
    """``lscpu``'s model name and the number of cores."""
    model = "unknown CPU"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        found = re.search(r"^Model name:\s*(.+)$", out, re.M)
        model = found.group(1).strip() if found else model
    return f"{model}, {os.cpu_count()} cores"


def load_average() -> str:
    """The 1, 5 and 15-minute load averages."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def run(*, records: int, record_size: int, throttled_records: int) -> Report:
    """Every leg, in one run, on fresh temporary directories."""
    report = Report(records=records, record_size=record_size, throttled_records=throttled_records)
    report.machine, report.load_start = machine(), load_average()
    with tempfile.TemporaryDirectory(prefix="glasskafka-cluster-bench-") as scratch:
        for brokers in (1, 3):
            legs, rss = measure_cluster(
                Path(scratch) / f"brokers-{brokers}", brokers=brokers, records=records,
                size=record_size, throttled=throttled_records,
            )  # fmt: skip
            report.legs += legs
            report.broker_rss_mib |= rss
        redis_dir = Path(scratch) / "redis"
        redis_dir.mkdir()
        report.legs += measure_redis(redis_dir, records=records, size=record_size)
    report.load_end = load_average()
    return report


def targets(report: Report) -> list[Target]:
    """Issue 8's ratios, each measured in this run; the course's figures as notes."""
    one, three, redis = "glasskafka 1 broker", "glasskafka 3 brokers", "Redis Streams"
    acks1 = report.leg(one, "produce acks=1")
    xadd = report.leg(redis, f"XADD, pipelines of {XADD_PIPELINE}")
    xrange = report.leg(redis, f"XRANGE, pages of {XRANGE_PAGE}")
    found = [
        _ratio("1-broker produce acks=1 / Redis XADD (records/s)", acks1, xadd),
        _ratio("1-broker consume / Redis XRANGE (records/s)", report.leg(one, "consume"), xrange),
        _ratio("3-broker acks=all / 1-broker acks=1 (records/s)",
               report.leg(three, "produce acks=all"), acks1, goal=0.3),
    ]  # fmt: skip
    for system, acks in ((one, "1"), (three, "all")):
        leg = report.leg(system, f"produce acks={acks}, {THROTTLE:,}/s")
        p99 = leg.p99_ms or 0.0
        found.append(Target(name=f"{system} p99 at {THROTTLE:,}/s, acks={acks} (ms)",
                            value=p99, goal="<= 20", met=p99 <= 20))  # fmt: skip
    rss = max(report.broker_rss_mib.values())
    found.append(Target(name="broker peak RSS, largest (MiB)", value=rss, goal="<= 200",
                        met=rss <= 200))  # fmt: skip
    course_produce = report.leg(three, "produce acks=1").records_per_s
    course_consume = report.leg(three, "consume").records_per_s
    found += [
        Target(name="3-broker acks=1 / the course's Kafka (11,701 records/s)",
               value=course_produce / COURSE["produce records/s"], goal="note", met=None),
        Target(name="3-broker consume / the course's Kafka (6,900 records/s)",
               value=course_consume / COURSE["consume records/s"], goal="note", met=None),
    ]  # fmt: skip
    return found


def _ratio(name: str, ours: Leg, peer: Leg, *, goal: float = 1.0) -> Target:
    value = ours.records_per_s / peer.records_per_s
    return Target(name=name, value=value, goal=f">= {goal:.1f}", met=value >= goal)


_COLUMNS = ("system", "leg", "records", "records/s", "MiB/s", "avg ms", "p50 ms", "p99 ms",
            "max ms", "peak RSS MiB")  # fmt: skip


def rows(report: Report) -> list[list[str]]:
    """The table's cells, one row per leg, in :data:`_COLUMNS` order."""
    return [_cells(leg) for leg in report.legs]


def _cells(leg: Leg) -> list[str]:
    def cell(value: float | None, digits: int = 1) -> str:
        return "" if value is None else f"{value:,.{digits}f}"

    return [leg.system, leg.name, f"{leg.records:,}", cell(leg.records_per_s, 0),
            cell(leg.mib_per_s, 2), cell(leg.avg_ms), cell(leg.p50_ms, 0), cell(leg.p99_ms, 0),
            cell(leg.max_ms, 0), cell(leg.peak_rss_mib)]  # fmt: skip


def table(report: Report) -> str:
    """The legs as a plain-text table, then the targets."""
    cells = [list(_COLUMNS), *rows(report)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(_COLUMNS))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(row, widths, strict=True))) for row in cells]  # fmt: skip
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines += [f"{_verdict(t):7} {t.name}: {t.value:,.2f} ({t.goal})" for t in targets(report)]
    return "\n".join(lines)


def _verdict(target: Target) -> str:
    return {True: "MET", False: "MISSED", None: "note"}[target.met]


def markdown(report: Report) -> str:
    """The generated part of the docs page: the run, the table, the targets, the machine."""
    head = "| " + " | ".join(_COLUMNS) + " |"
    rule = "|" + "|".join(["---"] * 2 + ["---:"] * (len(_COLUMNS) - 2)) + "|"
    body = ["| " + " | ".join(row) + " |" for row in rows(report)]
    checks = [f"| {t.name} | {t.value:,.2f} | {t.goal} | {_verdict(t)} |" for t in targets(report)]
    return "\n".join([
        BEGIN,
        f"Run: `python -m benchmarks.cluster_bench --records {report.records} "
        f"--record-size {report.record_size} --write-docs` ({report.throttled_records:,} "
        "records in each throttled leg).",
        "",
        f"Machine: {report.machine}. Load average (1, 5, 15 min) at the start: "
        f"{report.load_start}; at the end: {report.load_end}.",
        "", head, rule, *body, "",
        "| target | value | goal | verdict |", "|---|---:|---|---|", *checks,
        END,
    ])  # fmt: skip


def write_docs(report: Report, page: Path) -> None:
    """Put :func:`markdown` between the page's markers (or start the page if it has none)."""
    generated = markdown(report)
    text = page.read_text(encoding="utf-8") if page.exists() else ""
    if BEGIN in text and END in text:
        before, _, rest = text.partition(BEGIN)
        text = before + generated + rest.partition(END)[2]
    else:
        text = f"# Whole-cluster throughput\n\n{generated}\n"
    page.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> Report:
    """Parse the flags, run every leg, print the table (and write the docs page if asked)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster_bench")
    parser.add_argument("--records", type=int, default=500_000, help="records per leg")
    parser.add_argument("--record-size", type=int, default=1000, help="bytes per record")
    parser.add_argument("--throttled-records", type=int, default=None,
                        help=f"records in each {THROTTLE:,}/s leg (default: min(records, "
                        "100000))")  # fmt: skip
    parser.add_argument("--write-docs", action="store_true", help=f"write {DOCS_PAGE.name}")
    parser.add_argument("--docs-page", type=Path, default=DOCS_PAGE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    throttled = args.throttled_records or min(args.records, 100_000)
    if min(args.records, args.record_size, throttled) <= 0:
        parser.error("--records, --record-size and --throttled-records must be above zero")
    report = run(records=args.records, record_size=args.record_size, throttled_records=throttled)
    print(table(report))
    if args.write_docs:
        write_docs(report, args.docs_page)
        print(f"wrote {args.docs_page}")
    return report


if __name__ == "__main__":
    try:
        main()
    except GlassKafkaError as error:
        sys.exit(f"cluster_bench: {error}")
