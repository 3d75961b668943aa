"""The event queue: everything the simulation will do next, in a deterministic order.

Theory of operation
-------------------
A simulation is a loop that takes the earliest scheduled event and performs it.  Three kinds of
event exist, each a small immutable tuple:

* :class:`Arrival` -- the message at the head of the connection ``sender -> receiver`` arrives;
* :class:`TimerDue` -- the timer ``name`` that node ``node_id`` set is due;
* :class:`LossNotice` -- node ``node_id`` learns that its connection to ``peer`` broke.

The queue is a binary heap (``heapq``) of entries ``(at_ms, sequence, event)``.  ``sequence``
comes from one counter that only grows, so no two entries compare equal on ``(at_ms,
sequence)``: two events due in the same millisecond happen in the order they were scheduled, the
heap never compares the events themselves, and a run is the same on every machine (DESIGN §7).

The sequence number is also the event's identity.  Cancelling a timer, breaking a connection or
crashing a node does not search the heap; it forgets the sequence number in the owner's table,
and when the stale entry reaches the top, the simulator sees that its owner no longer expects it
and skips it.  This "lazy deletion" keeps scheduling O(log n) (``heapq`` documentation, "Priority
Queue Implementation Notes").  A message's sequence number is the one of its :class:`Arrival`, so
the trace names each message by it (``#17``) and the specs follow a message from send to delivery.

Spec IDs: SIM-1 and SIM-2 rest on it: one entry per message, performed once, in order.

Simplified from Kafka: Kafka's brokers have many threads and real I/O, so the order of events is
whatever the machine does; here it is one total order, chosen by time, then by sequence.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import NamedTuple

from glasskafka.ids import Millis, NodeId

__all__ = ["Arrival", "Entry", "Event", "EventQueue", "LossNotice", "TimerDue"]


class Arrival(NamedTuple):
    """The head of the connection ``sender -> receiver`` is due to arrive."""

    sender: NodeId
    receiver: NodeId


class TimerDue(NamedTuple):
    """Timer ``name`` of node ``node_id`` is due."""

    node_id: NodeId
    name: str


class LossNotice(NamedTuple):
    """Node ``node_id`` is due to learn that its connection to ``peer`` broke."""

    node_id: NodeId
    peer: NodeId


Event = Arrival | TimerDue | LossNotice
"""Something the simulation has scheduled."""

Entry = tuple[int, int, Event]
"""A heap entry: ``(at_ms, sequence, event)``."""


@dataclass(slots=True)
class EventQueue:
    """A heap of scheduled events, ordered by time and then by sequence number."""

    heap: list[Entry] = field(default_factory=list)
    last_sequence: int = 0

    def __len__(self) -> int:
        """Entries in the heap, including stale ones not yet skipped."""
        return len(self.heap)

    def new_sequence(self) -> int:
        """A fresh sequence number, larger than every earlier one."""
        self.last_sequence += 1
        return self.last_sequence

    def schedule(self, at_ms: int, event: Event) -> int:
        """Schedule ``event`` at ``at_ms`` and return its sequence number (its identity)."""
        self.last_sequence += 1
        heapq.heappush(self.heap, (at_ms, self.last_sequence, event))
        return self.last_sequence

    def pop_due(self, until_ms: int) -> Entry | None:
        """Remove and return the earliest entry if it is due at or before ``until_ms``.

        Returns ``None`` (and removes nothing) when the heap is empty or the earliest entry is
        later.  The entry may be stale; the caller checks with the event's owner.
        """
        heap = self.heap
        if heap and heap[0][0] <= until_ms:
            return heapq.heappop(heap)
        return None

    def next_at_ms(self) -> Millis | None:
        """Time of the earliest entry (perhaps a stale one), or ``None`` if the heap is empty."""
        return Millis(self.heap[0][0]) if self.heap else None
