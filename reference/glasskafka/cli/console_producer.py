"""``glasskafka console-producer``: each line of standard input becomes a record.

Theory of operation
-------------------
Kafka's ``kafka-console-producer.sh``, same flags.  The course writes its first events with::

    kafka-console-producer.sh --bootstrap-server localhost:9092 --topic topic1
    > This is my first event

and ``glasskafka console-producer`` takes the flags of Kafka 3.7's ``kafka.tools.ConsoleProducer``.
Each line of standard input is one record, sent by glasskafka's own producer node hosted on real
sockets (``glasskafka.runtime.facade.KafkaProducer``), so the run shows the node's behaviour:
idempotent, ``acks=all``.

* **The prompt.**  Like Kafka's ``LineMessageReader``, which prints ``>`` before each line when
  ``System.console()`` exists (standard input and output both a terminal), it prompts only in a
  terminal; piped input gets no prompt, so scripts see clean output.
* **Reader properties** (``--property``), with Kafka's defaults: ``parse.key=false``,
  ``key.separator=<TAB>``, ``ignore.error=false``, ``parse.headers=false``,
  ``headers.delimiter=<TAB>``, ``headers.separator=,``, ``headers.key.separator=:`` and
  ``null.marker`` (unset).  With ``parse.headers`` and ``parse.key`` a line reads
  ``h1:v1,h2:v2<TAB>key<TAB>value``.  A line without the key separator stops the producer as
  Kafka's does -- Kafka throws ``KafkaException: No key separator found on line number 2: 'hhh'``
  and exits 1 -- and here the same sentence goes to standard error with exit status 1, after the
  lines before it have been delivered.  ``ignore.error=true`` sends such a line keyless instead.
* **Producer properties**: a ``--producer.config`` file, then ``--producer-property key=value``
  (which wins), then the tool's own flags, each of which sets its property only when given or
  when neither of those set it (``CommandLineUtils.maybeMergeOptions``): ``--request-required-acks``
  (``acks``, default ``-1``), ``--timeout`` (``linger.ms``, default 1000),
  ``--request-timeout-ms`` (1500), ``--message-send-max-retries`` (``retries``, 3),
  ``--retry-backoff-ms`` (100), ``--batch-size`` (16384), ``--max-block-ms`` (60000),
  ``--max-memory-bytes``, ``--metadata-expiry-ms``, ``--compression-codec``.
  ``client.id`` is ``console-producer`` unless set.  Every property is checked by
  :func:`~glasskafka.client.producer_config` before anything connects.
* **Sending**: asynchronously, as Kafka does, with an error callback that prints Kafka's
  ``ErrorLoggingCallback`` line; ``--sync`` waits for each record.  At the end of input (or
  Ctrl-C) the producer is closed, which delivers what is still batched.

Bad input is refused with a clear message, never a traceback: a malformed ``--bootstrap-server``,
an unknown property or a bad value (exit status 2, before anything is sent); a line that is not
UTF-8 (exit status 1, naming the line, after the lines before it are delivered).

Spec IDs: none here; the producer node keeps ORDER-1 and IDEM-1..3.

Simplified from Kafka: no ``--line-reader``/``--reader-config`` (one reader); properties Kafka's
reader ignores are refused here (a misspelt ``parse.kye`` would otherwise silently do nothing);
``headers.separator`` is a plain string, not a Java regular expression; Java decodes a line that
is not UTF-8 with replacement characters, changing its bytes silently, where this tool refuses
it; and a record that fails makes the exit status 1, where Kafka only logs it.  ``--sync``
behaves as Kafka's.  ``compression.type`` from ``--producer-property`` is kept unless
``--compression-codec`` is given (Kafka 3.7 always overwrites it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from glasskafka.cli.perf_common import read_properties_file
from glasskafka.client.producer_config import producer_config
from glasskafka.errors import GlassKafkaError
from glasskafka.log.errors import LogError
from glasskafka.log.names import validate_topic
from glasskafka.runtime.facade import KafkaProducer
from glasskafka.runtime.kafka_client import parse_bootstrap

__all__ = [
    "LineReader",
    "LineRecord",
    "ReaderError",
    "parse_key_values",
    "producer_properties",
    "register",
    "topic_name",
]

READER_DEFAULTS: dict[str, str] = {
    "parse.key": "false",
    "key.separator": "\t",
    "ignore.error": "false",
    "parse.headers": "false",
    "headers.delimiter": "\t",
    "headers.separator": ",",
    "headers.key.separator": ":",
}
"""``LineMessageReader``'s properties and defaults (``null.marker`` has none)."""

_FLAG_PROPERTIES: tuple[tuple[str, str, str | None], ...] = (
    ("request_required_acks", "acks", "-1"),
    ("timeout", "linger.ms", "1000"),
    ("request_timeout_ms", "request.timeout.ms", "1500"),
    ("message_send_max_retries", "retries", "3"),
    ("retry_backoff_ms", "retry.backoff.ms", "100"),
    ("batch_size", "batch.size", "16384"),
    ("max_block_ms", "max.block.ms", "60000"),
    ("max_memory_bytes", "buffer.memory", "33554432"),
    ("metadata_expiry_ms", "metadata.max.age.ms", "300000"),
    ("compression_codec", "compression.type", None),
)
"""(flag's dest, producer property, the tool's default): ``ConsoleProducer.producerProps``."""


class ReaderError(Exception):
    """What ``LineMessageReader`` throws as ``KafkaException`` for a line it cannot read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LineRecord:
    """One line, read: the key, value and headers to send (None: a null field)."""

    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


class LineReader:
    """Kafka's ``LineMessageReader``: one line of text to one record, as the properties say."""

    def __init__(self, properties: Mapping[str, str]) -> None:
        """Check ``properties`` (unknown keys, true/false flags, clashing separators).

        Raises :class:`GlassKafkaError` naming the property and what is allowed.
        """
        known = set(READER_DEFAULTS) | {"null.marker"}
        for key in sorted(properties):
            if key not in known:
                raise GlassKafkaError(
                    f"--property {key!r} is not a reader property; allowed: "
                    + ", ".join(sorted(known))
                )
        merged = READER_DEFAULTS | dict(properties)
        self.parse_key = _flag(merged, "parse.key")
        self.parse_headers = _flag(merged, "parse.headers")
        self.ignore_error = _flag(merged, "ignore.error")
        self.key_separator = merged["key.separator"]
        self.headers_delimiter = merged["headers.delimiter"]
        self.headers_separator = merged["headers.separator"]
        self.headers_key_separator = merged["headers.key.separator"]
        self.null_marker = merged.get("null.marker")
        self._check_separators()

    def _check_separators(self) -> None:
        named = {
            "key.separator": self.key_separator,
            "headers.delimiter": self.headers_delimiter,
            "headers.separator": self.headers_separator,
            "headers.key.separator": self.headers_key_separator,
        }
        for name, value in named.items():
            # An empty separator is "found" at every position, so every key would be empty.
            if value == "":
                raise GlassKafkaError(f"--property {name} is empty; allowed: a non-empty string")
        # LineMessageReader.configure refuses the same clashes, naming both properties.
        pairs = [
            ("headers.delimiter", "headers.separator"),
            ("headers.delimiter", "headers.key.separator"),
            ("headers.separator", "headers.key.separator"),
        ]
        if self.null_marker is not None:
            pairs += [("null.marker", name) for name in named]
        values = named | {"null.marker": self.null_marker or ""}
        for first, second in pairs:
            if values[first] == values[second]:
                raise GlassKafkaError(f"{first} and {second} may not be equal")

    def read(self, line: str, line_number: int) -> LineRecord:
        """The record for ``line`` (its ending already removed).

        Raises :class:`ReaderError` with Kafka's sentence when a separator is missing.
        """
        headers_text = self._field(
            self.parse_headers, line, 0, self.headers_delimiter, "headers delimiter", line_number
        )
        start = 0 if headers_text is None else len(headers_text) + len(self.headers_delimiter)
        key = self._field(
            self.parse_key, line, start, self.key_separator, "key separator", line_number
        )
        if key is not None:
            start += len(key) + len(self.key_separator)
        value = line[start:]
        headers = () if headers_text is None else self._headers(headers_text, line_number)
        return LineRecord(key=self._bytes(key), value=self._bytes(value), headers=headers)

    def _field(
        self, enabled: bool, line: str, start: int, separator: str, name: str, line_number: int
    ) -> str | None:
        """``LineMessageReader.parse``: the text from ``start`` up to ``separator``."""
        if not enabled:
            return None
        end = line.find(separator, start)
        if end >= 0:
            return line[start:end]
        if self.ignore_error:
            return None
        raise ReaderError(f"No {name} found on line number {line_number}: '{line}'")

    def _headers(self, text: str, line_number: int) -> tuple[tuple[str, bytes | None], ...]:
        headers = []
        for pair in text.split(self.headers_separator):
            key, found, value = pair.partition(self.headers_key_separator)
            if not found and not self.ignore_error:
                raise ReaderError(
                    f"No header key separator found in pair '{pair}' on line number {line_number}"
                )
            if key == self.null_marker:
                raise ReaderError(
                    f"Header keys should not be equal to the null marker '{self.null_marker}' "
                    "as they can't be null"
                )
            headers.append((key if found else pair, self._bytes(value) if found else None))
        return tuple(headers)

    def _bytes(self, text: str | None) -> bytes | None:
        if text is None or text == self.null_marker:
            return None
        return text.encode("utf-8")


def parse_key_values(items: Iterable[str], *, flag: str) -> dict[str, str]:
    """``CommandLineUtils.parseKeyValueArgs``: ``key=value`` words, split at the first ``=``.

    Values are kept exactly (a separator may be a space).  Raises :class:`GlassKafkaError` for a
    word without ``=``, an empty key, or an empty value ("Missing value for key", as Kafka says).
    """
    properties: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise GlassKafkaError(f"{flag} {item!r} is not of the form key=value")
        if not value:
            raise GlassKafkaError(f"{flag}: Missing value for key {key}")
        properties[key.strip()] = value
    return properties


def _flag(properties: Mapping[str, str], key: str) -> bool:
    value = properties[key].strip().lower()
    if value not in ("true", "false"):
        raise GlassKafkaError(f"--property {key}={properties[key]!r}; allowed: true or false")
    return value == "true"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``console-producer`` subcommand."""
    parser = subparsers.add_parser(
        "console-producer",
        help="send lines from standard input as records (kafka-console-producer.sh)",
        description="Read lines from standard input and publish each as a record, as "
        "kafka-console-producer.sh does.",
    )
    parser.add_argument("--bootstrap-server", required=True, metavar="HOST:PORT[,...]")
    parser.add_argument("--topic", required=True, type=topic_name, help="the topic to write to")
    parser.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a reader property: parse.key, key.separator, ...",
    )
    parser.add_argument("--producer-property", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--producer.config", dest="producer_config", metavar="FILE")
    parser.add_argument("--sync", action="store_true", help="wait for each record's answer")
    parser.add_argument("--request-required-acks", metavar="ACKS", help="acks (default -1)")
    parser.add_argument("--compression-codec", nargs="?", const="gzip", metavar="CODEC")
    for flag, metavar in (
        ("timeout", "MS"),
        ("request-timeout-ms", "MS"),
        ("message-send-max-retries", "N"),
        ("retry-backoff-ms", "MS"),
        ("batch-size", "BYTES"),
        ("max-block-ms", "MS"),
        ("max-memory-bytes", "BYTES"),
        ("metadata-expiry-ms", "MS"),
    ):
        parser.add_argument(f"--{flag}", type=_whole_number, metavar=metavar)
    parser.set_defaults(func=_run)


def topic_name(text: str) -> str:
    """An ``argparse`` type: a legal Kafka topic name (``[A-Za-z0-9._-]``, 1 to 249, not ``.``
    or ``..``), refused before anything connects as Kafka's clients refuse it."""
    try:
        return validate_topic(text)
    except LogError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _whole_number(text: str) -> str:
    """An ``argparse`` type: a whole number >= 0, kept as text for the property."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return text


def producer_properties(args: argparse.Namespace) -> dict[str, str]:
    """``ConsoleProducer.producerProps``: file, then ``--producer-property``, then the flags
    (a flag that was not given fills in its default only if nothing set the property)."""
    given: dict[str, str] = {}
    if args.producer_config:
        given |= read_properties_file(args.producer_config, flag="--producer.config")
    given |= parse_key_values(args.producer_property, flag="--producer-property")
    for dest, name, default in _FLAG_PROPERTIES:
        value = getattr(args, dest)
        if value is not None:
            given[name] = value
        elif default is not None:
            given.setdefault(name, default)
    given.setdefault("client.id", "console-producer")
    given["bootstrap.servers"] = args.bootstrap_server
    return given


def _run(args: argparse.Namespace) -> int:
    parse_bootstrap(args.bootstrap_server)  # refused before anything starts (exit status 2)
    reader = LineReader(parse_key_values(args.property, flag="--property"))
    properties = producer_properties(args)
    producer_config(properties)  # every key and value checked, naming the bad one
    configs = {k.replace(".", "_"): v for k, v in properties.items() if k != "bootstrap.servers"}
    producer = KafkaProducer(args.bootstrap_server, **configs)
    session = _Session(producer=producer, topic=args.topic, sync=args.sync, err=sys.stderr)
    status = 0
    try:
        status = session.send_lines(reader, _lines(sys.stdin.buffer), prompt=_interactive())
    except KeyboardInterrupt:
        status = 130
    finally:
        session.close()
    return status if session.failures == 0 or status != 0 else 1


def _interactive() -> bool:
    """Kafka prompts when ``System.console()`` exists: standard input and output are terminals."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _lines(stream: BinaryIO) -> Iterable[bytes]:
    """Lines as Java's ``readLine`` ends them (``\\n`` or ``\\r\\n``), endings removed."""
    for raw in stream:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        yield line[:-1] if line.endswith(b"\r") else line


class _Session:
    """One run: send each line, count failures, report them as ``ErrorLoggingCallback`` does."""

    def __init__(self, *, producer: KafkaProducer, topic: str, sync: bool, err: TextIO) -> None:
        self.producer = producer
        self.topic = topic
        self.sync = sync
        self.err = err
        self.failures = 0

    def send_lines(self, reader: LineReader, lines: Iterable[bytes], *, prompt: bool) -> int:
        """Send every line; 0, or 1 after the first line that cannot be read or sent."""
        number = 0
        for number, raw in enumerate(_prompted(lines, prompt), start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                return self._stop(
                    f"line number {number} is not UTF-8 ({error.reason} at byte "
                    f"{error.start}); nothing from it was sent"
                )
            try:
                record = reader.read(text, number)
            except ReaderError as error:
                return self._stop(str(error))
            if not self._send(record):
                return 1
        return 0

    def _send(self, record: LineRecord) -> bool:
        future = self.producer.send(
            self.topic, value=record.value, key=record.key, headers=list(record.headers)
        )
        if self.sync:
            try:
                future.get()
            except GlassKafkaError as error:
                self._failed(record, error)
                return False
        else:
            future.add_errback(lambda error: self._failed(record, error))
        return True

    def _failed(self, record: LineRecord, error: BaseException) -> None:
        self.failures += 1
        key = "null" if record.key is None else f"{len(record.key)} bytes"
        size = 0 if record.value is None else len(record.value)
        self.err.write(
            f"ERROR Error when sending message to topic {self.topic} with key: {key}, "
            f"value: {size} bytes with error: {error}\n"
        )
        self.err.flush()

    def _stop(self, message: str) -> int:
        self.err.write(f"ERROR {message}\n")
        self.err.flush()
        return 1

    def close(self) -> None:
        """Deliver what is still batched (Kafka's ``producer.close()`` in its ``finally``)."""
        try:
            self.producer.close()
        except GlassKafkaError as error:
            self._stop(f"closing the producer: {error}")


def _prompted(lines: Iterable[bytes], prompt: bool) -> Iterable[bytes]:
    """``>`` before each read, as ``LineMessageReader`` prints it (stdout, no newline)."""
    iterator = iter(lines)
    while True:
        if prompt:
            sys.stdout.write(">")
            sys.stdout.flush()
        line = next(iterator, None)
        if line is None:
            return
        yield line
