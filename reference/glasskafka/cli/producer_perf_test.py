"""``glasskafka producer-perf-test``: Kafka's ``kafka-producer-perf-test.sh``, same flags and lines.

Theory of operation
-------------------
The course measures a cluster with::

    kafka-producer-perf-test.sh --topic benchmark --num-records 500000 --throughput -1 \\
        --record-size 1000 --producer-props bootstrap.servers=host1:9092 acks=1

and ``glasskafka producer-perf-test`` takes the same flags.  Like ``ProducerPerformance.java`` it
sends ``--num-records`` records of ``--record-size`` bytes (one random payload of upper-case
letters, no key) to ``--topic`` as fast as the producer takes them, or at most ``--throughput``
records a second, and times each from ``send`` to its acknowledgement.  The client is
confluent-kafka, so the target may be a glasskafka cluster or any Kafka cluster.

Output, as Kafka prints it (MB is 1024 * 1024 bytes):

* every 5 s a window line ``50000 records sent, 9998.0 records/sec (9.54 MB/sec), 3.2 ms avg
  latency, 233.0 ms max latency.`` for the records acknowledged in that window;
* at the end ``... records sent, 9998.000000 records/sec (9.54 MB/sec), 3.21 ms avg latency,
  233.00 ms max latency, 2 ms 50th, 9 ms 95th, 27 ms 99th, 98 ms 99.9th.`` for the whole run.

Latencies are whole milliseconds, as in Kafka.  Kafka samples at most 500 000 of them for the
percentiles (every ``num_records // min(num_records, 500000)``-th record); so does
:class:`ProducerStats`.  :class:`ThroughputThrottler` is Kafka's class of that name: once the
average rate so far exceeds the target, sleep off one record's share of a second, in sleeps of
at least 2 ms.

Spec IDs: none (a measuring tool).

Simplified from Kafka: no ``--payload-file``, ``--transactional-id`` or ``--print-metrics``
(refused: librdkafka's statistics are not Java's metric names); a failed send is reported on
stderr, left out of the figures, and makes the exit status 1.  Java's producer is idempotent by
default since Kafka 3.0 (KIP-679); librdkafka is not unless ``enable.idempotence=true`` is given.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from typing import Any

from glasskafka.cli.perf_common import (
    BYTES_PER_MB,
    build_client,
    freeze_startup_objects,
    now_ms,
    parse_properties,
    positive_int,
    read_properties_file,
)
from glasskafka.errors import GlassKafkaError

__all__ = ["ProducerStats", "ThroughputThrottler", "register"]

REPORTING_INTERVAL_MS = 5000
"""ProducerPerformance prints a window line every 5 seconds."""

MAX_LATENCY_SAMPLES = 500_000
"""ProducerPerformance keeps at most this many latencies for the percentiles."""

MIN_SLEEP_NS = 2_000_000
"""ThroughputThrottler never sleeps less than 2 ms at a time (MIN_SLEEP_NS in Kafka)."""

_METADATA_TIMEOUT_S = 15.0
_MAX_ERRORS_SHOWN = 5


@dataclass(slots=True, kw_only=True)
class ThroughputThrottler:
    """Kafka's ``ThroughputThrottler``: hold a sender to ``target_throughput`` records a second.

    A negative target means no limit.  The caller asks :meth:`should_throttle` after each send
    and, if so, sleeps :meth:`next_sleep_ns` (which may be 0: the deficit is still below 2 ms),
    then reports how long it really slept with :meth:`slept`.
    """

    target_throughput: float
    start_ms: float
    sleep_deficit_ns: int = 0

    def should_throttle(self, amount_so_far: int, send_start_ms: float) -> bool:
        """Whether the average rate since ``start_ms`` is above the target."""
        if self.target_throughput < 0:
            return False
        elapsed_s = (send_start_ms - self.start_ms) / 1000
        return elapsed_s > 0 and amount_so_far / elapsed_s > self.target_throughput

    def next_sleep_ns(self) -> int:
        """Add one record's share of a second to the deficit; the sleep due now (0 if < 2 ms)."""
        self.sleep_deficit_ns += int(1_000_000_000 / self.target_throughput)
        return self.sleep_deficit_ns if self.sleep_deficit_ns >= MIN_SLEEP_NS else 0

    def slept(self, elapsed_ns: int) -> None:
        """Pay off the deficit by the time really slept (an early wake-up keeps the rest)."""
        self.sleep_deficit_ns = max(0, self.sleep_deficit_ns - elapsed_ns)


@dataclass(slots=True, kw_only=True)
class ProducerStats:
    """Kafka's ``ProducerPerformance.Stats``: totals, the current window and sampled latencies."""

    num_records: int
    start_ms: float
    reporting_interval_ms: int = REPORTING_INTERVAL_MS
    count: int = 0
    bytes: int = 0
    total_latency_ms: int = 0
    max_latency_ms: int = 0
    window_start_ms: float = 0.0
    window_count: int = 0
    window_bytes: int = 0
    window_total_latency_ms: int = 0
    window_max_latency_ms: int = 0
    latencies_ms: list[int] = field(default_factory=list)
    sampling: int = field(init=False, default=1)
    """Keep the latency of every ``sampling``-th record (Kafka's rule); worked out once, since
    :meth:`record` runs for every record."""

    def __post_init__(self) -> None:
        self.window_start_ms = self.start_ms
        self.sampling = max(1, self.num_records // min(self.num_records, MAX_LATENCY_SAMPLES))

    def record(self, *, iteration: int, latency_ms: int, size: int, now: float) -> str | None:
        """Count one acknowledged record; return a window line if the window is over."""
        self.count += 1
        self.bytes += size
        self.total_latency_ms += latency_ms
        self.max_latency_ms = max(self.max_latency_ms, latency_ms)
        self.window_count += 1
        self.window_bytes += size
        self.window_total_latency_ms += latency_ms
        self.window_max_latency_ms = max(self.window_max_latency_ms, latency_ms)
        if iteration % self.sampling == 0:
            self.latencies_ms.append(latency_ms)
        if now - self.window_start_ms < self.reporting_interval_ms:
            return None
        line = self.window_line(now)
        self.window_start_ms = now
        self.window_count = self.window_bytes = 0
        self.window_total_latency_ms = self.window_max_latency_ms = 0
        return line

    def window_line(self, now: float) -> str:
        """``N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency.``"""
        elapsed_ms = max(now - self.window_start_ms, 1e-3)
        per_second = 1000.0 * self.window_count / elapsed_ms
        mb_per_second = 1000.0 * self.window_bytes / elapsed_ms / BYTES_PER_MB
        average = self.window_total_latency_ms / max(self.window_count, 1)
        return (
            f"{self.window_count} records sent, {per_second:.1f} records/sec "
            f"({mb_per_second:.2f} MB/sec), {average:.1f} ms avg latency, "
            f"{float(self.window_max_latency_ms):.1f} ms max latency."
        )

    def percentiles(self, *wanted: float) -> list[int]:
        """Kafka's percentile: the sorted sample at index ``int(size * p)``."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return [0 for _ in wanted]
        return [ordered[min(int(len(ordered) * p), len(ordered) - 1)] for p in wanted]

    def total_line(self, now: float) -> str:
        """The final line, with the 50th, 95th, 99th and 99.9th percentile latencies."""
        elapsed_ms = max(now - self.start_ms, 1e-3)
        per_second = 1000.0 * self.count / elapsed_ms
        mb_per_second = 1000.0 * self.bytes / elapsed_ms / BYTES_PER_MB
        average = self.total_latency_ms / max(self.count, 1)
        p50, p95, p99, p999 = self.percentiles(0.5, 0.95, 0.99, 0.999)
        return (
            f"{self.count} records sent, {per_second:.6f} records/sec "
            f"({mb_per_second:.2f} MB/sec), "
            f"{average:.2f} ms avg latency, {float(self.max_latency_ms):.2f} ms max latency, "
            f"{p50} ms 50th, {p95} ms 95th, {p99} ms 99th, {p999} ms 99.9th."
        )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``producer-perf-test`` subcommand."""
    parser = subparsers.add_parser(
        "producer-perf-test",
        help="measure producer throughput and latency (kafka-producer-perf-test.sh)",
        description="Send records as fast as possible (or at --throughput records/sec) and "
        "print throughput and latency, as kafka-producer-perf-test.sh does.",
    )
    parser.add_argument("--topic", required=True, help="topic to produce to")
    parser.add_argument("--num-records", type=positive_int, required=True)
    parser.add_argument("--record-size", type=positive_int, required=True, help="bytes")
    parser.add_argument(
        "--throughput", type=float, required=True,
        help="at most this many records/sec; -1 for no limit",
    )  # fmt: skip
    parser.add_argument(
        "--producer-props", nargs="+", default=[], metavar="PROP=VALUE",
        help="producer properties, e.g. bootstrap.servers=localhost:9092 acks=all",
    )  # fmt: skip
    parser.add_argument("--producer.config", dest="producer_config", metavar="FILE")
    parser.add_argument("--print-metrics", action="store_true", help="(not supported)")
    parser.set_defaults(func=_run)


def _producer_config(args: argparse.Namespace) -> dict[str, str]:
    """``--producer.config`` then ``--producer-props`` on top (Kafka's precedence)."""
    if args.print_metrics:
        raise GlassKafkaError(
            "--print-metrics is not supported: the client is librdkafka, whose statistics "
            "(statistics.interval.ms) do not have the Java producer's metric names"
        )
    if args.throughput == 0:
        raise GlassKafkaError("--throughput 0 would never send; give a rate above 0, or -1")
    if not args.producer_props and not args.producer_config:
        raise GlassKafkaError("either --producer-props or --producer.config must be given")
    config: dict[str, str] = {}
    if args.producer_config:
        config.update(read_properties_file(args.producer_config, flag="--producer.config"))
    config.update(parse_properties(args.producer_props, flag="--producer-props"))
    return config


def _run(args: argparse.Namespace) -> int:
    from confluent_kafka import Producer

    producer: Any = build_client(Producer, _producer_config(args))
    try:
        producer.list_topics(timeout=_METADATA_TIMEOUT_S)
    except Exception as error:  # KafkaException: no broker answered
        print(f"glasskafka producer-perf-test: error: {error}", file=sys.stderr)
        return 1
    return _send_all(producer, args)


def _send_all(producer: Any, args: argparse.Namespace) -> int:
    """ProducerPerformance's loop: send, poll for acknowledgements, throttle; then flush."""
    alphabet = random.Random(args.record_size)
    payload = bytes(alphabet.randrange(26) + 65 for _ in range(args.record_size))
    freeze_startup_objects()
    start = now_ms()
    stats = ProducerStats(num_records=args.num_records, start_ms=start)
    throttler = ThroughputThrottler(target_throughput=args.throughput, start_ms=start)
    errors: list[str] = []

    def completion(iteration: int, send_start_ms: float) -> Any:
        def on_delivery(error: Any, message: Any) -> None:
            now = now_ms()
            if error is not None:
                errors.append(str(error))
                return
            latency = int(now - send_start_ms)
            line = stats.record(iteration=iteration, latency_ms=latency, size=len(payload), now=now)
            if line is not None:
                print(line, flush=True)

        return on_delivery

    for iteration in range(args.num_records):
        send_start = now_ms()
        _produce(producer, args.topic, payload, completion(iteration, send_start))
        producer.poll(0)
        if throttler.should_throttle(iteration, send_start):
            _throttle(producer, throttler)
    remaining = producer.flush(60.0)
    print(stats.total_line(now_ms()), flush=True)
    return _report_failures(errors, remaining)


def _produce(producer: Any, topic: str, payload: bytes, on_delivery: Any) -> None:
    """Hand one record to the producer, waiting for room when its queue is full."""
    while True:
        try:
            producer.produce(topic, payload, on_delivery=on_delivery)
            return
        except BufferError:  # librdkafka's queue.buffering.max.messages is reached
            producer.poll(0.05)


def _throttle(producer: Any, throttler: ThroughputThrottler) -> None:
    """Sleep what the throttler asks, serving acknowledgements meanwhile (poll, not sleep)."""
    sleep_ns = throttler.next_sleep_ns()
    if sleep_ns:
        began = now_ms()
        producer.poll(sleep_ns / 1e9)
        throttler.slept(int((now_ms() - began) * 1_000_000))


def _report_failures(errors: list[str], remaining: int) -> int:
    for error in errors[:_MAX_ERRORS_SHOWN]:
        print(f"glasskafka producer-perf-test: send failed: {error}", file=sys.stderr)
    if len(errors) > _MAX_ERRORS_SHOWN:
        print(f"... and {len(errors) - _MAX_ERRORS_SHOWN} more failed sends", file=sys.stderr)
    if remaining:
        print(f"glasskafka producer-perf-test: {remaining} records unacknowledged", file=sys.stderr)
    return 1 if errors or remaining else 0
