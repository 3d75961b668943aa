"""The trace: everything that happened in a simulation, as plain data that reads as a story.

Theory of operation
-------------------
Every send, delivery, drop, timer, loss notice, API call, crash, restart, partition and heal is
recorded as one frozen dataclass carrying the simulated time and the node ids involved.  The
trace serves four readers:

* **specs** -- ``specs/sim.py`` checks SIM-1..5 from the trace alone, so the checks do not trust
  the simulator's own bookkeeping;
* **observers** -- hooks called with every event as it is recorded.  They keep *ghost state*
  (what was acknowledged, what was consumed) apart from the nodes, so a node cannot bend the check
  of itself (DESIGN §4);
* **people** -- :func:`story` prints one line per event, with the time and the node first, so a
  failing run reads as a story (STYLE rule 13, after TigerBeetle's simulator logs);
* **pictures** -- ``glasskafka.viz.sequence`` draws the trace as a sequence diagram.

Messages are named by their sequence number (``#17``), which the network gives each message when
it is sent; :class:`Sent`, :class:`Delivered` and :class:`Dropped` carry it, so a spec can follow
one message from send to delivery.  Two runs with the same seed and inputs record equal traces.

Spec IDs: SIM-1..5 are predicates over this trace (``specs/sim.py``).

Simplified from Kafka: Kafka's brokers log to log4j files, one per process, with wall-clock times
that differ between machines; here there is one trace with one clock.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import assert_never

from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message
from glasskafka.sim.faults import DiskFault, DiskImage
from glasskafka.sim.network import DropReason

__all__ = [
    "Called",
    "ConnectionLost",
    "Crashed",
    "Delivered",
    "Dropped",
    "Healed",
    "Observer",
    "Partitioned",
    "Restarted",
    "Sent",
    "Started",
    "TimerFired",
    "Trace",
    "TraceEvent",
    "describe",
    "story",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Started:
    """Node ``node_id`` was added to the simulation and started."""

    time_ms: Millis
    node_id: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class Sent:
    """``sender`` handed message ``sequence`` to the network for ``receiver``."""

    time_ms: Millis
    sender: NodeId
    receiver: NodeId
    sequence: int
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivered:
    """Message ``sequence`` reached ``receiver`` (after the optional transform)."""

    time_ms: Millis
    sender: NodeId
    receiver: NodeId
    sequence: int
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class Dropped:
    """The network dropped message ``sequence`` for ``reason``."""

    time_ms: Millis
    sender: NodeId
    receiver: NodeId
    sequence: int
    message: Message
    reason: DropReason


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLost:
    """``node_id`` was told (``on_connection_lost``) that its connection to ``peer`` broke."""

    time_ms: Millis
    node_id: NodeId
    peer: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    """Timer ``name`` of ``node_id`` fired (``on_timer``)."""

    time_ms: Millis
    node_id: NodeId
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Called:
    """The test called API method ``label`` of ``node_id`` (a client's ``send``, ``poll``...)."""

    time_ms: Millis
    node_id: NodeId
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Crashed:
    """``node_id`` crashed; its disk went from ``disk_before`` to ``disk_after`` (SIM-5)."""

    time_ms: Millis
    node_id: NodeId
    disk: DiskFault
    disk_before: DiskImage
    disk_after: DiskImage


@dataclass(frozen=True, slots=True, kw_only=True)
class Restarted:
    """``node_id`` was rebuilt on its surviving disk; ``incarnation`` counts its restarts."""

    time_ms: Millis
    node_id: NodeId
    incarnation: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Partitioned:
    """The network was split into ``groups`` (every node then known is in exactly one)."""

    time_ms: Millis
    groups: tuple[tuple[NodeId, ...], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Healed:
    """The partition was removed."""

    time_ms: Millis


TraceEvent = (
    Started
    | Sent
    | Delivered
    | Dropped
    | ConnectionLost
    | TimerFired
    | Called
    | Crashed
    | Restarted
    | Partitioned
    | Healed
)
"""One line of the story."""

Observer = Callable[[TraceEvent], None]
"""A hook called with every event as it is recorded (for ghost state and pictures)."""


@dataclass(slots=True)
class Trace:
    """The list of events of one simulation, and the observers told of each new one.

    An observer that keeps ghost state should be a bound method of an object holding that state,
    so that ``copy.deepcopy`` of the simulation copies the state with it.
    """

    events: list[TraceEvent] = field(default_factory=list)
    observers: list[Observer] = field(default_factory=list)

    def __deepcopy__(self, memo: dict[int, object]) -> Trace:
        """Copy the list but share the events: they are frozen, and messages never change.

        A simulation is deep-copied often (snapshots, SIM-4's look-ahead); copying every event
        and message of a long trace would dominate the cost.  Observers are copied, because they
        hold ghost state that must follow the copy.
        """
        return Trace(events=list(self.events), observers=copy.deepcopy(self.observers, memo))

    def record(self, event: TraceEvent) -> None:
        """Append ``event`` and tell every observer, in the order they were added."""
        self.events.append(event)
        for observer in self.observers:
            observer(event)

    def story(self, start: int = 0, end: int | None = None) -> str:
        """Events ``start`` to ``end`` as text, one line each (see :func:`story`)."""
        return story(self.events[start:end])


_NETWORK = "network"
_MESSAGE_WIDTH = 100


def _short(message: Message) -> str:
    text = repr(message)
    return text if len(text) <= _MESSAGE_WIDTH else text[: _MESSAGE_WIDTH - 3] + "..."


def describe(event: TraceEvent) -> tuple[str, str]:
    """The node an event concerns (or ``"network"``) and what happened, in words."""
    match event:
        case Started(node_id=node_id):
            return node_id, "starts"
        case Sent(sender=sender, receiver=receiver, sequence=sequence, message=message):
            return sender, f"sends #{sequence} to {receiver}: {_short(message)}"
        case Delivered(sender=sender, receiver=receiver, sequence=sequence, message=message):
            return receiver, f"receives #{sequence} from {sender}: {_short(message)}"
        case Dropped(sender=sender, receiver=receiver, sequence=sequence, reason=reason):
            return _NETWORK, f"drops #{sequence} {sender} -> {receiver} ({reason.value})"
        case ConnectionLost(node_id=node_id, peer=peer):
            return node_id, f"is told its connection to {peer} broke"
        case TimerFired(node_id=node_id, name=name):
            return node_id, f"timer {name!r} fires"
        case Called(node_id=node_id, label=label):
            return node_id, f"is called: {label}"
        case Crashed(node_id=node_id, disk=disk, disk_before=before, disk_after=after):
            lost = _bytes_of(before) - _bytes_of(after)
            return node_id, f"crashes (disk={disk.value}; {lost} bytes lost)"
        case Restarted(node_id=node_id, incarnation=incarnation):
            return node_id, f"restarts on its surviving disk (incarnation {incarnation})"
        case Partitioned(groups=groups):
            sides = " | ".join("{" + ", ".join(group) + "}" for group in groups)
            return _NETWORK, f"partition: {sides}"
        case Healed():
            return _NETWORK, "heals the partition"
        case _:
            assert_never(event)


def _bytes_of(image: DiskImage) -> int:
    return sum(len(file.current) for file in image)


def story(events: Iterable[TraceEvent]) -> str:
    """The events as lines ``"<time> ms  <node>  <what happened>"``, ready to print."""
    lines = []
    for event in events:
        who, what = describe(event)
        lines.append(f"{event.time_ms:>8} ms  {who:<12} {what}")
    return "\n".join(lines)
