"""Recording a history while an application runs: one call per completed operation.

Theory of operation
-------------------
A :class:`HistoryRecorder` wraps a text stream.  The application (or a test harness around any
Kafka client: kafka-python, confluent-kafka, glasskafka's own simulated clients) builds each
completed operation as a value from ``model.py`` and passes it to :meth:`HistoryRecorder.write`.
The recorder stamps the next ``index`` (and ``time_ms`` from the clock it was given), writes the
line with ``write.py`` and flushes, so a crash of the recording program loses at most the line it
was writing, and ``parse.py`` reports that torn last line clearly.

The recorder is the single writer of one history: every process of the test writes through it,
from one thread, so indices rise along the file as the format requires.  The clock is passed in
(a function returning integer milliseconds), never read from the system here: a simulator passes
its virtual clock, a real harness passes ``lambda: time.monotonic_ns() // 1_000_000``.

Spec IDs: none; it produces the input of the DELIV-n checks.

Simplified from Kafka: nothing; Kafka clients record nothing of this kind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TextIO

from glasskafka.history.model import Operation
from glasskafka.history.write import format_operation

__all__ = ["HistoryRecorder"]


class HistoryRecorder:
    """Writes operations to ``stream`` as history lines, numbering them from ``first_index``."""

    def __init__(
        self, stream: TextIO, *, clock: Callable[[], int] | None = None, first_index: int = 0
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._next_index = first_index

    @property
    def next_index(self) -> int:
        """The index the next written operation will carry."""
        return self._next_index

    def write(self, op: Operation) -> Operation:
        """Stamp ``op`` with the next index (and the clock's time), write it, and return it.

        An index or time already on ``op`` is replaced: the recorder owns the history's order.
        """
        time_ms = self._clock() if self._clock is not None else None
        stamped = dataclasses.replace(op, index=self._next_index, time_ms=time_ms)
        self._next_index += 1
        self._stream.write(format_operation(stamped) + "\n")
        self._stream.flush()
        return stamped
