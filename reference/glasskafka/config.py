"""Typed configuration keyed by Kafka's property names, with Kafka's defaults.

Theory of operation
-------------------
Each role has one frozen dataclass (STYLE rule 11): :class:`BrokerConfig` for ``server.properties``,
:class:`TopicConfig` for per-topic overrides, :class:`CoordinationConfig` for
``zookeeper.properties``.  A field's Python name is the property name with dots turned into
underscores (``log.segment.bytes`` -> ``log_segment_bytes``); its ``metadata`` carries Kafka's exact
name, a one-line description and the allowed range.  Defaults are Kafka 3.7's, from the broker and
topic configuration tables of https://kafka.apache.org/37/documentation.html#configuration.

Configs are built from :func:`parse_properties` (Java ``.properties`` syntax: ``#``/``!`` comments,
``=``/``:``/space separators, backslash continuations) plus ``key=value`` overrides.  Every problem
raises :class:`~glasskafka.errors.GlassKafkaError` naming the key, the value and what is allowed:
an unknown key (with the nearest known names), a value of the wrong type, a value out of range.
Nothing is half-applied: a config object is created only when every key is good.

Spec IDs: none; the values it checks bound what the specs assume (for example
``min.insync.replicas`` in REPL-5).

Simplified from Kafka: glasskafka knows only the properties its nodes act on.  Kafka silently
ignores unknown keys with a warning; glasskafka refuses them, because a student's typo
(``min.insync.replica``) that silently keeps the default teaches the wrong lesson.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from glasskafka.errors import GlassKafkaError

__all__ = [
    "BrokerConfig",
    "CoordinationConfig",
    "TopicConfig",
    "config_from_properties",
    "parse_overrides",
    "parse_properties",
    "property_names",
]

C = TypeVar("C")


# Kafka declares many integer properties as Java ``int`` (ConfigDef type INT), not ``long``.  A
# value past 2**31 - 1 is refused there with "Not a number of type INT"; glasskafka refuses it too,
# which also keeps a segment's byte positions inside the offset index's 4-byte field.
_INT = 2**31 - 1
_SHORT = 2**15 - 1


def _p(
    name: str,
    doc: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    choices: tuple[str, ...] = (),
) -> Any:
    return {"kafka": name, "doc": doc, "minimum": minimum, "maximum": maximum, "choices": choices}


def _prop(name: str, default: Any, doc: str, **limits: Any) -> Any:
    return field(default=default, metadata=_p(name, doc, **limits))


# ---------------------------------------------------------------------------------------------
# The roles' configs


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerConfig:
    """``server.properties``: one broker's settings (Kafka 3.7 defaults)."""

    broker_id: int = _prop(
        "broker.id", -1, "This broker's id; -1 means unset.", minimum=-1, maximum=_INT
    )
    listeners: str = _prop("listeners", "PLAINTEXT://:9092", "Where the broker listens.")
    advertised_listeners: str | None = _prop(
        "advertised.listeners", None, "Address given to clients (defaults to listeners)."
    )
    log_dirs: str | None = _prop("log.dirs", None, "Comma-separated log directories.")
    log_dir: str = _prop("log.dir", "/tmp/kafka-logs", "Log directory if log.dirs is unset.")
    zookeeper_connect: str | None = _prop(
        "zookeeper.connect", None, "host:port of the coordination service."
    )
    zookeeper_session_timeout_ms: int = _prop(
        "zookeeper.session.timeout.ms",
        18000,
        "Session expiry of the broker's registration.",
        minimum=1,
        maximum=_INT,
    )
    num_partitions: int = _prop(
        "num.partitions", 1, "Default partitions of a new topic.", minimum=1, maximum=_INT
    )
    default_replication_factor: int = _prop(
        "default.replication.factor",
        1,
        "Default replication factor of a new topic.",
        minimum=1,
        maximum=_INT,
    )
    min_insync_replicas: int = _prop(
        "min.insync.replicas",
        1,
        "Smallest ISR that accepts acks=all writes.",
        minimum=1,
        maximum=_INT,
    )
    unclean_leader_election_enable: bool = _prop(
        "unclean.leader.election.enable", False, "Elect a replica outside the ISR as a last resort."
    )
    auto_create_topics_enable: bool = _prop(
        "auto.create.topics.enable", True, "Create unknown topics on Metadata requests."
    )
    replica_lag_time_max_ms: int = _prop(
        "replica.lag.time.max.ms", 30000, "A follower this far behind leaves the ISR.", minimum=1
    )
    replica_fetch_wait_max_ms: int = _prop(
        "replica.fetch.wait.max.ms",
        500,
        "Longest a follower's fetch waits at the leader.",
        minimum=0,
        maximum=_INT,
    )
    replica_fetch_min_bytes: int = _prop(
        "replica.fetch.min.bytes", 1, "Bytes a follower's fetch waits for.", minimum=1, maximum=_INT
    )
    replica_fetch_max_bytes: int = _prop(
        "replica.fetch.max.bytes",
        1048576,
        "Bytes a follower fetches per partition.",
        minimum=0,
        maximum=_INT,
    )
    offsets_topic_num_partitions: int = _prop(
        "offsets.topic.num.partitions",
        50,
        "Partitions of __consumer_offsets.",
        minimum=1,
        maximum=_INT,
    )
    offsets_topic_replication_factor: int = _prop(
        "offsets.topic.replication.factor",
        3,
        "Replication factor of __consumer_offsets.",
        minimum=1,
        maximum=_SHORT,
    )
    group_initial_rebalance_delay_ms: int = _prop(
        "group.initial.rebalance.delay.ms",
        3000,
        "Wait for more members of a new group.",
        minimum=0,
        maximum=_INT,
    )
    group_min_session_timeout_ms: int = _prop(
        "group.min.session.timeout.ms",
        6000,
        "Smallest session.timeout.ms allowed.",
        minimum=0,
        maximum=_INT,
    )
    group_max_session_timeout_ms: int = _prop(
        "group.max.session.timeout.ms",
        1800000,
        "Largest session.timeout.ms allowed.",
        minimum=0,
        maximum=_INT,
    )
    socket_request_max_bytes: int = _prop(
        "socket.request.max.bytes",
        104857600,
        "Largest request frame accepted.",
        minimum=1,
        maximum=_INT,
    )
    message_max_bytes: int = _prop(
        "message.max.bytes", 1048588, "Largest record batch accepted.", minimum=0, maximum=_INT
    )
    log_segment_bytes: int = _prop(
        "log.segment.bytes", 1073741824, "Roll a segment at this size.", minimum=14, maximum=_INT
    )
    log_roll_ms: int | None = _prop(
        "log.roll.ms", None, "Roll a segment this old (overrides hours)."
    )
    log_roll_hours: int = _prop(
        "log.roll.hours", 168, "Roll a segment this old.", minimum=1, maximum=_INT
    )
    log_retention_ms: int | None = _prop(
        "log.retention.ms", None, "Delete segments older than this (-1: never)."
    )
    log_retention_minutes: int | None = _prop(
        "log.retention.minutes", None, "As log.retention.ms, in minutes.", maximum=_INT
    )
    log_retention_hours: int = _prop(
        "log.retention.hours", 168, "As log.retention.ms, in hours.", maximum=_INT
    )
    log_retention_bytes: int = _prop(
        "log.retention.bytes", -1, "Delete old segments past this size (-1: no limit)."
    )
    log_retention_check_interval_ms: int = _prop(
        "log.retention.check.interval.ms", 300000, "How often retention runs.", minimum=1
    )
    log_index_interval_bytes: int = _prop(
        "log.index.interval.bytes",
        4096,
        "Bytes between offset-index entries.",
        minimum=0,
        maximum=_INT,
    )
    log_index_size_max_bytes: int = _prop(
        "log.index.size.max.bytes",
        10485760,
        "Roll when an index reaches this size.",
        minimum=4,
        maximum=_INT,
    )
    log_cleanup_policy: str = _prop(
        "log.cleanup.policy",
        "delete",
        "delete, compact, or both.",
        choices=("delete", "compact", "compact,delete", "delete,compact"),
    )
    log_cleaner_delete_retention_ms: int = _prop(
        "log.cleaner.delete.retention.ms", 86400000, "Keep tombstones this long.", minimum=0
    )
    log_flush_interval_messages: int = _prop(
        "log.flush.interval.messages",
        9223372036854775807,
        "fsync after this many records.",
        minimum=1,
    )
    log_flush_interval_ms: int | None = _prop(
        "log.flush.interval.ms", None, "fsync a log this long after its last flush."
    )
    log_message_timestamp_type: str = _prop(
        "log.message.timestamp.type",
        "CreateTime",
        "Which timestamp records keep.",
        choices=("CreateTime", "LogAppendTime"),
    )

    @property
    def effective_log_dirs(self) -> tuple[str, ...]:
        """``log.dirs`` split on commas, or ``log.dir`` when ``log.dirs`` is unset."""
        return tuple(d.strip() for d in (self.log_dirs or self.log_dir).split(",") if d.strip())

    @property
    def effective_retention_ms(self) -> int:
        """Kafka's precedence: ``log.retention.ms``, then ``.minutes``, then ``.hours``.

        Any negative result means "keep forever" and is returned as -1, as Kafka's
        ``KafkaConfig.logRetentionTimeMillis`` does, so ``log.retention.hours=-1`` works.
        """
        if self.log_retention_ms is not None:
            millis = self.log_retention_ms
        elif self.log_retention_minutes is not None:
            millis = self.log_retention_minutes * 60_000
        else:
            millis = self.log_retention_hours * 3_600_000
        return -1 if millis < 0 else millis

    @property
    def effective_roll_ms(self) -> int:
        """``log.roll.ms`` if set, else ``log.roll.hours``."""
        return self.log_roll_ms if self.log_roll_ms is not None else self.log_roll_hours * 3_600_000


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicConfig:
    """Per-topic settings; each defaults to its broker-wide counterpart (``log.`` prefix)."""

    cleanup_policy: str = _prop(
        "cleanup.policy",
        "delete",
        "delete, compact, or both.",
        choices=("delete", "compact", "compact,delete", "delete,compact"),
    )
    segment_bytes: int = _prop(
        "segment.bytes", 1073741824, "Roll at this size.", minimum=14, maximum=_INT
    )
    segment_ms: int = _prop("segment.ms", 604800000, "Roll a segment this old.", minimum=1)
    segment_index_bytes: int = _prop(
        "segment.index.bytes", 10485760, "Roll when an index is this big.", minimum=4, maximum=_INT
    )
    index_interval_bytes: int = _prop(
        "index.interval.bytes", 4096, "Bytes between index entries.", minimum=0, maximum=_INT
    )
    retention_ms: int = _prop(
        "retention.ms", 604800000, "Delete older segments (-1: never).", minimum=-1
    )
    retention_bytes: int = _prop("retention.bytes", -1, "Keep at most this many bytes (-1: all).")
    delete_retention_ms: int = _prop(
        "delete.retention.ms", 86400000, "Keep compacted tombstones this long.", minimum=0
    )
    min_compaction_lag_ms: int = _prop(
        "min.compaction.lag.ms", 0, "Records younger than this are not compacted.", minimum=0
    )
    max_message_bytes: int = _prop(
        "max.message.bytes", 1048588, "Largest batch.", minimum=0, maximum=_INT
    )
    min_insync_replicas: int = _prop(
        "min.insync.replicas", 1, "Smallest ISR for acks=all writes.", minimum=1, maximum=_INT
    )
    unclean_leader_election_enable: bool = _prop(
        "unclean.leader.election.enable", False, "Allow unclean election for this topic."
    )
    message_timestamp_type: str = _prop(
        "message.timestamp.type",
        "CreateTime",
        "Which timestamp records keep.",
        choices=("CreateTime", "LogAppendTime"),
    )
    flush_messages: int = _prop(
        "flush.messages", 9223372036854775807, "fsync after this many records.", minimum=1
    )

    @classmethod
    def from_broker(
        cls, broker: BrokerConfig, overrides: Mapping[str, str] | None = None
    ) -> TopicConfig:
        """The topic defaults a broker implies, then the topic's own overrides on top."""
        inherited = {
            "cleanup.policy": broker.log_cleanup_policy,
            "segment.bytes": str(broker.log_segment_bytes),
            "segment.ms": str(broker.effective_roll_ms),
            "segment.index.bytes": str(broker.log_index_size_max_bytes),
            "index.interval.bytes": str(broker.log_index_interval_bytes),
            "retention.ms": str(broker.effective_retention_ms),
            "retention.bytes": str(broker.log_retention_bytes),
            "delete.retention.ms": str(broker.log_cleaner_delete_retention_ms),
            "max.message.bytes": str(broker.message_max_bytes),
            "min.insync.replicas": str(broker.min_insync_replicas),
            "unclean.leader.election.enable": str(broker.unclean_leader_election_enable).lower(),
            "message.timestamp.type": broker.log_message_timestamp_type,
            "flush.messages": str(broker.log_flush_interval_messages),
        }
        return config_from_properties(cls, {**inherited, **(overrides or {})})

    @property
    def compact(self) -> bool:
        """Whether ``cleanup.policy`` includes ``compact``."""
        return "compact" in self.cleanup_policy.split(",")

    @property
    def delete(self) -> bool:
        """Whether ``cleanup.policy`` includes ``delete`` (time and size retention)."""
        return "delete" in self.cleanup_policy.split(",")


@dataclass(frozen=True, slots=True, kw_only=True)
class CoordinationConfig:
    """``zookeeper.properties``: the coordination service's settings (ZooKeeper's names)."""

    data_dir: str = _prop("dataDir", "/tmp/zookeeper", "Where snapshots are kept.")
    client_port: int = _prop(
        "clientPort", 2181, "Port clients connect to.", minimum=0, maximum=65535
    )
    tick_time: int = _prop("tickTime", 2000, "Basic time unit in ms.", minimum=1)
    max_client_cnxns: int = _prop("maxClientCnxns", 0, "Connections per client (0: no limit).")
    admin_enable_server: bool = _prop("admin.enableServer", False, "ZooKeeper's admin server.")
    min_session_timeout: int = _prop("minSessionTimeout", 4000, "Smallest session timeout (ms).")
    max_session_timeout: int = _prop("maxSessionTimeout", 40000, "Largest session timeout (ms).")


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_properties(text: str, *, source: str = "<properties>") -> dict[str, str]:
    """Parse Java ``.properties`` text into an ordered dict (later keys win, as in Java).

    The rules are ``java.util.Properties.load``'s: lines end at ``\\n``, ``\\r`` or ``\\r\\n``
    (and nowhere else); a line whose first non-blank character is ``#`` or ``!`` is a comment; a
    line ending in an odd number of backslashes continues on the next, whose leading blanks are
    dropped; the key ends at the first unescaped ``=``, ``:`` or blank; escapes (``\\t``,
    ``\\n``, ``\\uXXXX``...) work in keys and values.  Blanks are space, tab and form feed.

    Raises :class:`GlassKafkaError` naming the source and line for an empty key, a malformed
    ``\\uXXXX`` escape, or an escape that is half of a UTF-16 surrogate pair.
    """
    result: dict[str, str] = {}
    logical: list[str] = []
    first_line = 0
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        line = raw.lstrip(_BLANKS)
        if not logical:
            if not line or line[0] in "#!":
                continue
            first_line = number
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            logical.append(line[:-1])
            continue
        logical.append(line)
        _add_property(result, "".join(logical), where=f"{source}:{first_line}")
        logical = []
    if logical:
        _add_property(result, "".join(logical), where=f"{source}:{first_line}")
    return result


# Java's LineReader ends lines at \n, \r and \r\n only; str.splitlines would also split at form
# feeds, U+2028 and others, which are ordinary characters inside a Java properties value.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLANKS = " \t\f"
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


def _add_property(result: dict[str, str], text: str, *, where: str) -> None:
    raw_key, raw_value = _split_key_value(text)
    key = _unescape(raw_key, where=where)
    if not key:
        raise GlassKafkaError(f"{where}: a property line needs a key before '=': {text!r}")
    result[key] = _unescape(raw_value, where=where)


def _split_key_value(line: str) -> tuple[str, str]:
    """Split a logical line into its raw (still escaped) key and value."""
    index = 0
    while index < len(line) and line[index] not in "=:" + _BLANKS:
        index += 2 if line[index] == "\\" else 1
    key = line[:index]
    rest = line[index:].lstrip(_BLANKS)
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(_BLANKS)
    return key, rest


def _unescape_char(char: str) -> str:
    return {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(char, char)


def _unescape(text: str, *, where: str) -> str:
    """Resolve backslash escapes as ``Properties.loadConvert`` does, combining surrogate pairs."""
    units: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 == len(text):
            units.append(char)
            index += 1
        elif text[index + 1] != "u":
            units.append(_unescape_char(text[index + 1]))
            index += 2
        elif _HEX4.fullmatch(text, index + 2, index + 6):
            units.append(chr(int(text[index + 2 : index + 6], 16)))
            index += 6
        else:
            bad = text[index : index + 6]
            raise GlassKafkaError(f"{where}: malformed \\uXXXX escape {bad!r}; need 4 hex digits")
    return _join_surrogates(units, where=where)


def _join_surrogates(units: list[str], *, where: str) -> str:
    """Join UTF-16 surrogate pairs (``\\ud83d\\ude00``) into one character; refuse lone halves.

    Java strings are UTF-16, so a character outside the Basic Multilingual Plane is written as two
    ``\\u`` escapes.  A lone half is not a character and could not be printed or encoded later.
    """
    out: list[str] = []
    index = 0
    while index < len(units):
        unit = units[index]
        high = "\ud800" <= unit <= "\udbff"
        if high and index + 1 < len(units) and "\udc00" <= units[index + 1] <= "\udfff":
            pair = (ord(unit) - 0xD800) * 0x400 + (ord(units[index + 1]) - 0xDC00)
            out.append(chr(0x10000 + pair))
            index += 2
            continue
        if "\ud800" <= unit <= "\udfff":
            raise GlassKafkaError(
                f"{where}: escape \\u{ord(unit):04x} is half of a surrogate pair; "
                "write both halves, or the character itself"
            )
        out.append(unit)
        index += 1
    return "".join(out)


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """Parse command-line ``key=value`` overrides (``--override`` style)."""
    result: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise GlassKafkaError(f"override {item!r} is not of the form key=value")
        result[key.strip()] = value.strip()
    return result


def property_names(cls: type[Any]) -> dict[str, str]:
    """Kafka property name -> Python field name, for a config dataclass."""
    return {f.metadata["kafka"]: f.name for f in dataclasses.fields(cls)}


def config_from_properties(cls: type[C], properties: Mapping[str, str]) -> C:
    """Build config ``cls`` from Kafka-named string properties, checking every key and value.

    Raises :class:`GlassKafkaError` naming the first bad key, its value and what is allowed.
    """
    by_name = {f.metadata["kafka"]: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, raw in properties.items():
        spec = by_name.get(key)
        if spec is None:
            close = difflib.get_close_matches(key, list(by_name), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise GlassKafkaError(f"unknown property {key!r} for {cls.__name__}{hint}")
        values[spec.name] = _convert(key, raw, hints[spec.name], spec.metadata)
    return cls(**values)


def _convert(key: str, raw: str, hint: Any, meta: Mapping[str, Any]) -> Any:
    value = raw.strip()
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if args else hint
    if optional and value.lower() in ("", "null", "none"):
        return None
    if base is bool:
        if value.lower() not in ("true", "false"):
            raise GlassKafkaError(f"property {key!r} has value {raw!r}; allowed: true or false")
        return value.lower() == "true"
    if base is int:
        return _convert_int(key, raw, value, meta)
    choices = meta.get("choices") or ()
    if choices and value not in choices:
        raise GlassKafkaError(f"property {key!r} has value {raw!r}; allowed: {', '.join(choices)}")
    return value


# Java's Long.parseLong takes an optional sign and decimal digits; Python's int() would also take
# "1_000" and non-ASCII digits, which no Kafka broker would accept.
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _convert_int(key: str, raw: str, value: str, meta: Mapping[str, Any]) -> int:
    if not _INTEGER.fullmatch(value):
        raise GlassKafkaError(f"property {key!r} has value {raw!r}; allowed: an integer")
    # Checking the digit count first keeps int() away from its 4300-digit guard (a ValueError).
    if len(value.lstrip("+-").lstrip("0")) > 19 or not -(2**63) <= int(value) < 2**63:
        raise GlassKafkaError(f"property {key!r} has value {raw!r}; allowed: a 64-bit integer")
    number = int(value)
    minimum, maximum = meta.get("minimum"), meta.get("maximum")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        low = "" if minimum is None else f" >= {minimum}"
        high = "" if maximum is None else f" <= {maximum}"
        both = " and" if low and high else ""
        raise GlassKafkaError(
            f"property {key!r} has value {raw!r}; allowed: an integer{low}{both}{high}"
        )
    return number
