"""Writing a history: typed operations out as JSON lines that ``parse.py`` reads back.

Theory of operation
-------------------
:func:`format_operation` turns one operation into one line: a compact JSON object whose fields
come in a fixed order (``op``, the header, then the operation's own fields), with optional fields
left out when they are unset.  Keys that are ``None`` are written as ``null`` because a record's
key is part of its identity.  Parsing a formatted line gives back an equal operation, which
``reference/tests/test_history_format.py`` checks for every kind with Hypothesis.

:func:`format_history` formats a whole :class:`~glasskafka.history.model.History`;
``recorder.py`` builds on these to record a running client.

Spec IDs: none; the format is the input of the DELIV-n checks.

Simplified from Kafka: nothing; the format is glasskafka's own.
"""

from __future__ import annotations

import json
from typing import Any, assert_never

from glasskafka.history.model import (
    Assign,
    Commit,
    Committed,
    Crash,
    History,
    Operation,
    PartitionOffset,
    Poll,
    Process,
    Rebalance,
    Record,
    Restart,
    Send,
    Subscribe,
)
from glasskafka.ids import TopicPartition

__all__ = ["format_history", "format_operation", "operation_fields"]


def format_operation(op: Operation) -> str:
    """One history line for ``op`` (without the newline)."""
    return json.dumps(operation_fields(op), separators=(",", ":"), ensure_ascii=False)


def format_history(history: History) -> str:
    """Every operation of ``history`` as JSON lines, each ending in a newline."""
    return "".join(format_operation(op) + "\n" for op in history.operations)


def operation_fields(op: Operation) -> dict[str, Any]:
    """The JSON object for ``op``, fields in the order the format documents them."""
    fields: dict[str, Any] = {"op": _kind(op), "process": op.process, "client": op.client}
    _put(fields, "index", op.index)
    _put(fields, "time_ms", op.time_ms)
    match op:
        case Send():
            fields |= {"topic": op.topic}
            _put(fields, "partition", op.partition)
            fields |= {"key": op.key, "value": op.value, "outcome": op.outcome.value}
            _put(fields, "offset", op.offset)
            _put(fields, "error", op.error)
        case Poll():
            fields |= {"outcome": op.outcome.value, "records": [_record(r) for r in op.records]}
            _put(fields, "error", op.error)
        case Process():
            fields |= {"records": [_record(r) for r in op.records]}
        case Commit():
            fields |= {
                "group": op.group,
                "mode": op.mode.value,
                "offsets": [_offset(o) for o in op.offsets],
                "outcome": op.outcome.value,
            }
            _put(fields, "error", op.error)
        case Committed():
            fields |= {"group": op.group, "offsets": [_offset(o) for o in op.offsets]}
        case Assign():
            fields |= {
                "partitions": [_partition(tp) for tp in op.partitions],
                "outcome": op.outcome.value,
            }
            if op.seek_to_beginning:
                fields["seek_to_beginning"] = True
        case Subscribe():
            fields |= {
                "group": op.group,
                "topics": list(op.topics),
                "outcome": op.outcome.value,
                "delivery": op.delivery.value,
            }
        case Rebalance():
            fields |= {
                "group": op.group,
                "event": op.event.value,
                "partitions": [_partition(tp) for tp in op.partitions],
            }
            _put(fields, "generation", op.generation)
        case Crash() | Restart():
            pass
        case _:
            assert_never(op)
    return fields


def _kind(op: Operation) -> str:
    match op:
        case Send():
            return "send"
        case Poll():
            return "poll"
        case Process():
            return "process"
        case Commit():
            return "commit"
        case Committed():
            return "committed"
        case Assign():
            return "assign"
        case Subscribe():
            return "subscribe"
        case Rebalance():
            return "rebalance"
        case Crash():
            return "crash"
        case Restart():
            return "restart"
        case _:
            assert_never(op)


def _put(fields: dict[str, Any], name: str, value: object) -> None:
    if value is not None:
        fields[name] = value


def _record(record: Record) -> dict[str, Any]:
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": record.key,
        "value": record.value,
    }


def _offset(item: PartitionOffset) -> dict[str, Any]:
    return {"topic": item.topic, "partition": item.partition, "offset": item.offset}


def _partition(tp: TopicPartition) -> dict[str, Any]:
    return {"topic": tp[0], "partition": tp[1]}
