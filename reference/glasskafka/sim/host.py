"""A host: one node's place in the simulation -- its factory, its disk, its timers, its life.

Theory of operation
-------------------
A node object lives only as long as its process.  The :class:`Host` outlives it: it keeps the
node's name, the factory that builds it, its :class:`~glasskafka.storage.SimDisk` and its
incarnation count.  Starting a node calls the factory with the surviving disk and a fresh
``random.Random``; crashing it throws the node object away together with its timers, exactly as a
killed process loses its memory.  What the node had written to disk is all that is left, and the
crash's disk fault (``glasskafka.sim.faults``) decides how much of that survives.

Timers live here, not in the node: a node asks for them with ``SetTimer``/``CancelTimer``
outputs (``glasskafka.node``).  :attr:`Host.timers` maps a timer's name to its due time and the
sequence number of its :class:`~glasskafka.sim.events.TimerDue` entry in the event queue.
Setting a name again replaces the entry, cancelling forgets it, and a crash forgets them all, so
an entry left in the queue is recognised as stale and skipped when it comes up.

Spec IDs: none (a crash discards the node and its timers; its disk is SIM-5's concern).

Simplified from Kafka: a Kafka broker is a JVM with many threads and its own timer wheel
(``SystemTimer``, ``TimingWheel``); here a node's timers are a dict of names.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Node
from glasskafka.storage import SimDisk

__all__ = ["Host", "NodeFactory", "Timer"]

NodeFactory = Callable[[NodeId, SimDisk, random.Random], Node]
"""Builds a node from its id, its (surviving) disk and its random stream."""


class Timer(NamedTuple):
    """A set timer: when it is due and the sequence number of its queue entry."""

    at_ms: Millis
    sequence: int


@dataclass(slots=True)
class Host:
    """The place where node ``node_id`` runs, crashes and restarts."""

    node_id: NodeId
    factory: NodeFactory
    disk: SimDisk
    node: Node | None = None
    incarnation: int = 0
    timers: dict[str, Timer] = field(default_factory=dict)

    def boot(self, rng: random.Random) -> Node:
        """Build a fresh node on the disk and return it (the caller runs ``on_start``).

        Raises :class:`~glasskafka.errors.GlassKafkaError` if the factory builds a node whose
        ``node_id`` is not this host's, because messages would then be misaddressed.
        """
        node = self.factory(self.node_id, self.disk, rng)
        if getattr(node, "node_id", None) != self.node_id:
            raise GlassKafkaError(
                f"the factory for node {self.node_id!r} built a node with "
                f"node_id={getattr(node, 'node_id', None)!r}; it must be {self.node_id!r}"
            )
        self.node = node
        return node

    def halt(self) -> None:
        """Throw the node away with its timers (a crash).  The disk is left to the caller."""
        self.node = None
        self.timers.clear()
