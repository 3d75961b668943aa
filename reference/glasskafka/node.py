"""The node contract: how every glasskafka node talks to whoever drives it.

Theory of operation
-------------------
Every node -- the coordination service, a broker (with its controller and group-coordinator
roles), a producer, a consumer, an admin client -- is a deterministic state machine that does no
I/O of its own (DESIGN §3; the shape follows python-hyper/h11 and etcd-io/raft's ``Ready``).

* **Inputs** arrive through three methods: :meth:`Node.on_message` (a message from a peer),
  :meth:`Node.on_timer` (a timer the node set has fired) and :meth:`Node.on_connection_lost`
  (the connection to a peer broke: TCP tells both ends).  Client nodes also have API methods
  (``send``, ``poll``...) that are inputs of the same kind.  :meth:`Node.on_start` runs once when
  the node starts and again after every restart, with a fresh object built on the surviving disk.
* **Outputs** are returned, never performed: :class:`Send` a message to a peer, :class:`SetTimer`
  or :class:`CancelTimer`.  The driver (``glasskafka.sim`` or ``glasskafka.runtime``) carries them
  out.  So the same node code runs in virtual time under Hypothesis and on real sockets.
* **Time** is an integer number of milliseconds passed in with every input.  A node never reads a
  clock.  **Randomness** comes from the ``random.Random`` given at construction.
* **One input at a time**, run to completion.  No threads inside a node.

Messages are frozen, slotted, keyword-only dataclasses deriving from :class:`Message`, one class
per kind, with Kafka's field names (STYLE rule 3).  Their ``repr`` is valid Python, so a failing
Hypothesis run prints a program that replays it.

Connections follow TCP, which Kafka relies on (DESIGN §3): messages between two nodes arrive in the
order sent and at most once; a network partition or a crash breaks the connection, drops what was
in flight and tells both ends through ``on_connection_lost``.  A node that wants an answer after a
broken connection must send again.

Spec IDs: none; SIM-n (``specs/sim.py``) check that the drivers keep this contract.

Simplified from Kafka: a real Kafka node multiplexes many TCP connections between the same pair
(one per listener, and the replica fetcher threads have their own); glasskafka keeps one logical
connection per ordered pair of nodes, which is enough for per-pair FIFO.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from glasskafka.ids import Millis, NodeId

__all__ = [
    "CancelTimer",
    "Message",
    "Node",
    "Output",
    "Send",
    "SetTimer",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Base class of every message that crosses the (simulated or real) network."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """Output: deliver ``message`` to node ``to`` over the connection from this node."""

    to: NodeId
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class SetTimer:
    """Output: call ``on_timer(name)`` at time ``at_ms``.  Setting a name again replaces it."""

    name: str
    at_ms: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTimer:
    """Output: forget the timer ``name`` if it is set (no error if it is not)."""

    name: str


Output = Send | SetTimer | CancelTimer
"""Everything a node can ask its driver to do."""


class Node(abc.ABC):
    """A deterministic, sans-IO state machine.

    Subclasses keep all state as plain data (dataclasses, dicts, lists, bytes) with no reference
    to their driver, so a simulated cluster can be copied, compared and hashed (DESIGN §7).
    """

    node_id: NodeId

    @abc.abstractmethod
    def on_start(self, now_ms: Millis) -> list[Output]:
        """Start (or restart after a crash) and return the first outputs, e.g. initial timers."""

    @abc.abstractmethod
    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        """Handle one message from ``sender``.  Bad requests are answered with Kafka error codes."""

    @abc.abstractmethod
    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        """Handle the timer ``name`` that this node set earlier."""

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        """The connection to ``peer`` broke; whatever was in flight either way is gone.

        The default does nothing; nodes that wait for answers override it to retry or give up.
        """
        del peer, now_ms
        return []

    def check_invariants(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Assert this node's local invariants (run after every input in the simulator).

        Raises ``AssertionError`` naming the spec ID on violation.  The default checks nothing.
        """
