"""What each client was doing when it ran each operation: assigned, subscribed, or neither.

Theory of operation
-------------------
Several checks need to know a process's consumer state at an operation, which the operation line
itself does not carry:

* the group checks count only polls and processing by a **member of the group in subscribe
  mode** (``reference/delivery-semantics.md`` §7: assign-mode and final-drain reads never count);
* ``poll-skip`` and ``nonmonotonic-poll`` are errors in assign mode and allowed in subscribe mode,
  where the group may move partitions at any time (§4);
* tracking of "where did this process last read partition p" restarts whenever the set of
  partitions changes.

The rules, from Kafka's consumer API and Jepsen's checker: ``assign`` and ``subscribe`` *replace*
the current set when they complete ``ok`` or ``unknown`` (an ``error`` changes nothing); a
``crash`` ends everything; a ``restart`` begins a fresh client that is neither assigned nor
subscribed.  :func:`sessions` computes the state in force for every operation, in one pass.

Spec IDs: DELIV-19, DELIV-20 (membership), DELIV-7 (which comparisons are errors).

Simplified from Kafka: a consumer may in fact commit offsets for a group while in assign mode;
such a consumer is not a *member*, and the group checks treat it so, as Kafka's coordinator does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from glasskafka.history.model import (
    Assign,
    Crash,
    Delivery,
    History,
    Outcome,
    Restart,
    Subscribe,
)

__all__ = ["Mode", "Session", "sessions"]


class Mode(enum.Enum):
    """How a process's consumer chose its partitions at some point of the history."""

    IDLE = "idle"
    ASSIGNED = "assigned"
    SUBSCRIBED = "subscribed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A process's consumer state: its mode, and its group and guarantee when subscribed."""

    mode: Mode
    group: str | None = None
    delivery: Delivery | None = None


IDLE = Session(mode=Mode.IDLE)


def sessions(history: History) -> tuple[Session, ...]:
    """The session in force for each operation of ``history``.

    For an ``assign`` or ``subscribe`` that took effect, that is the session it started; for a
    ``crash``, the session that just ended.
    """
    current: dict[int, Session] = {}
    found: list[Session] = []
    for op in history.operations:
        session = current.get(op.process, IDLE)
        match op:
            case Assign(outcome=outcome) if outcome is not Outcome.ERROR:
                session = Session(mode=Mode.ASSIGNED)
                current[op.process] = session
            case Subscribe(outcome=outcome) if outcome is not Outcome.ERROR:
                session = Session(mode=Mode.SUBSCRIBED, group=op.group, delivery=op.delivery)
                current[op.process] = session
            case Crash() | Restart():
                current[op.process] = IDLE
            case _:
                pass
        found.append(session)
    return tuple(found)
