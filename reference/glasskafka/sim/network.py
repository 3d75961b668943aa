"""The simulated network: one TCP-like connection per ordered pair of nodes.

Theory of operation
-------------------
Kafka relies on TCP (DESIGN §3; Kafka's protocol guide, "Network": requests on one connection are
answered in the order they were sent).  So the simulated network gives exactly TCP's guarantees
and nothing more:

* **One connection per ordered pair.**  ``a -> b`` carries what ``a`` sends to ``b``; it is opened
  by ``a``'s first send.  What ``b`` answers travels on ``b -> a``.
* **FIFO, no duplication** (SIM-1, SIM-2).  Each connection is a queue.  A message gets a random
  delay within :class:`NetworkConfig`'s bounds, but never arrives before a message sent earlier
  on the same connection: its delivery time is at least that of the message ahead of it.
* **Partitions and crashes break connections** (SIM-3).  Breaking the pair ``{a, b}`` drops
  whatever was in flight either way and marks both live ends' connections *broken*.  Each live
  end then learns of it through a :class:`~glasskafka.sim.events.LossNotice`, which arrives after
  a network delay (a real TCP stack notices a dead peer through a reset or a timeout, not at
  once), and the simulator turns it into ``Node.on_connection_lost``.
* **Until told, a broken connection swallows sends.**  A node writing into a connection that
  broke, before it has been told, loses the message silently, as a write into a dead socket does.
  Once told, its next send opens a fresh connection.
* **News of a break comes before the new connection's first message.**  A message from ``a``
  reaching ``b`` while ``b`` has not been told that its connection to ``a`` broke can only have
  come on a fresh connection (``a`` restarted, or was told and reconnected).  In TCP that is a new
  socket, and ``b`` answers on it; so the simulator tells ``b`` of the old break first, then
  delivers the message, and ``b``'s answer goes out on a fresh connection.
* **Sending across a partition, or to a node that is down, fails**: the message is dropped and the
  connection is marked broken, so the sender is told as above.  The receiver hears nothing.
* **After a heal, delivery resumes** (SIM-4): a partition changes only which links are up; once a
  sender has been told of an old break, its next send goes through.

An established connection always has a working link, because every event that takes a link down
(a partition that separates the pair, a crash of either end) breaks the connection at once.  So
the hot path, :meth:`Network.send` on an established connection, checks nothing but the
connection itself.

The network schedules its own events on the simulation's :class:`~glasskafka.sim.events.EventQueue`
and gives back :class:`InFlight` records and :class:`DropReason` values; the simulator turns them
into trace lines and node inputs.  All of its state is plain data (DESIGN §7).

Spec IDs: SIM-1, SIM-2, SIM-3, SIM-4.

Simplified from Kafka: a Kafka client keeps one connection per broker for requests and responses
both; here the two directions are separate connections, which keeps per-pair FIFO exactly.  Real
TCP also has connection set-up time, slow start and buffer limits; only arbitrary delay is
modelled.  A separate chaos mode that drops, duplicates or reorders single packets would be
outside what Kafka assumes, so it is not offered.
"""

from __future__ import annotations

import enum
import random
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from glasskafka.errors import GlassKafkaError
from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.sim.events import Arrival, EventQueue, LossNotice

__all__ = ["Connection", "DropReason", "InFlight", "Network", "NetworkConfig", "partition_sides"]


class DropReason(enum.StrEnum):
    """Why the network dropped a message."""

    PARTITIONED = "partitioned"
    RECEIVER_DOWN = "receiver down"
    CONNECTION_BROKEN = "connection broken, sender not yet told"
    BROKEN_IN_FLIGHT = "in flight when the connection broke"

    def __repr__(self) -> str:
        return f"DropReason.{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkConfig:
    """Delay bounds of the simulated network, in milliseconds (both inclusive).

    ``min_delay_ms`` is at least 1 so that every exchange moves simulated time forward, and a
    run with a deadline always ends even if two nodes answer each other forever.
    """

    min_delay_ms: int = 1
    max_delay_ms: int = 10

    def __post_init__(self) -> None:
        for name in ("min_delay_ms", "max_delay_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise GlassKafkaError(f"{name}={value!r}: it must be an integer of 1 or more")
        if self.max_delay_ms < self.min_delay_ms:
            raise GlassKafkaError(
                f"max_delay_ms={self.max_delay_ms} is below min_delay_ms={self.min_delay_ms}; "
                "max_delay_ms must be at least min_delay_ms"
            )


class InFlight(NamedTuple):
    """A message on its way: its sequence number, its ends, and when it is due."""

    sequence: int
    sender: NodeId
    receiver: NodeId
    message: Message
    deliver_at_ms: int


@dataclass(slots=True)
class Connection:
    """The connection ``arrival.sender -> arrival.receiver``.

    ``notice_sequence`` is 0 while the connection works; once it breaks, it is the sequence number
    of the :class:`LossNotice` that will tell the sender, and the queue stays empty.
    """

    arrival: Arrival
    queue: deque[InFlight] = field(default_factory=deque)
    last_deliver_at_ms: int = 0
    notice_sequence: int = 0


@dataclass(slots=True)
class Network:
    """Connections, partitions and delays between the nodes of one simulation."""

    config: NetworkConfig
    rng: random.Random
    queue: EventQueue
    connections: dict[tuple[NodeId, NodeId], Connection] = field(default_factory=dict)
    running: set[NodeId] = field(default_factory=set)
    group_of: dict[NodeId, int] | None = None
    in_flight_count: int = 0
    untold_count: int = 0

    # -- sending and delivering ------------------------------------------------------------------

    def send(
        self, sender: NodeId, receiver: NodeId, message: Message, now_ms: int
    ) -> tuple[int, DropReason | None]:
        """Put ``message`` on the connection ``sender -> receiver``.

        Returns the message's sequence number and ``None`` if it is on its way, or the reason it
        was dropped.  A drop other than ``CONNECTION_BROKEN`` marks the connection broken, so a
        :class:`LossNotice` will tell the sender.  Invariants: SIM-1, SIM-3.
        """
        connection = self.connections.get((sender, receiver))
        if connection is None:
            refusal = self._refusal(sender, receiver)
            if refusal is not None:
                sequence = self.queue.new_sequence()
                self._mark_broken(sender, receiver, now_ms)
                return sequence, refusal
            connection = Connection(Arrival(sender, receiver))
            self.connections[(sender, receiver)] = connection
        elif connection.notice_sequence:
            return self.queue.new_sequence(), DropReason.CONNECTION_BROKEN
        deliver_at_ms = self._deliver_at_ms(connection, now_ms)
        sequence = self.queue.schedule(deliver_at_ms, connection.arrival)
        connection.queue.append(InFlight(sequence, sender, receiver, message, deliver_at_ms))
        self.in_flight_count += 1
        return sequence, None

    def _delay_ms(self) -> int:
        """A delay drawn uniformly from the configured bounds (both inclusive).

        ``rng.random()`` scaled is a few times cheaper than ``rng.randint``, and this runs once
        per message (see ``benchmarks/sim_throughput.py``).
        """
        low, high = self.config.min_delay_ms, self.config.max_delay_ms
        return low + int(self.rng.random() * (high - low + 1))

    def _deliver_at_ms(self, connection: Connection, now_ms: int) -> int:
        """A random delay, but never ahead of the message before it (TCP order, SIM-1)."""
        deliver_at_ms = now_ms + self._delay_ms()
        if deliver_at_ms < connection.last_deliver_at_ms:
            deliver_at_ms = connection.last_deliver_at_ms
        connection.last_deliver_at_ms = deliver_at_ms
        return deliver_at_ms

    def take(self, sender: NodeId, receiver: NodeId, sequence: int) -> InFlight | None:
        """Remove and return message ``sequence`` if it is the head of ``sender -> receiver``.

        Returns ``None`` if it is not (it was dropped when the connection broke).
        Invariants: SIM-1, SIM-2.
        """
        connection = self.connections.get((sender, receiver))
        if connection is None or not connection.queue or connection.queue[0].sequence != sequence:
            return None
        self.in_flight_count -= 1
        return connection.queue.popleft()

    def take_notice(self, node_id: NodeId, peer: NodeId, sequence: int) -> bool:
        """Whether notice ``sequence`` still has news for ``node_id``; if so, forget the break.

        The connection is removed, so ``node_id``'s next send to ``peer`` opens a new one.
        """
        connection = self.connections.get((node_id, peer))
        if connection is None or connection.notice_sequence != sequence or sequence == 0:
            return False
        del self.connections[(node_id, peer)]
        self.untold_count -= 1
        return True

    def untold_notice(self, node_id: NodeId, peer: NodeId) -> int:
        """The sequence of the notice still owed to ``node_id`` about ``peer`` (0: none)."""
        connection = self.connections.get((node_id, peer))
        return connection.notice_sequence if connection is not None else 0

    def deliverable(self) -> list[InFlight]:
        """The head of every connection with something in flight, by (sender, receiver)."""
        return [
            connection.queue[0]
            for _, connection in sorted(self.connections.items())
            if connection.queue
        ]

    def untold(self) -> list[tuple[NodeId, NodeId, int]]:
        """``(node_id, peer, notice_sequence)`` of every broken connection not yet reported."""
        return [
            (sender, receiver, connection.notice_sequence)
            for (sender, receiver), connection in sorted(self.connections.items())
            if connection.notice_sequence
        ]

    def is_quiet(self) -> bool:
        """Nothing in flight and every break reported."""
        return self.in_flight_count == 0 and self.untold_count == 0

    # -- links, partitions and crashes -----------------------------------------------------------

    def separated(self, a: NodeId, b: NodeId) -> bool:
        """Whether the partition in force puts ``a`` and ``b`` on different sides."""
        if self.group_of is None or a == b:
            return False
        # A node in no group (one added while the partition was in force) is cut off from all.
        side_of_a = self.group_of.get(a, -1)
        return side_of_a == -1 or side_of_a != self.group_of.get(b, -1)

    def _refusal(self, sender: NodeId, receiver: NodeId) -> DropReason | None:
        if receiver not in self.running:
            return DropReason.RECEIVER_DOWN
        if self.separated(sender, receiver):
            return DropReason.PARTITIONED
        return None

    def attach(self, node_id: NodeId) -> None:
        """``node_id`` is running (started or restarted): others can now connect to it."""
        self.running.add(node_id)

    def detach(self, node_id: NodeId, now_ms: int) -> list[InFlight]:
        """``node_id`` crashed: break every connection it had; return what was in flight."""
        self.running.discard(node_id)
        peers = {
            receiver if sender == node_id else sender
            for sender, receiver in self.connections
            if node_id in (sender, receiver)
        }
        dropped: list[InFlight] = []
        for peer in sorted(peers):
            dropped += self._break_pair(node_id, peer, now_ms)
        return sorted(dropped)

    def partition(self, groups: Iterable[Iterable[NodeId]], now_ms: int) -> list[InFlight]:
        """Put each group on its own side; break connections now across sides.

        A node in no group is cut off from every other node.  Replaces any partition in force.
        Returns the messages that were in flight on the broken connections.  Invariants: SIM-3.
        """
        self.group_of = {node: index for index, group in enumerate(groups) for node in group}
        pairs = sorted(
            {
                (min(sender, receiver), max(sender, receiver))
                for sender, receiver in self.connections
                if self.separated(sender, receiver)
            }
        )
        dropped: list[InFlight] = []
        for a, b in pairs:
            dropped += self._break_pair(a, b, now_ms)
        return sorted(dropped)

    def heal(self) -> None:
        """Remove the partition.  Broken connections stay broken until their sender is told."""
        self.group_of = None

    def _break_pair(self, a: NodeId, b: NodeId, now_ms: int) -> list[InFlight]:
        dropped: list[InFlight] = []
        for sender, receiver in ((a, b), (b, a)):
            connection = self.connections.get((sender, receiver))
            if connection is not None:
                dropped += connection.queue
                self.in_flight_count -= len(connection.queue)
                connection.queue.clear()
            if sender in self.running:
                self._mark_broken(sender, receiver, now_ms)
            elif connection is not None:
                # A crashed node's own connections die with it, and so does news of their break.
                del self.connections[(sender, receiver)]
                if connection.notice_sequence:
                    self.untold_count -= 1
        return dropped

    def _mark_broken(self, sender: NodeId, receiver: NodeId, now_ms: int) -> None:
        connection = self.connections.get((sender, receiver))
        if connection is None:
            connection = Connection(Arrival(sender, receiver))
            self.connections[(sender, receiver)] = connection
        if connection.notice_sequence:
            return  # the sender is already going to be told
        notice_at_ms = now_ms + self._delay_ms()
        connection.notice_sequence = self.queue.schedule(notice_at_ms, LossNotice(sender, receiver))
        self.untold_count += 1


def partition_sides(
    groups: Iterable[object], *, known: Collection[NodeId]
) -> tuple[tuple[NodeId, ...], ...]:
    """The sides of a partition: each group, sorted, and one more of every node named in none.

    Raises :class:`~glasskafka.errors.GlassKafkaError` for no groups, a group that is not a
    collection of node ids, an empty group, a node not in ``known``, or a node in two groups.
    """
    sides: list[tuple[NodeId, ...]] = []
    seen: set[NodeId] = set()
    for group in groups:
        if isinstance(group, str | bytes) or not isinstance(group, Iterable):
            raise GlassKafkaError(
                f"partition group {group!r} must be a collection of node ids, "
                "such as {'broker-1', 'zk'}"
            )
        side = tuple(sorted(set(group)))
        if not side:
            raise GlassKafkaError("partition groups must not be empty")
        for node_id in side:
            if node_id not in known:
                names = ", ".join(repr(name) for name in sorted(known)) or "none"
                raise GlassKafkaError(f"no node {node_id!r} in the simulation; known: {names}")
            if node_id in seen:
                raise GlassKafkaError(f"node {node_id!r} is in two partition groups")
            seen.add(node_id)
        sides.append(side)
    if not sides:
        raise GlassKafkaError("partition() needs at least one group of node ids")
    rest = tuple(sorted(set(known) - seen))
    return (*sides, rest) if rest else tuple(sides)
