"""The runtime's clock: the event loop's monotonic time, as the integer milliseconds nodes use.

Theory of operation
-------------------
A node never reads a clock (DESIGN §3); its driver passes ``now_ms`` in with every input.  In the
simulator that is virtual time.  Here it is real time, read from the event loop's monotonic clock
(``loop.time()``, which never jumps when the wall clock is set), and anchored once, at start, to the
wall clock, so that the numbers a node sees are milliseconds since the Unix epoch.  The anchor
matters: record timestamps written by real clients (``CreateTime``), time-based retention and the
``ctime`` a ``zk-shell`` prints are all wall-clock milliseconds, and must be comparable with the
node's ``now_ms``.

Two promises, both checked in ``reference/tests/test_runtime_host.py``:

* ``now_ms`` never goes backwards, even where a float rounds down;
* a timer set for ``at_ms`` is delivered with ``now_ms >= at_ms``.  The event loop may wake a
  fraction of a millisecond early; :meth:`RuntimeClock.reached` moves the clock up to the
  timer's due time, so a node that re-arms "at the deadline" is not woken again and again.

Spec IDs: none.

Simplified from Kafka: Kafka's ``Time.SYSTEM`` reads ``System.currentTimeMillis()`` for record
timestamps and ``System.nanoTime()`` for timeouts; glasskafka keeps one clock for both, so a
wall-clock step while a node runs does not move its idea of time.
"""

from __future__ import annotations

import asyncio
import time

from glasskafka.ids import Millis

__all__ = ["RuntimeClock"]


class RuntimeClock:
    """Monotonic milliseconds since the Unix epoch, for one event loop."""

    __slots__ = ("_anchor_loop_s", "_anchor_ms", "_last_ms", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, *, anchor_ms: int | None = None) -> None:
        """Anchor the loop's clock to the wall clock now (or to ``anchor_ms``, for tests)."""
        self._loop = loop
        self._anchor_loop_s = loop.time()
        self._anchor_ms = int(time.time() * 1000) if anchor_ms is None else anchor_ms
        self._last_ms = self._anchor_ms

    def now_ms(self) -> Millis:
        """The current time; never less than any time returned or reached before."""
        elapsed_ms = int((self._loop.time() - self._anchor_loop_s) * 1000)
        self._last_ms = max(self._last_ms, self._anchor_ms + elapsed_ms)
        return Millis(self._last_ms)

    def reached(self, at_ms: Millis) -> Millis:
        """A timer due at ``at_ms`` fired: the time is now at least ``at_ms``."""
        self._last_ms = max(self._last_ms, at_ms)
        return self.now_ms()

    def loop_time(self, at_ms: Millis) -> float:
        """The event-loop time at which the clock will read ``at_ms`` (for ``loop.call_at``)."""
        return self._anchor_loop_s + (at_ms - self._anchor_ms) / 1000
