"""The simulator's virtual clock: an integer of milliseconds that only moves forward.

Theory of operation
-------------------
Nodes never read a clock (DESIGN §3); the driver passes ``now_ms`` with every input.  In the
simulator that value comes from this :class:`Clock`.  It starts at 0 and moves only when the
simulator performs an event scheduled later than the current time, when a run reaches its
deadline, or when the caller advances it on purpose (the controlled mode's "advance time").
It never moves backwards: an event that was due earlier than ``now_ms`` (because time was
advanced past it) happens late, at ``now_ms``, as a late timer or a slow packet would on a real
machine.

Because time is a plain integer owned by the simulation, a run with the same seed and the same
inputs sees exactly the same times, and a ``copy.deepcopy`` of a simulation carries its clock.

Spec IDs: none (time only moves forward; DESIGN §7).

Simplified from Kafka: a real broker reads ``System.currentTimeMillis`` and ``nanoTime`` (through
Kafka's ``Time`` interface, which Kafka's own tests replace with ``MockTime``); glasskafka has only
one clock per simulation, so every node sees the same time, with no clock skew between machines.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis

__all__ = ["Clock"]

_START_MS = Millis(0)


@dataclass(slots=True)
class Clock:
    """Simulated time in milliseconds since the simulation began."""

    now_ms: Millis = _START_MS

    def advance_to(self, at_ms: int) -> None:
        """Move time forward to ``at_ms``; an earlier ``at_ms`` leaves the clock where it is."""
        if at_ms > self.now_ms:
            self.now_ms = Millis(at_ms)

    def advance_by(self, duration_ms: int) -> None:
        """Move time forward by ``duration_ms`` (zero or more).

        Raises :class:`~glasskafka.errors.GlassKafkaError` for a negative duration, because
        simulated time never runs backwards.
        """
        if not isinstance(duration_ms, int) or duration_ms < 0:
            raise GlassKafkaError(
                f"cannot advance the clock by duration_ms={duration_ms!r}: "
                "it must be an integer of zero or more milliseconds"
            )
        self.now_ms = Millis(self.now_ms + duration_ms)
