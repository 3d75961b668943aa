"""``glasskafka console-consumer``: print a topic's records (``kafka-console-consumer.sh``).

Theory of operation
-------------------
The course reads its events back with::

    kafka-console-consumer.sh --from-beginning --bootstrap-server localhost:9092 --topic topic1

and ``glasskafka console-consumer`` takes the flags of Kafka 3.7's ``kafka.tools.ConsoleConsumer``.
The reading is done by glasskafka's own consumer node on real sockets
(``glasskafka.runtime.facade.KafkaConsumer``), in one of Kafka's two modes:

* **a group** (no ``--partition``): the consumer subscribes to ``--topic`` in group ``--group``,
  and the coordinator assigns it partitions.  Without ``--group`` it makes one up as Kafka does,
  ``console-consumer-<n>`` with n below 100000, and turns auto-commit off unless told otherwise
  (the made-up group is never used again, so its offsets need not be kept).  With ``--group``
  the position is committed (auto-commit, and once more on close), so the next run of the same
  group starts where this one stopped.  Where a group has nothing committed, ``--from-beginning``
  means ``auto.offset.reset=earliest`` (else ``latest``), and Kafka refuses a conflicting
  ``auto.offset.reset`` given as a property.
* **one partition** (``--partition P``): the consumer ``assign()``s it and seeks to ``--offset``
  (a number, ``earliest`` or ``latest``, the default) or, with ``--from-beginning``, the start.

Each record is printed by Kafka's ``DefaultMessageFormatter`` rules (``--property``):
``print.timestamp`` (``CreateTime:<ms>``), ``print.partition`` (``Partition:<n>``),
``print.offset`` (``Offset:<n>``), ``print.headers`` (``k:v`` joined by ``headers.separator``,
or ``NO_HEADERS``), ``print.key``, ``print.value`` (default true), in that order, separated by
``key.separator`` (default TAB) and ended by ``line.separator`` (default newline); a null key or
value prints ``null.literal`` (default ``null``).  Keys and values are printed as their bytes,
as Kafka's ``ByteArrayDeserializer`` leaves them.

It stops after ``--max-messages`` records, or when ``--timeout-ms`` passes without one (Kafka
then logs ``Error processing message, terminating consumer process: TimeoutException``), or on
Ctrl-C, or when standard output is closed (``Unable to write to standard out, closing
consumer.``) -- and always ends with Kafka's ``Processed a total of N messages`` on standard
error.

Bad input is refused before anything connects, with Kafka's sentences where Kafka has them
(``The partition is required when offset is specified.``, ``Options from-beginning and offset
cannot be specified together.``, ``The provided offset value 'x' is incorrect...``) and exit
status 2: a malformed ``--bootstrap-server``, unknown or malformed properties, ``--max-messages``
below 1, a negative ``--timeout-ms`` or ``--partition``.

Spec IDs: none here; the consumer node keeps its share of DELIV-19 and DELIV-21.

Simplified from Kafka: no ``--include`` (pattern subscription), ``--formatter``,
``--skip-message-on-error`` or deserializer classes (``key.deserializer``/``value.deserializer``
accept only ByteArray/String deserializers, which print the same bytes).  Kafka treats any
``print.*`` value but ``true`` as false and lets ``--max-messages 0`` read nothing; here those are
refused as the mistakes they usually are.  An assign-mode run without ``--group`` uses no group
id at all (Kafka makes one up that it never uses).  A failure other than the timeout makes the
exit status 1 (Kafka logs it and exits 0).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from glasskafka.cli.console_producer import parse_key_values, topic_name
from glasskafka.cli.perf_common import read_properties_file
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.config import config_from_properties
from glasskafka.errors import GlassKafkaError
from glasskafka.runtime.facade import ConsumerRecord, KafkaConsumer, TopicPartition
from glasskafka.runtime.kafka_client import parse_bootstrap

__all__ = ["MessageFormatter", "consumer_properties", "parse_offset", "register"]

FORMATTER_DEFAULTS: dict[str, str] = {
    "print.timestamp": "false",
    "print.partition": "false",
    "print.offset": "false",
    "print.headers": "false",
    "print.key": "false",
    "print.value": "true",
    "key.separator": "\t",
    "line.separator": "\n",
    "headers.separator": ",",
    "null.literal": "null",
}
"""``DefaultMessageFormatter``'s properties and defaults."""

_BYTE_DESERIALIZERS = (
    "org.apache.kafka.common.serialization.ByteArrayDeserializer",
    "org.apache.kafka.common.serialization.StringDeserializer",
)
_EARLIEST, _LATEST = "earliest", "latest"
_POLL_MS = 1000
"""How long one poll waits when no ``--timeout-ms`` bounds the run (Ctrl-C is checked between)."""


@dataclass(frozen=True, slots=True)
class MessageFormatter:
    """Kafka's ``DefaultMessageFormatter``: which fields to print, and between what."""

    properties: Mapping[str, str]

    @staticmethod
    def from_properties(given: Mapping[str, str]) -> MessageFormatter:
        """Check ``given`` (unknown keys, true/false flags, deserializers); raises
        :class:`GlassKafkaError` naming the property and what is allowed."""
        known = set(FORMATTER_DEFAULTS) | {"key.deserializer", "value.deserializer"}
        for key in sorted(given):
            if key not in known:
                raise GlassKafkaError(
                    f"--property {key!r} is not a formatter property; allowed: "
                    + ", ".join(sorted(known))
                )
            if key.startswith("print.") and given[key].strip().lower() not in ("true", "false"):
                raise GlassKafkaError(f"--property {key}={given[key]!r}; allowed: true or false")
            if key.endswith(".deserializer") and given[key] not in _BYTE_DESERIALIZERS:
                raise GlassKafkaError(
                    f"--property {key}={given[key]!r}; allowed: " + ", ".join(_BYTE_DESERIALIZERS)
                )
        return MessageFormatter(FORMATTER_DEFAULTS | dict(given))

    def _on(self, key: str) -> bool:
        return self.properties[key].strip().lower() == "true"

    def format(self, record: ConsumerRecord) -> bytes:
        """The bytes ``DefaultMessageFormatter.writeTo`` writes for ``record``."""
        columns: list[bytes] = []
        if self._on("print.timestamp"):
            columns.append(f"CreateTime:{record.timestamp}".encode())
        if self._on("print.partition"):
            columns.append(f"Partition:{record.partition}".encode())
        if self._on("print.offset"):
            columns.append(f"Offset:{record.offset}".encode())
        if self._on("print.headers"):
            columns.append(self._headers(record))
        if self._on("print.key"):
            columns.append(self._field(record.key))
        if self._on("print.value"):
            columns.append(self._field(record.value))
        if not columns:
            return b""
        separator = self.properties["key.separator"].encode()
        return separator.join(columns) + self.properties["line.separator"].encode()

    def _field(self, data: object) -> bytes:
        if data is None:
            return self.properties["null.literal"].encode()
        assert isinstance(data, bytes | bytearray), data  # no deserializer: the node's bytes
        return bytes(data)

    def _headers(self, record: ConsumerRecord) -> bytes:
        if not record.headers:
            return b"NO_HEADERS"
        pairs = [key.encode() + b":" + self._field(value) for key, value in record.headers]
        return self.properties["headers.separator"].encode().join(pairs)


def parse_offset(text: str) -> str | int:
    """``--offset``: ``earliest``, ``latest`` (any case) or a whole number >= 0."""
    lowered = text.lower()
    if lowered in (_EARLIEST, _LATEST):
        return lowered
    if text.isascii() and text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(
        f"The provided offset value '{text}' is incorrect. Valid values are 'earliest', "
        "'latest', or a non-negative long."
    )


def _at_least(lowest: int) -> Callable[[str], int]:
    """An ``argparse`` type: a whole number >= ``lowest`` (argparse makes a refusal exit 2)."""

    def parse(text: str) -> int:
        if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()) or int(text) < lowest:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= {lowest}")
        return int(text)

    return parse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``console-consumer`` subcommand."""
    parser = subparsers.add_parser(
        "console-consumer",
        help="print a topic's records on standard output (kafka-console-consumer.sh)",
        description="Read records from a topic and print them, as kafka-console-consumer.sh "
        "does; ends with 'Processed a total of N messages' on standard error.",
    )
    parser.add_argument("--bootstrap-server", required=True, metavar="HOST:PORT[,...]")
    parser.add_argument("--topic", required=True, type=topic_name, help="the topic to read")
    parser.add_argument("--group", help="the consumer group (default: console-consumer-<n>)")
    parser.add_argument(
        "--from-beginning",
        action="store_true",
        help="with nothing committed, start at the earliest offset",
    )
    parser.add_argument("--partition", type=_at_least(0), help="read only this partition")
    parser.add_argument("--offset", type=parse_offset, help="with --partition: where to start")
    parser.add_argument("--max-messages", type=_at_least(1), metavar="N")
    parser.add_argument(
        "--timeout-ms",
        type=_at_least(0),
        metavar="MS",
        help="stop when no record arrives for this long",
    )
    parser.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a formatter property: print.key, key.separator, ...",
    )
    parser.add_argument("--consumer-property", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--consumer.config", dest="consumer_config", metavar="FILE")
    parser.add_argument("--isolation-level", choices=("read_uncommitted", "read_committed"))
    parser.set_defaults(func=_run, parser=parser)


def consumer_properties(args: argparse.Namespace, *, rng: random.Random) -> dict[str, str]:
    """``ConsoleConsumer``'s consumer properties: the file, then ``--consumer-property``, then
    the group id and ``auto.offset.reset`` rules.  Raises :class:`GlassKafkaError` for clashes."""
    from_file = {}
    if args.consumer_config:
        from_file = read_properties_file(args.consumer_config, flag="--consumer.config")
    extra = parse_key_values(args.consumer_property, flag="--consumer-property")
    properties = from_file | extra
    groups = {g for g in (args.group, from_file.get("group.id"), extra.get("group.id")) if g}
    if len(groups) > 1:
        raise GlassKafkaError(
            "The group ids provided in different places (directly using '--group', via "
            "'--consumer-property', or via '--consumer.config') do not match. Detected group "
            "ids: " + ", ".join(f"'{g}'" for g in sorted(groups))
        )
    if groups:
        properties["group.id"] = groups.pop()
    elif args.partition is None:
        # ConsoleConsumer: a made-up group, and no commits unless asked for.
        properties["group.id"] = f"console-consumer-{rng.randrange(100000)}"
        properties.setdefault("enable.auto.commit", "false")
    reset = properties.get("auto.offset.reset")
    if args.from_beginning and reset not in (None, _EARLIEST):
        raise GlassKafkaError(
            f"Can't simultaneously specify --from-beginning and 'auto.offset.reset={reset}', "
            "please remove one option"
        )
    properties.setdefault("auto.offset.reset", _EARLIEST if args.from_beginning else _LATEST)
    if args.isolation_level:
        properties["isolation.level"] = args.isolation_level
    properties["bootstrap.servers"] = args.bootstrap_server
    return properties


def _check_arguments(args: argparse.Namespace) -> None:
    """``ConsoleConsumerOptions.checkRequiredArgs``, with Kafka's sentences."""
    parser: argparse.ArgumentParser = args.parser
    if args.partition is not None and args.from_beginning and args.offset is not None:
        parser.error("Options from-beginning and offset cannot be specified together.")
    if args.partition is None and args.offset is not None:
        parser.error("The partition is required when offset is specified.")
    parse_bootstrap(args.bootstrap_server)


def _commits(properties: Mapping[str, str]) -> bool:
    """Whether the run commits on the way out: a group, with ``enable.auto.commit`` on."""
    enabled = properties.get("enable.auto.commit", "true").strip().lower() == "true"
    return "group.id" in properties and enabled


def _run(args: argparse.Namespace) -> int:
    _check_arguments(args)
    formatter = MessageFormatter.from_properties(parse_key_values(args.property, flag="--property"))
    properties = consumer_properties(args, rng=random.Random())
    config_from_properties(ConsumerConfig, properties)  # every key and value checked first
    # kafka-python's keywords are the property names with underscores (facade_values).
    configs: dict[str, Any] = {
        k.replace(".", "_"): v for k, v in properties.items() if k != "bootstrap.servers"
    }
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap_server, **configs)
    run = _Run(consumer=consumer, formatter=formatter, out=sys.stdout, err=sys.stderr)
    status = 1  # until the run says otherwise
    try:
        run.start(args)
        status = run.consume(max_messages=args.max_messages, timeout_ms=args.timeout_ms)
    except KeyboardInterrupt:
        status = 130
    except GlassKafkaError as error:
        run.error(f"Error processing message, terminating consumer process: {error}")
        status = 1
    finally:
        if not run.close(commit=_commits(properties)) and status == 0:
            status = 1
        # ConsoleConsumer.reportRecordCount, whatever ended the run.
        print(f"Processed a total of {run.count} messages", file=sys.stderr, flush=True)
    return status


class _Run:
    """One consuming run: where to start, the loop, and the count."""

    def __init__(
        self,
        *,
        consumer: KafkaConsumer,
        formatter: MessageFormatter,
        out: TextIO,
        err: TextIO,
    ) -> None:
        self.consumer = consumer
        self.formatter = formatter
        self.out = out
        self.err = err
        self.count = 0

    def start(self, args: argparse.Namespace) -> None:
        """Subscribe (a group), or assign the one partition and seek (``ConsumerWrapper``)."""
        if args.partition is None:
            self.consumer.subscribe([args.topic])
            return
        partitions = self.consumer.partitions_for_topic(args.topic)
        if partitions is None or args.partition not in partitions:
            raise GlassKafkaError(
                f"partition {args.partition} of topic '{args.topic}' does not exist"
                + ("" if partitions is None else f" (it has {len(partitions)})")
            )
        tp = TopicPartition(args.topic, args.partition)
        self.consumer.assign([tp])
        offset = args.offset
        if offset is None:
            offset = _EARLIEST if args.from_beginning else _LATEST
        if offset == _EARLIEST:
            self.consumer.seek_to_beginning(tp)
        elif offset == _LATEST:
            self.consumer.seek_to_end(tp)
        else:
            self.consumer.seek(tp, int(offset))

    def consume(self, *, max_messages: int | None, timeout_ms: int | None) -> int:
        """Print records until ``max_messages``, a silence of ``timeout_ms`` or a closed output."""
        while max_messages is None or self.count < max_messages:
            wanted = None if max_messages is None else max_messages - self.count
            wait_ms = _POLL_MS if timeout_ms is None else timeout_ms
            batch = self.consumer.poll(timeout_ms=wait_ms, max_records=wanted)
            records = [r for tp in sorted(batch) for r in batch[tp]]
            if not records and timeout_ms is not None:
                self.error(
                    "Error processing message, terminating consumer process: "
                    f"TimeoutException (no message for --timeout-ms {timeout_ms})"
                )
                return 0
            for record in records:
                if not self._write(self.formatter.format(record)):
                    self.error("Unable to write to standard out, closing consumer.")
                    return 1
                self.count += 1
        return 0

    def _write(self, data: bytes) -> bool:
        """Write a record's bytes as they are (a test's StringIO, which has no bytes, gets them
        decoded); False once nobody reads the output any more (``ConsoleConsumer.checkErr``)."""
        buffer = getattr(self.out, "buffer", None)
        try:
            if buffer is not None:
                buffer.write(data)
                buffer.flush()
            else:
                self.out.write(data.decode("utf-8", errors="replace"))
                self.out.flush()
        except (BrokenPipeError, ValueError):
            self._silence_output()
            return False
        return True

    def _silence_output(self) -> None:
        """Point the closed standard output at /dev/null, so the interpreter's own flush at
        exit does not fail again (the Python documentation's advice for SIGPIPE)."""
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.out.fileno())

    def error(self, message: str) -> None:
        self.err.write(f"ERROR {message}\n")
        self.err.flush()

    def close(self, *, commit: bool) -> bool:
        """Commit what was printed (if ``commit``), leave the group and close; False if the
        commit failed.  The commit is a blocking ``commit()`` before ``close()``: it retries
        while the coordinator is not ready (the first commit of a new cluster creates
        ``__consumer_offsets``) and its failure is reported, not lost."""
        committed = True
        if commit:
            try:
                self.consumer.commit()
            except GlassKafkaError as error:
                self.error(f"committing the offsets of the messages printed failed: {error}")
                committed = False
        try:
            self.consumer.close(autocommit=False)
        except GlassKafkaError as error:
            self.error(f"closing the consumer: {error}")
        return committed
