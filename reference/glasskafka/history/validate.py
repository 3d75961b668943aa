"""The rules a whole history keeps, beyond each line being well formed.

Theory of operation
-------------------
``parse.py`` checks each line alone.  Some faults only show across lines, and each would make the
checker's answer meaningless rather than wrong in an obvious way, so they are refused as bad input
(exit status 2 from ``glasskafka check-history``), naming both lines involved:

* ``index`` strictly rises and ``time_ms`` never falls along the file: the file's order *is* the
  history's order, and the checker's per-process comparisons depend on it.
* A process that crashed does nothing until its ``restart``: a crash tears the client down.
* No ``(topic, key, value)`` is sent twice.  A read names its write only if writes are unique
  (Jepsen's generator guarantees the same; ``reference/delivery-semantics.md`` §1).  A second
  record with the same identity could not be told apart from a broker writing one twice.
* A group declares one delivery guarantee (``subscribe``'s ``delivery``) for the whole history.

Not enforced: that a process only processes records it polled itself.  A recorder may note the
processing of records it learnt of another way, and the group checks only need the fact.

Spec IDs: none directly; these are the preconditions the DELIV-n checks assume.

Simplified from Kafka: nothing to simplify; this is a property of the format, not of Kafka.
"""

from __future__ import annotations

from glasskafka.errors import GlassKafkaError
from glasskafka.history.model import Crash, Delivery, History, Restart, Send, Subscribe

__all__ = ["HistoryFormatError", "validate"]


class HistoryFormatError(GlassKafkaError):
    """A history that does not follow the format; ``line`` and ``field`` say where."""

    def __init__(
        self, line: int, detail: str, *, field: str | None = None, source: str | None = None
    ) -> None:
        self.line = line
        self.field = field
        self.detail = detail
        self.source = source
        where = f"line {line}" + (f", field {field!r}" if field else "")
        super().__init__(f"{source + ': ' if source else ''}{where}: {detail}")

    def noting(self, note: str) -> HistoryFormatError:
        """The same error with ``note`` added in parentheses."""
        return HistoryFormatError(
            self.line, f"{self.detail} ({note})", field=self.field, source=self.source
        )

    def in_file(self, source: str) -> HistoryFormatError:
        """The same error, naming the file it came from."""
        return HistoryFormatError(self.line, self.detail, field=self.field, source=source)


def validate(history: History) -> None:
    """Raise :class:`HistoryFormatError` if ``history`` breaks a rule that spans lines."""
    _check_order(history)
    _check_crashes(history)
    _check_unique_sends(history)
    _check_delivery_declarations(history)


def _check_order(history: History) -> None:
    last_index: tuple[int, int] | None = None  # (index, line)
    last_time: tuple[int, int] | None = None
    for position, op in enumerate(history.operations):
        line = history.line(position)
        if op.index is not None:
            if last_index is not None and op.index <= last_index[0]:
                raise HistoryFormatError(
                    line,
                    f"index {op.index} does not rise above {last_index[0]} (line {last_index[1]});"
                    " lines must be in history order",
                    field="index",
                )
            last_index = (op.index, line)
        if op.time_ms is not None:
            if last_time is not None and op.time_ms < last_time[0]:
                raise HistoryFormatError(
                    line,
                    f"time_ms {op.time_ms} is before {last_time[0]} (line {last_time[1]});"
                    " lines must be in history order",
                    field="time_ms",
                )
            last_time = (op.time_ms, line)


def _check_crashes(history: History) -> None:
    crashed_at: dict[int, int] = {}  # process -> line of its crash
    for position, op in enumerate(history.operations):
        line = history.line(position)
        if isinstance(op, Restart):
            crashed_at.pop(op.process, None)
        elif op.process in crashed_at:
            raise HistoryFormatError(
                line,
                f"process {op.process} crashed at line {crashed_at[op.process]} and has not"
                " restarted; a crashed client does nothing until a 'restart' line",
                field="process",
            )
        elif isinstance(op, Crash):
            crashed_at[op.process] = line


def _check_unique_sends(history: History) -> None:
    first_send: dict[tuple[str, object, object], int] = {}
    for position, op in enumerate(history.operations):
        if not isinstance(op, Send):
            continue
        line = history.line(position)
        identity = (op.topic, op.key, op.value)
        if identity in first_send:
            raise HistoryFormatError(
                line,
                f"topic {op.topic!r} key {op.key!r} value {op.value!r} was already sent at line"
                f" {first_send[identity]}; every sent value must be unique in its topic so that"
                " a read names its write",
                field="value",
            )
        first_send[identity] = line


def _check_delivery_declarations(history: History) -> None:
    declared: dict[str, tuple[Delivery, int]] = {}
    for position, op in enumerate(history.operations):
        if not isinstance(op, Subscribe):
            continue
        line = history.line(position)
        earlier = declared.setdefault(op.group, (op.delivery, line))
        if earlier[0] is not op.delivery:
            raise HistoryFormatError(
                line,
                f"group {op.group!r} is declared {op.delivery.value!r} here but"
                f" {earlier[0].value!r} at line {earlier[1]}; one group has one guarantee",
                field="delivery",
            )
