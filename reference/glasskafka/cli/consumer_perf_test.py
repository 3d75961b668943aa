"""``glasskafka consumer-perf-test``: Kafka's ``kafka-consumer-perf-test.sh``, same flags and lines.

Theory of operation
-------------------
The course measures consumption with::

    kafka-consumer-perf-test.sh --broker-list host1:9092 --topic benchmark \\
        --fetch-size 1048576 --messages 500000

and ``glasskafka consumer-perf-test`` takes the same flags (``--bootstrap-server``, or the older
``--broker-list``).  Like Kafka's ``ConsumerPerformance`` it reads until ``--messages`` records
have arrived, or until no record has arrived for ``--timeout`` ms (then it prints Kafka's
``WARNING: Exiting before consuming the expected number of messages`` line), counting key and value
bytes, and prints a CSV header and one row::

    start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
    rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec

``MB`` is 1024 * 1024 bytes; ``rebalance.time.ms`` is the time spent joining the group;
``fetch.time.ms`` the rest of the run, and ``fetch.MB.sec``/``fetch.nMsg.sec`` the rates over it.
With ``--show-detailed-stats`` the header starts ``time, threadId`` and a row is printed every
``--reporting-interval`` ms for that interval instead of the one summary row.

**Groups.** Kafka's tool always subscribes as a member of a consumer group (``--group``, default
``perf-consumer-<random>``) reading from the earliest offset.  glasskafka's brokers do not serve
consumer groups yet, so without ``--group`` this tool does what such a fresh group would end up
doing with one member: it *assigns itself every partition* of the topic (from Metadata) and reads
each from its beginning; ``rebalance.time.ms`` is then 0.  With ``--group`` it subscribes as Kafka's
tool does; if no partitions are assigned within ``--timeout`` ms (the cluster does not serve
FindCoordinator/JoinGroup), it stops with a message saying so and exit status 1.

Spec IDs: none (a measuring tool).

Simplified from Kafka: one consumer thread (no ``--threads``, gone from Kafka too), no
``--from-latest``, ``--hide-header`` or ``--print-metrics``; the client is confluent-kafka
(librdkafka), whose ``max.partition.fetch.bytes`` is set from ``--fetch-size`` as Kafka sets the
Java consumer's.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any

from glasskafka.cli.perf_common import (
    BYTES_PER_MB,
    build_client,
    format_timestamp,
    freeze_startup_objects,
    now_ms,
    parse_properties,
    positive_int,
    read_properties_file,
    wall_clock_ms,
)
from glasskafka.errors import GlassKafkaError

__all__ = ["DETAILED_HEADER", "HEADER", "ConsumerProgress", "register", "summary_row"]

HEADER = (
    "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
    "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
)
DETAILED_HEADER = (
    "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
    "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
)
NO_GROUP_ID = "glasskafka-consumer-perf-test-assign"
"""librdkafka insists on a ``group.id``; without ``--group`` it is never joined nor committed."""

_METADATA_TIMEOUT_S = 15.0
_POLL_S = 0.1
"""ConsumerPerformance polls with a 100 ms timeout."""


@dataclass(slots=True, kw_only=True)
class ConsumerProgress:
    """What has been read so far, and where the last detailed-stats interval began."""

    messages: int = 0
    bytes: int = 0
    last_messages: int = 0
    last_bytes: int = 0


def summary_row(
    *, start_ms: int, end_ms: int, elapsed_ms: float, join_ms: int, progress: ConsumerProgress
) -> str:
    """The row under :data:`HEADER` (ConsumerPerformance's final ``printf``)."""
    megabytes = progress.bytes / BYTES_PER_MB
    elapsed_s = max(elapsed_ms, 1e-3) / 1000
    fetch_ms = max(elapsed_ms - join_ms, 1e-3)
    return (
        f"{format_timestamp(start_ms)}, {format_timestamp(end_ms)}, {megabytes:.4f}, "
        f"{megabytes / elapsed_s:.4f}, {progress.messages}, {progress.messages / elapsed_s:.4f}, "
        f"{join_ms}, {round(elapsed_ms - join_ms)}, {megabytes / (fetch_ms / 1000):.4f}, "
        f"{progress.messages / (fetch_ms / 1000):.4f}"
    )


def detailed_row(
    *, end_ms: int, interval_ms: float, join_ms: int, progress: ConsumerProgress
) -> str:
    """A row under :data:`DETAILED_HEADER`: totals so far, rates over the last interval."""
    interval_mb = (progress.bytes - progress.last_bytes) / BYTES_PER_MB
    interval_messages = progress.messages - progress.last_messages
    elapsed = max(interval_ms, 1e-3)
    fetch_ms = max(interval_ms - join_ms, 1e-3)
    return (
        f"{format_timestamp(end_ms)}, 0, {progress.bytes / BYTES_PER_MB:.4f}, "
        f"{1000 * interval_mb / elapsed:.4f}, {progress.messages}, "
        f"{1000 * interval_messages / elapsed:.4f}, {join_ms}, {round(interval_ms - join_ms)}, "
        f"{1000 * interval_mb / fetch_ms:.4f}, {1000 * interval_messages / fetch_ms:.4f}"
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``consumer-perf-test`` subcommand."""
    parser = subparsers.add_parser(
        "consumer-perf-test",
        help="measure consumer throughput (kafka-consumer-perf-test.sh)",
        description="Read --messages records from a topic and print the throughput, as "
        "kafka-consumer-perf-test.sh does.",
    )
    servers = parser.add_mutually_exclusive_group(required=True)
    servers.add_argument("--bootstrap-server", metavar="HOST:PORT[,HOST:PORT...]")
    servers.add_argument("--broker-list", dest="bootstrap_server", help="older name")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--messages", "--num-records", type=positive_int, required=True)
    parser.add_argument("--fetch-size", type=positive_int, default=1048576, help="bytes")
    parser.add_argument("--group", help="join this consumer group (default: assign, no group)")
    parser.add_argument("--timeout", type=positive_int, default=10000, help="ms without records")
    parser.add_argument("--show-detailed-stats", action="store_true")
    parser.add_argument("--reporting-interval", type=positive_int, default=5000, help="ms")
    parser.add_argument("--consumer.config", dest="consumer_config", metavar="FILE")
    parser.set_defaults(func=_run)


def _consumer_config(args: argparse.Namespace) -> dict[str, str]:
    config: dict[str, str] = {}
    if not args.group:
        # librdkafka looks for a group coordinator even for assign().  A broker that does not
        # serve groups closes that connection; with one broker librdkafka then finds "all brokers
        # down" and re-bootstraps (metadata.recovery.strategy=rebootstrap, KIP-899), forgetting
        # the partition leaders it needs to fetch.  Without a group there is nothing to recover.
        config["metadata.recovery.strategy"] = "none"
    if args.consumer_config:
        config.update(read_properties_file(args.consumer_config, flag="--consumer.config"))
    parse_properties([f"bootstrap.servers={args.bootstrap_server}"], flag="--bootstrap-server")
    config.update(
        {
            "bootstrap.servers": args.bootstrap_server,
            "group.id": args.group or NO_GROUP_ID,
            "enable.auto.commit": "false",
            "auto.offset.reset": "earliest",
            "max.partition.fetch.bytes": str(args.fetch_size),
            # Those closed coordinator connections are expected here, not worth a log line.
            "log.connection.close": "false",
        }
    )
    return config


def _run(args: argparse.Namespace) -> int:
    from confluent_kafka import Consumer

    consumer: Any = build_client(Consumer, _consumer_config(args))
    try:
        return _measure(consumer, args)
    except GlassKafkaError as error:
        print(f"glasskafka consumer-perf-test: error: {error}", file=sys.stderr)
        return 1
    finally:
        consumer.close()


def _measure(consumer: Any, args: argparse.Namespace) -> int:
    """Start, join or assign, consume, print the rows (ConsumerPerformance's ``main``)."""
    print(DETAILED_HEADER if args.show_detailed_stats else HEADER, flush=True)
    freeze_startup_objects()
    start_wall, start = wall_clock_ms(), now_ms()
    join_ms = _join(consumer, args) if args.group else _assign_all(consumer, args.topic)
    progress = _consume(consumer, args, join_ms=join_ms)
    if progress.messages < args.messages:
        print(
            "WARNING: Exiting before consuming the expected number of messages: timeout "
            f"({args.timeout} ms) exceeded. You can use the --timeout option to increase the "
            "timeout.",
            flush=True,
        )
    if not args.show_detailed_stats:
        end_wall, elapsed = wall_clock_ms(), now_ms() - start
        row = summary_row(
            start_ms=start_wall, end_ms=end_wall, elapsed_ms=elapsed, join_ms=join_ms,
            progress=progress,
        )  # fmt: skip
        print(row, flush=True)
    return 0


def _assign_all(consumer: Any, topic: str) -> int:
    """Assign every partition of ``topic`` from its beginning; no group, so no rebalance time."""
    from confluent_kafka import OFFSET_BEGINNING, KafkaException, TopicPartition

    began = now_ms()
    while True:
        try:
            metadata = consumer.list_topics(topic, timeout=_METADATA_TIMEOUT_S)
            break
        except KafkaException as error:
            # A broker without groups closes the connection librdkafka also asked
            # FindCoordinator on, taking this Metadata request with it: ask again.
            if now_ms() - began > _METADATA_TIMEOUT_S * 1000:
                raise GlassKafkaError(f"no broker answered Metadata: {error}") from None
            time.sleep(0.1)
    found = metadata.topics.get(topic)
    if found is None or found.error is not None or not found.partitions:
        reason = found.error if found is not None and found.error else "no partitions"
        raise GlassKafkaError(f"topic {topic!r} cannot be read: {reason}")
    partitions = sorted(found.partitions)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    return 0


def _join(consumer: Any, args: argparse.Namespace) -> int:
    """Subscribe as a member of ``--group``; the time until partitions are assigned."""
    began = now_ms()
    assigned: list[float] = []
    consumer.subscribe([args.topic], on_assign=lambda _c, parts: assigned.append(now_ms()))
    while not assigned and now_ms() - began <= args.timeout:
        consumer.poll(_POLL_S)  # records polled here are not lost: none exist before assignment
    if not assigned:
        raise GlassKafkaError(
            f"consumer group {args.group!r} got no partitions within {args.timeout} ms: the "
            "cluster does not seem to serve consumer groups (FindCoordinator, JoinGroup, "
            "SyncGroup); glasskafka's brokers do not yet. Leave out --group to read every "
            "partition by assignment instead"
        )
    return round(assigned[0] - began)


def _consume(consumer: Any, args: argparse.Namespace, *, join_ms: int) -> ConsumerProgress:
    """Read until ``--messages`` arrived or none arrived for ``--timeout`` ms."""
    progress = ConsumerProgress()
    last_report = last_consumed = current = now_ms()
    while progress.messages < args.messages and current - last_consumed <= args.timeout:
        batch = consumer.consume(num_messages=min(500, args.messages - progress.messages),
                                 timeout=_POLL_S)  # fmt: skip
        current = now_ms()
        messages, size = _count(batch)
        if not messages:
            continue
        last_consumed = current
        progress.messages += messages
        progress.bytes += size
        # Kafka checks the interval only as records arrive, so an idle spell prints nothing.
        if args.show_detailed_stats and current - last_report >= args.reporting_interval:
            row = detailed_row(end_ms=wall_clock_ms(), interval_ms=current - last_report,
                               join_ms=join_ms, progress=progress)  # fmt: skip
            print(row, flush=True)
            join_ms, last_report = 0, current
            progress.last_messages, progress.last_bytes = progress.messages, progress.bytes
    return progress


def _count(batch: list[Any]) -> tuple[int, int]:
    """Records in ``batch`` and their key and value bytes; errors are reported on stderr
    (librdkafka retries by itself) and not counted.

    This loop runs once per record, so it keeps its sums in local variables: at a few hundred
    thousand records a second, updating ``ConsumerProgress`` per record would cost the tool
    more than the broker spends serving the fetch.
    """
    messages = size = 0
    for message in batch:
        error = message.error()
        if error is not None:
            print(f"glasskafka consumer-perf-test: consumer error: {error}", file=sys.stderr)
            continue
        key, value = message.key(), message.value()
        size += (len(key) if key else 0) + (len(value) if value else 0)
        messages += 1
    return messages, size
