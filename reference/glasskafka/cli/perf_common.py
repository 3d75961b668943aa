"""What ``producer-perf-test`` and ``consumer-perf-test`` share: properties, clients, units.

Theory of operation
-------------------
Kafka's two perf tools (``ProducerPerformance.java`` and ``ConsumerPerformance``, in Kafka's
``tools`` module) are ordinary clients.  glasskafka's versions drive the cluster through
confluent-kafka (librdkafka), a client that speaks the standard protocol, so the same command
measures a glasskafka cluster started with ``glasskafka cluster up`` or any Kafka cluster.

This module holds the parts both tools need:

* client properties from ``key=value`` words (``--producer-props``) and from a Java properties
  file (``--producer.config``, ``--consumer.config``), each bad entry refused with a message that
  names it;
* building a confluent-kafka client, turning librdkafka's "No such configuration property" or bad
  value into a :class:`~glasskafka.errors.GlassKafkaError` (exit status 2 at the command line);
* Kafka's units: "MB" in every perf-test line is a mebibyte (``1024 * 1024`` bytes, as
  ``ProducerPerformance`` and ``ConsumerPerformance`` divide by), and the consumer's timestamps
  use Java's ``SimpleDateFormat("yyyy-MM-dd HH:mm:ss:SSS")``.

The tools measure real elapsed time, so unlike the nodes they read a clock: :func:`now_ms`, a
monotonic clock in milliseconds (as float, so short runs keep their sub-millisecond precision).

Spec IDs: none (a measuring tool, not a protocol participant).

Simplified from Kafka: property names are librdkafka's, not the Java client's.  The common ones
(``bootstrap.servers``, ``acks``, ``linger.ms``, ``batch.size``, ``compression.type``,
``client.id``) are the same; Java-only ones (``buffer.memory``, ``key.serializer``) are refused with
librdkafka's reason rather than silently ignored.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from glasskafka.errors import GlassKafkaError

__all__ = [
    "BYTES_PER_MB",
    "build_client",
    "format_timestamp",
    "freeze_startup_objects",
    "now_ms",
    "parse_properties",
    "positive_int",
    "read_properties_file",
    "wall_clock_ms",
]

BYTES_PER_MB = 1024 * 1024
"""Kafka's perf tools divide bytes by 1024 * 1024 and call the result "MB" (it is MiB)."""

ClientT = TypeVar("ClientT")


def freeze_startup_objects() -> None:
    """Take every object alive now out of the garbage collector's sight (``gc.freeze``).

    Why: a measuring loop makes a few container objects per record (librdkafka's messages, the
    delivery callbacks), and every so many of them the collector runs; a full collection walks
    every object the start-up made -- the modules, argparse, confluent-kafka, tens of thousands
    -- and a profile of consumer-perf-test at 300,000 records put a third of its time there.
    The objects frozen live until the process ends anyway, so nothing leaks.  (No collection
    first: start-up leaves little garbage, and a full collection of it took a second.)
    """
    gc.freeze()


def now_ms() -> float:
    """A monotonic clock in milliseconds, for elapsed times and latencies."""
    return time.monotonic_ns() / 1_000_000


def wall_clock_ms() -> int:
    """Milliseconds since the epoch, for the consumer's ``start.time`` and ``end.time``."""
    return time.time_ns() // 1_000_000


def format_timestamp(epoch_ms: int) -> str:
    """``epoch_ms`` in local time, as Java's ``yyyy-MM-dd HH:mm:ss:SSS`` formats it."""
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000)
    return f"{moment:%Y-%m-%d %H:%M:%S}:{epoch_ms % 1000:03d}"


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number above zero (argparse turns the error into exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above zero")
    return value


def parse_properties(items: Iterable[str], *, flag: str) -> dict[str, str]:
    """Parse ``key=value`` words given after ``flag``; refuse any word that is not one."""
    properties: dict[str, str] = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise GlassKafkaError(f"{flag}: {item!r} is not of the form key=value")
        properties[key.strip()] = value.strip()
    return properties


def read_properties_file(path: str, *, flag: str) -> dict[str, str]:
    """Read a Java properties file: ``key=value`` or ``key: value`` lines, ``#``/``!`` comments.

    Line continuations and escapes of ``java.util.Properties`` are not supported; a line that has
    neither ``=`` nor ``:`` is refused, naming the file and the line.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GlassKafkaError(f"{flag}: cannot read {path!r}: {error}") from None
    properties: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut <= 0:
            raise GlassKafkaError(f"{flag}: {path}:{number}: {raw!r} is not key=value")
        properties[line[:cut].strip()] = line[cut + 1 :].strip()
    return properties


def build_client(factory: Callable[[dict[str, str]], ClientT], config: dict[str, str]) -> ClientT:
    """Create a confluent-kafka client; a property librdkafka refuses becomes a GlassKafkaError."""
    if not config.get("bootstrap.servers"):
        raise GlassKafkaError("bootstrap.servers is required (host:port[,host:port...])")
    try:
        return factory(config)
    except Exception as error:  # librdkafka reports bad properties as KafkaException/ValueError
        raise GlassKafkaError(f"bad client property: {error}") from None
