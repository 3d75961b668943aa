"""Reading a history file: strict JSON lines in, typed operations out, or a clear error.

Theory of operation
-------------------
A history file holds one JSON object per line (``docs/concepts/history-checker.md`` gives every
field).  :func:`parse_history` reads it in two passes:

1. **Each line on its own** (:func:`parse_line`): UTF-8, valid JSON, an object, a known ``op``,
   every required field present with the right type and range, no field that the op does not
   have, no field given twice.  Integers are bounded the way Kafka bounds them on the wire
   (offsets int64, partitions int32), so a huge number is refused instead of travelling on.
2. **The lines together** (:func:`validate`): ``index`` strictly rises and ``time_ms`` never falls
   along the file; a crashed process does nothing until it restarts; no ``(topic, key, value)`` is
   sent twice (a read must name its write); one group never declares two delivery guarantees.

Every problem raises :class:`HistoryFormatError` naming the line and the field, the value given
and what is allowed; nothing is half-read.  Blank lines are skipped.  If the last line is broken
and the file does not end with a newline, the message says the file may have been cut short.

Spec IDs: none directly; this is the input surface of the DELIV-n checks.

Simplified from Kafka: the format is glasskafka's own (Jepsen keeps EDN maps of invocations and
completions); one line is one completed operation, so an operation's start time is not recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from glasskafka.errors import GlassKafkaError
from glasskafka.history.model import (
    Assign,
    Commit,
    CommitMode,
    Committed,
    Crash,
    Datum,
    Delivery,
    History,
    Operation,
    Outcome,
    PartitionOffset,
    Poll,
    Process,
    Rebalance,
    RebalanceEvent,
    Record,
    Restart,
    Send,
    Subscribe,
)
from glasskafka.history.validate import HistoryFormatError, validate
from glasskafka.ids import Offset, PartitionId, TopicName, TopicPartition

__all__ = ["OPS", "HistoryFormatError", "parse_history", "parse_line", "read_history", "validate"]

E = TypeVar("E", bound=Enum)

INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)

# Kafka's topic name rule (Topic.java): legal characters, at most 249 of them, not "." or "..".
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


class _Fields:
    """One JSON object being read; remembers which fields were used, to refuse the rest."""

    def __init__(self, obj: dict[str, Any], line: int, prefix: str = "") -> None:
        self.obj = obj
        self.line = line
        self.prefix = prefix
        self.used: set[str] = set()

    def fail(self, name: str, message: str) -> HistoryFormatError:
        return HistoryFormatError(self.line, message, field=self.prefix + name)

    def raw(self, name: str, *, required: bool) -> Any:
        self.used.add(name)
        if name not in self.obj:
            if required:
                raise self.fail(name, "is missing")
            return None
        return self.obj[name]

    def integer(
        self, name: str, *, low: int = 0, high: int = INT64_MAX, required: bool = True
    ) -> int | None:
        value = self.raw(name, required=required)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"expected an integer from {low} to {high}, got {_show(value)}")
        if not low <= value <= high:
            raise self.fail(name, f"expected an integer from {low} to {high}, got {value}")
        return value

    def required_int(self, name: str, *, low: int = 0, high: int = INT64_MAX) -> int:
        value = self.integer(name, low=low, high=high)
        assert value is not None
        return value

    def string(self, name: str, *, required: bool = True) -> str | None:
        value = self.raw(name, required=required)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(name, f"expected a non-empty string, got {_show(value)}")
        return value

    def required_str(self, name: str) -> str:
        value = self.string(name)
        assert value is not None
        return value

    def topic(self, name: str = "topic") -> TopicName:
        value = self.raw(name, required=True)
        if not isinstance(value, str) or not _TOPIC.match(value) or value in {".", ".."}:
            raise self.fail(
                name, f"expected a Kafka topic name ([A-Za-z0-9._-], 1-249), got {_show(value)}"
            )
        return TopicName(value)

    def datum(self, name: str, *, nullable: bool) -> Datum | None:
        value = self.raw(name, required=not nullable)
        if value is None and nullable:
            return None
        if isinstance(value, str):
            return value
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and INT64_MIN <= value <= INT64_MAX
        ):
            return value
        allowed = "a string or an int64 integer" + (" or null" if nullable else "")
        raise self.fail(name, f"expected {allowed}, got {_show(value)}")

    def boolean(self, name: str) -> bool:
        value = self.raw(name, required=False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {_show(value)}")
        return value

    def choice(self, name: str, enum: type[E], *, default: E | None = None) -> E:
        value = self.raw(name, required=default is None)
        if value is None and default is not None:
            return default
        allowed = ", ".join(repr(member.value) for member in enum)
        for member in enum:
            if member.value == value:
                return member
        raise self.fail(name, f"expected one of {allowed}, got {_show(value)}")

    def items(self, name: str) -> list[_Fields]:
        value = self.raw(name, required=True)
        if not isinstance(value, list):
            raise self.fail(name, f"expected a list of objects, got {_show(value)}")
        found = []
        for position, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{name}[{position}]", f"expected an object, got {_show(item)}")
            found.append(_Fields(item, self.line, f"{self.prefix}{name}[{position}]."))
        return found

    def strings(self, name: str) -> list[str]:
        value = self.raw(name, required=True)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(name, f"expected a list of topic names, got {_show(value)}")
        return value

    def finish(self) -> None:
        extra = sorted(set(self.obj) - self.used)
        if extra:
            raise self.fail(
                extra[0], f"is not a field here; allowed: {', '.join(sorted(self.used))}"
            )


def _show(value: Any) -> str:
    """``value`` as JSON, cut to a readable length (a value nested too deeply to print is named)."""
    try:
        text = json.dumps(value)
    except (RecursionError, ValueError):
        return f"a deeply nested {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def _header(f: _Fields) -> dict[str, Any]:
    index = f.integer("index", required=False)
    time_ms = f.integer("time_ms", required=False)
    if index is None and time_ms is None:
        raise HistoryFormatError(f.line, "a line needs 'index' or 'time_ms' (or both)")
    return {
        "process": f.required_int("process"),
        "client": f.required_str("client"),
        "index": index,
        "time_ms": time_ms,
    }


def _record(f: _Fields) -> Record:
    record = Record(
        topic=f.topic(),
        partition=PartitionId(f.required_int("partition", high=INT32_MAX)),
        offset=Offset(f.required_int("offset")),
        key=f.datum("key", nullable=True),
        value=_value(f),
    )
    f.finish()
    return record


def _value(f: _Fields) -> Datum:
    value = f.datum("value", nullable=False)
    assert value is not None
    return value


def _partition_offset(f: _Fields) -> PartitionOffset:
    item = PartitionOffset(
        topic=f.topic(),
        partition=PartitionId(f.required_int("partition", high=INT32_MAX)),
        offset=Offset(f.required_int("offset")),
    )
    f.finish()
    return item


def _topic_partition(f: _Fields) -> TopicPartition:
    item = (f.topic(), PartitionId(f.required_int("partition", high=INT32_MAX)))
    f.finish()
    return item


def _send(f: _Fields) -> Send:
    outcome = f.choice("outcome", Outcome)
    partition = f.integer("partition", high=INT32_MAX, required=outcome is Outcome.OK)
    offset = f.integer("offset", required=outcome is Outcome.OK)
    return Send(
        **_header(f),
        topic=f.topic(),
        partition=None if partition is None else PartitionId(partition),
        key=f.datum("key", nullable=True),
        value=_value(f),
        outcome=outcome,
        offset=None if offset is None else Offset(offset),
        error=f.string("error", required=False),
    )


def _poll(f: _Fields) -> Poll:
    return Poll(
        **_header(f),
        outcome=f.choice("outcome", Outcome),
        records=tuple(_record(item) for item in f.items("records")),
        error=f.string("error", required=False),
    )


def _process(f: _Fields) -> Process:
    return Process(**_header(f), records=tuple(_record(item) for item in f.items("records")))


def _commit(f: _Fields) -> Commit:
    return Commit(
        **_header(f),
        group=f.required_str("group"),
        mode=f.choice("mode", CommitMode),
        offsets=tuple(_partition_offset(item) for item in f.items("offsets")),
        outcome=f.choice("outcome", Outcome),
        error=f.string("error", required=False),
    )


def _committed(f: _Fields) -> Committed:
    return Committed(
        **_header(f),
        group=f.required_str("group"),
        offsets=tuple(_partition_offset(item) for item in f.items("offsets")),
    )


def _assign(f: _Fields) -> Assign:
    return Assign(
        **_header(f),
        partitions=tuple(_topic_partition(item) for item in f.items("partitions")),
        outcome=f.choice("outcome", Outcome),
        seek_to_beginning=f.boolean("seek_to_beginning"),
    )


def _subscribe(f: _Fields) -> Subscribe:
    topics = f.strings("topics")
    for position, name in enumerate(topics):
        if not _TOPIC.match(name) or name in {".", ".."}:
            raise f.fail(f"topics[{position}]", f"expected a Kafka topic name, got {_show(name)}")
    return Subscribe(
        **_header(f),
        group=f.required_str("group"),
        topics=tuple(TopicName(name) for name in topics),
        outcome=f.choice("outcome", Outcome),
        delivery=f.choice("delivery", Delivery, default=Delivery.AT_LEAST_ONCE),
    )


def _rebalance(f: _Fields) -> Rebalance:
    return Rebalance(
        **_header(f),
        group=f.required_str("group"),
        event=f.choice("event", RebalanceEvent),
        partitions=tuple(_topic_partition(item) for item in f.items("partitions")),
        generation=f.integer("generation", high=INT32_MAX, required=False),
    )


OPS: dict[str, Callable[[_Fields], Operation]] = {
    "send": _send,
    "poll": _poll,
    "process": _process,
    "commit": _commit,
    "committed": _committed,
    "assign": _assign,
    "subscribe": _subscribe,
    "rebalance": _rebalance,
    "crash": lambda f: Crash(**_header(f)),
    "restart": lambda f: Restart(**_header(f)),
}
"""The operation kinds, by the ``op`` field's value."""


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for name, value in pairs:
        if name in obj:
            raise ValueError(f"field {name!r} appears twice in one object")
        obj[name] = value
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_line(text: str, line: int) -> Operation:
    """Parse one line of a history file; raise :class:`HistoryFormatError` if it is malformed."""
    try:
        obj = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except RecursionError:
        raise HistoryFormatError(line, "JSON nested too deeply") from None
    except json.JSONDecodeError as error:
        raise HistoryFormatError(
            line, f"not valid JSON: {error.msg} at column {error.colno}"
        ) from None
    except ValueError as error:  # duplicate fields, NaN, an integer of too many digits
        raise HistoryFormatError(line, f"not valid JSON: {error}") from None
    if not isinstance(obj, dict):
        raise HistoryFormatError(line, f"expected a JSON object, got {_show(obj)}")
    fields = _Fields(obj, line)
    kind = fields.raw("op", required=True)
    reader = OPS.get(kind) if isinstance(kind, str) else None
    if reader is None:
        raise fields.fail("op", f"unknown operation {_show(kind)}; known: {', '.join(OPS)}")
    operation = reader(fields)
    fields.finish()
    return operation


def parse_history(data: bytes | str) -> History:
    """Parse a whole history file (JSON lines); raise :class:`HistoryFormatError` on any fault.

    An empty file gives an empty history (which the checker calls ``unknown``).
    """
    # A str with lone surrogates keeps them as bytes, so the line reports them as not UTF-8.
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    chunks = raw.split(b"\n")
    cut_short = not raw.endswith(b"\n")
    operations: list[Operation] = []
    lines: list[int] = []
    for number, chunk in enumerate(chunks, start=1):
        try:
            text = chunk.decode("utf-8").removesuffix("\r")
        except UnicodeDecodeError as error:
            bad = f"byte 0x{chunk[error.start]:02x}, the line's byte {error.start + 1}"
            raise HistoryFormatError(number, f"not UTF-8 text ({bad})") from None
        if not text.strip():
            continue
        try:
            operations.append(parse_line(text, number))
        except HistoryFormatError as error:
            if cut_short and number == len(chunks):
                cut = error.noting("the file does not end with a newline: was it cut short?")
                raise cut from None
            raise
        lines.append(number)
    history = History(operations=tuple(operations), lines=tuple(lines))
    validate(history)
    return history


def read_history(path: str | Path) -> History:
    """Read and parse the history file at ``path`` (errors name the file)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise GlassKafkaError(f"cannot read history file {str(path)!r}: {reason}") from None
    try:
        return parse_history(data)
    except HistoryFormatError as error:
        raise error.in_file(str(path)) from None
