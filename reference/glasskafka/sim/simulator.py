"""The simulator: runs sans-IO nodes in virtual time over a simulated network and disks.

Theory of operation
-------------------
A :class:`Simulator` wires together the small parts of this package, each with one job
(STYLE rule 13, after TigerBeetle's simulator): the :class:`~glasskafka.sim.clock.Clock`, the
:class:`~glasskafka.sim.events.EventQueue`, the seeded streams of
:mod:`~glasskafka.sim.randomness`, the :class:`~glasskafka.sim.network.Network`, one
:class:`~glasskafka.sim.host.Host` per node, the disk faults of :mod:`~glasskafka.sim.faults` and
the :class:`~glasskafka.sim.trace.Trace`.  It makes no protocol decision of its own (STYLE rule 2):
it only carries a node's outputs out and its inputs in.

**The loop.**  Each step takes the earliest event from the queue, skips it if it has gone stale (a
cancelled timer, a message dropped by a break), moves the clock to its time and performs it: a
message arrives (``on_message``), a timer fires (``on_timer``) or a node learns that a
connection broke (``on_connection_lost``).  The node's outputs are carried out at once: a
``Send`` goes to the network, ``SetTimer``/``CancelTimer`` to the host's timer table.  Then the
node's ``check_invariants()`` runs.  Only the node that took the input is checked, because an
input changes no other node's state (nodes share nothing, DESIGN §7).

**Faults and calls** are methods the test calls between steps: :meth:`Simulator.crash` (with a
disk fault: ``keep``, ``power`` or ``lossy``), :meth:`Simulator.restart`,
:meth:`Simulator.partition`, :meth:`Simulator.heal`, and :meth:`Simulator.call` to invoke a
client API method as an input.

**Two ways to run.**  Automatically, with :meth:`Simulator.step`, :meth:`Simulator.run_until`,
:meth:`Simulator.run_until_quiet` and :meth:`Simulator.run_for`; or in the controlled mode, in
which the caller lists :meth:`Simulator.pending` choices and performs one with
:meth:`Simulator.deliver` (see ``glasskafka.sim.choices``).  The two mix freely.

**The wire option.**  With ``wire`` on, every message is encoded to bytes and decoded again
just before delivery, so nodes get exactly what the runtime's sockets would give them
(``glasskafka.sim.wire``); a message the codec cannot carry stops the simulation.

**Determinism.**  Every random choice comes from a stream derived from ``seed``; every ordering
is by (time, sequence number) or sorted.  So the same seed and the same calls record the same
trace, and the whole simulation (nodes and their disks included) is plain data that
``copy.deepcopy`` snapshots: the copy continues exactly as the original would.  When a node
raises, the error gets a note with the seed, the time and the last lines of the story, so a
failure can be replayed (as TigerBeetle prints its seed).

Spec IDs: SIM-1..5, through the network and disks it drives (``specs/sim.py``).

Simplified from Kafka: Kafka is tested with real threads and sockets (and ducktape clusters);
glasskafka's nodes are single-threaded state machines, so one process can simulate a cluster
exactly, at the price of not modelling thread interleavings inside one broker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, assert_never, overload

from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.sim.choices import Choice, DeliverMessage, FireTimer, ReportLoss, list_pending
from glasskafka.sim.clock import Clock
from glasskafka.sim.events import Arrival, Event, EventQueue, LossNotice, TimerDue
from glasskafka.sim.faults import DiskFault, apply_disk_fault, disk_image
from glasskafka.sim.host import Host, NodeFactory, Timer
from glasskafka.sim.network import DropReason, InFlight, Network, NetworkConfig, partition_sides
from glasskafka.sim.randomness import derive_rng
from glasskafka.sim.trace import (
    Called,
    ConnectionLost,
    Crashed,
    Delivered,
    Dropped,
    Healed,
    Observer,
    Partitioned,
    Restarted,
    Sent,
    Started,
    TimerFired,
    Trace,
)
from glasskafka.sim.wire import WireRoundTrip, default_wire
from glasskafka.storage import SimDisk

__all__ = ["SimStatistics", "Simulator"]

N = TypeVar("N", bound=Node)

_NEVER = 2**62
"""A time later than any simulation reaches: "no deadline"."""

_NOTE = "glasskafka simulation"


@dataclass(frozen=True, slots=True, kw_only=True)
class SimStatistics:
    """Counts of what a simulation has done so far (for introspection, as trio's statistics)."""

    now_ms: Millis
    sent: int
    delivered: int
    dropped: int
    timers_fired: int
    losses_reported: int
    in_flight: int


class Simulator:
    """A deterministic simulation of nodes, a network and disks, driven by one seed."""

    def __init__(
        self,
        *,
        seed: int,
        network: NetworkConfig | None = None,
        network_type: type[Network] = Network,
        transform: Callable[[Message], Message] | None = None,
        wire: WireRoundTrip | Literal[False] | None = None,
    ) -> None:
        """Create an empty simulation; add nodes with :meth:`add_node`.

        ``network_type`` lets a test substitute a deliberately broken network to prove that the
        SIM specs catch it.  ``transform``, if given, is applied to every message as it is
        delivered (a codec round trip, for instance).  ``wire`` sends every message through the
        wire codec before delivery (``glasskafka.sim.wire``): a :class:`WireRoundTrip` to use,
        False for off, or None (the default) for whatever :func:`default_wire` says -- off unless
        the test configuration turned it on.
        """
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise GlassKafkaError(f"seed={seed!r}: the simulation seed must be an integer")
        self.seed = seed
        self.clock = Clock()
        self.queue = EventQueue()
        self.network = network_type(
            config=network or NetworkConfig(), rng=derive_rng(seed, "network"), queue=self.queue
        )
        self.trace = Trace()
        self.hosts: dict[NodeId, Host] = {}
        self.transform = transform
        self.wire = default_wire() if wire is None else (wire or None)
        self._fault_rng = derive_rng(seed, "faults")

    # -- nodes -----------------------------------------------------------------------------------

    def add_node(
        self, node_id: NodeId, factory: NodeFactory, *, disk: SimDisk | None = None
    ) -> None:
        """Build node ``node_id`` with ``factory(node_id, disk, rng)`` and start it now.

        ``disk`` defaults to an empty :class:`~glasskafka.storage.SimDisk`.  Raises
        :class:`~glasskafka.errors.GlassKafkaError` for an empty or duplicate id.
        """
        if not isinstance(node_id, str) or not node_id:
            raise GlassKafkaError(f"node_id={node_id!r}: a node id must be a non-empty string")
        if node_id in self.hosts:
            raise GlassKafkaError(f"node_id={node_id!r} is already in the simulation")
        host = Host(node_id=node_id, factory=factory, disk=SimDisk() if disk is None else disk)
        node = host.boot(derive_rng(self.seed, "node", node_id, 0))
        self.hosts[node_id] = host
        self.network.attach(node_id)
        self.trace.record(Started(time_ms=self.clock.now_ms, node_id=node_id))
        self._run(host, node, lambda: node.on_start(self.clock.now_ms))

    @property
    def node_ids(self) -> tuple[NodeId, ...]:
        """Every node in the simulation, running or not, sorted."""
        return tuple(sorted(self.hosts))

    @property
    def now_ms(self) -> Millis:
        """The current simulated time."""
        return self.clock.now_ms

    def is_up(self, node_id: NodeId) -> bool:
        """Whether ``node_id`` is running (not crashed)."""
        return self._host(node_id).node is not None

    def node(self, node_id: NodeId) -> Node:
        """The running node object ``node_id`` (raises if it is down)."""
        node = self._host(node_id).node
        if node is None:
            raise GlassKafkaError(f"node {node_id!r} is down; restart it first")
        return node

    def node_as(self, node_id: NodeId, kind: type[N]) -> N:
        """The running node ``node_id``, checked to be a ``kind``."""
        node = self.node(node_id)
        if not isinstance(node, kind):
            raise GlassKafkaError(
                f"node {node_id!r} is a {type(node).__name__}, not a {kind.__name__}"
            )
        return node

    def disk(self, node_id: NodeId) -> SimDisk:
        """The disk of ``node_id``, which survives its crashes."""
        return self._host(node_id).disk

    def observe(self, observer: Observer) -> None:
        """Call ``observer`` with every trace event from now on (for ghost state)."""
        self.trace.observers.append(observer)

    def _host(self, node_id: NodeId) -> Host:
        host = self.hosts.get(node_id)
        if host is None:
            known = ", ".join(repr(name) for name in self.node_ids) or "none"
            raise GlassKafkaError(f"no node {node_id!r} in the simulation; known: {known}")
        return host

    # -- inputs ----------------------------------------------------------------------------------

    @overload
    def call(
        self, node_id: NodeId, fn: Callable[[Node, Millis], list[Output]], *, label: str = ""
    ) -> None: ...

    @overload
    def call(
        self,
        node_id: NodeId,
        fn: Callable[[N, Millis], list[Output]],
        *,
        kind: type[N],
        label: str = "",
    ) -> None: ...

    def call(
        self,
        node_id: NodeId,
        fn: Callable[[Any, Millis], list[Output]],
        *,
        kind: type[Node] = Node,
        label: str = "",
    ) -> None:
        """Invoke a client API method as an input: ``fn(node, now_ms)`` returns the outputs.

        ``kind`` checks (and tells mypy) the node's class; ``label`` names the call in the trace
        (default: ``fn``'s name).  Raises ``GlassKafkaError`` if the node is down or not a ``kind``.
        """
        host = self._host(node_id)
        node = self.node_as(node_id, kind)
        name = label or getattr(fn, "__name__", type(fn).__name__)
        self.trace.record(Called(time_ms=self.clock.now_ms, node_id=node_id, label=name))
        self._run(host, node, lambda: fn(node, self.clock.now_ms))

    def _run(self, host: Host, node: Node, input_: Callable[[], list[Output]]) -> None:
        try:
            self._apply(host, node, input_())
        except Exception as error:
            self._annotate(error)
            raise

    def _apply(self, host: Host, node: Node, outputs: list[Output]) -> None:
        """Carry out a node's outputs, then check the node's own invariants (STYLE rule 8)."""
        for output in outputs:
            match output:
                case Send(to=receiver, message=message):
                    self._send(host.node_id, receiver, message)
                case SetTimer(name=name, at_ms=at_ms):
                    sequence = self.queue.schedule(at_ms, TimerDue(host.node_id, name))
                    host.timers[name] = Timer(at_ms, sequence)
                case CancelTimer(name=name):
                    host.timers.pop(name, None)
                case _:
                    assert_never(output)
        node.check_invariants()

    def _send(self, sender: NodeId, receiver: NodeId, message: Message) -> None:
        now_ms = self.clock.now_ms
        sequence, reason = self.network.send(sender, receiver, message, now_ms)
        record = self.trace.record
        record(
            Sent(
                time_ms=now_ms, sender=sender, receiver=receiver, sequence=sequence, message=message
            )
        )
        if reason is not None:
            record(
                Dropped(
                    time_ms=now_ms,
                    sender=sender,
                    receiver=receiver,
                    sequence=sequence,
                    message=message,
                    reason=reason,
                )
            )

    def _deliver(self, in_flight: InFlight) -> None:
        message = in_flight.message
        if self.wire is not None:
            message = self.wire(message)  # raises WireCodecError for what cannot travel
        if self.transform is not None:
            message = self.transform(message)
        now_ms = self.clock.now_ms
        sender, receiver = in_flight.sender, in_flight.receiver
        owed = self.network.untold_notice(receiver, sender)
        if owed and self.network.take_notice(receiver, sender, owed):
            # The message came on a fresh connection: the receiver learns of the old one's
            # break first, so it answers on a new connection (network.py).
            self._tell_loss(receiver, sender)
        self.trace.record(
            Delivered(
                time_ms=now_ms,
                sender=sender,
                receiver=receiver,
                sequence=in_flight.sequence,
                message=message,
            )
        )
        host = self.hosts[receiver]
        node = host.node
        assert node is not None, f"SIM-3: message #{in_flight.sequence} reached {receiver}, down"
        self._apply(host, node, node.on_message(sender, message, now_ms))

    def _fire(self, host: Host, name: str) -> None:
        del host.timers[name]
        node = host.node
        assert node is not None, f"timer {name!r} of {host.node_id} outlived its node"
        now_ms = self.clock.now_ms
        self.trace.record(TimerFired(time_ms=now_ms, node_id=host.node_id, name=name))
        self._apply(host, node, node.on_timer(name, now_ms))

    def _tell_loss(self, node_id: NodeId, peer: NodeId) -> None:
        host = self.hosts[node_id]
        node = host.node
        assert node is not None, f"{node_id} was told of a broken connection while down"
        now_ms = self.clock.now_ms
        self.trace.record(ConnectionLost(time_ms=now_ms, node_id=node_id, peer=peer))
        self._apply(host, node, node.on_connection_lost(peer, now_ms))

    # -- running automatically -------------------------------------------------------------------

    def step(self) -> bool:
        """Perform the next scheduled event; return ``False`` if nothing is scheduled."""
        return self._step(_NEVER)

    def _step(self, until_ms: int) -> bool:
        pop_due = self.queue.pop_due
        while (entry := pop_due(until_ms)) is not None:
            try:
                if self._perform(*entry):
                    return True
            except Exception as error:
                self._annotate(error)
                raise
        return False

    def _perform(self, at_ms: int, sequence: int, event: Event) -> bool:
        """Perform ``event`` if it is still live; return whether it was."""
        match event:
            case Arrival(sender=sender, receiver=receiver):
                in_flight = self.network.take(sender, receiver, sequence)
                if in_flight is None:
                    return False
                self.clock.advance_to(at_ms)
                self._deliver(in_flight)
            case TimerDue(node_id=node_id, name=name):
                host = self.hosts[node_id]
                timer = host.timers.get(name)
                if timer is None or timer.sequence != sequence:
                    return False
                self.clock.advance_to(at_ms)
                self._fire(host, name)
            case LossNotice(node_id=node_id, peer=peer):
                if not self.network.take_notice(node_id, peer, sequence):
                    return False
                self.clock.advance_to(at_ms)
                self._tell_loss(node_id, peer)
            case _:
                assert_never(event)
        return True

    def run_until(self, predicate: Callable[[Simulator], bool], deadline_ms: int) -> bool:
        """Step until ``predicate(self)`` holds or no event is due by ``deadline_ms``.

        Returns whether the predicate holds.  If it does not, the clock ends at ``deadline_ms``.
        """
        self._check_deadline(deadline_ms)
        while not predicate(self):
            if not self._step(deadline_ms):
                self.clock.advance_to(deadline_ms)
                return predicate(self)
        return True

    def run_until_quiet(self, deadline_ms: int) -> bool:
        """Step until nothing is in flight and every broken connection has been reported.

        Timers may still be set.  Returns whether the network went quiet by ``deadline_ms``; if
        it did not, the clock ends at ``deadline_ms``.
        """
        self._check_deadline(deadline_ms)
        network = self.network
        while not network.is_quiet():
            if not self._step(deadline_ms):
                self.clock.advance_to(deadline_ms)
                return network.is_quiet()
        return True

    def run_for(self, duration_ms: int) -> None:
        """Perform every event due within the next ``duration_ms``; end at that time."""
        self._check_duration(duration_ms)
        deadline_ms = self.clock.now_ms + duration_ms
        while self._step(deadline_ms):
            pass
        self.clock.advance_to(deadline_ms)

    def is_quiet(self) -> bool:
        """Nothing in flight and every broken connection reported to its node."""
        return self.network.is_quiet()

    def _check_deadline(self, deadline_ms: int) -> None:
        if not isinstance(deadline_ms, int) or deadline_ms < self.clock.now_ms:
            raise GlassKafkaError(
                f"deadline_ms={deadline_ms!r} must be an integer time no earlier than "
                f"now ({self.clock.now_ms} ms)"
            )

    def _check_duration(self, duration_ms: int) -> None:
        if not isinstance(duration_ms, int) or duration_ms < 0:
            raise GlassKafkaError(f"duration_ms={duration_ms!r} must be an integer of 0 or more")

    def _annotate(self, error: Exception) -> None:
        """Add the seed, the time and the story's last lines to an error raised by a node."""
        if any(note.startswith(_NOTE) for note in getattr(error, "__notes__", ())):
            return
        recent = self.trace.story(max(0, len(self.trace.events) - 10))
        error.add_note(
            f"{_NOTE} seed={self.seed}, at {self.clock.now_ms} ms; "
            f"the story's last lines:\n{recent}"
        )

    # -- the controlled mode ---------------------------------------------------------------------

    def pending(self) -> list[Choice]:
        """Every step that may happen now, in a stable order (see ``glasskafka.sim.choices``)."""
        return list_pending(self.network, self.hosts, self.clock.now_ms)

    def deliver(self, choice: Choice) -> None:
        """Perform ``choice``, one of :meth:`pending`'s, now (the clock does not move).

        Raises ``GlassKafkaError`` if ``choice`` is not pending; nothing happens then.
        """
        if not isinstance(choice, DeliverMessage | ReportLoss | FireTimer):
            raise GlassKafkaError(f"deliver() needs one of pending()'s choices, got {choice!r}")
        try:
            performed = self._perform_choice(choice)
        except Exception as error:
            self._annotate(error)
            raise
        if not performed:
            raise GlassKafkaError(f"{choice!r} is not pending now; choose from pending()")

    def _perform_choice(self, choice: Choice) -> bool:
        match choice:
            case DeliverMessage(sender=sender, receiver=receiver, sequence=sequence):
                in_flight = self.network.take(sender, receiver, sequence)
                if in_flight is None:
                    return False
                self._deliver(in_flight)
            case ReportLoss(node_id=node_id, peer=peer, sequence=sequence):
                if not self.network.take_notice(node_id, peer, sequence):
                    return False
                self._tell_loss(node_id, peer)
            case FireTimer(node_id=node_id, name=name, at_ms=at_ms):
                host = self.hosts.get(node_id)
                timer = None if host is None else host.timers.get(name)
                if host is None or timer is None or timer.at_ms != at_ms or at_ms > self.now_ms:
                    return False
                self._fire(host, name)
            case _:
                assert_never(choice)
        return True

    def advance_time(self, duration_ms: int) -> None:
        """Let ``duration_ms`` pass without performing anything (the controlled mode's tick)."""
        self.clock.advance_by(duration_ms)

    # -- faults ----------------------------------------------------------------------------------

    def crash(self, node_id: NodeId, disk: DiskFault | str = DiskFault.KEEP) -> None:
        """Crash ``node_id``: discard the node and its timers, apply ``disk``, break connections.

        ``disk`` is ``"keep"`` (a process crash: the disk is untouched), ``"power"`` (only synced
        bytes survive) or ``"lossy"`` (synced bytes plus a torn tail).  Peers are told of the
        broken connections later, through loss notices.  Invariants: SIM-3, SIM-5.
        """
        fault = DiskFault.parse(disk)
        host = self._host(node_id)
        if host.node is None:
            raise GlassKafkaError(f"node {node_id!r} is already down; restart it first")
        before = disk_image(host.disk)
        host.halt()
        apply_disk_fault(host.disk, fault, self._fault_rng)
        now_ms = self.clock.now_ms
        self.trace.record(
            Crashed(
                time_ms=now_ms,
                node_id=node_id,
                disk=fault,
                disk_before=before,
                disk_after=disk_image(host.disk),
            )
        )
        self._record_drops(self.network.detach(node_id, now_ms))

    def restart(self, node_id: NodeId) -> None:
        """Build a fresh ``node_id`` on its surviving disk and run its ``on_start``."""
        host = self._host(node_id)
        if host.node is not None:
            raise GlassKafkaError(f"node {node_id!r} is running; crash it before restarting it")
        node = host.boot(derive_rng(self.seed, "node", node_id, host.incarnation + 1))
        host.incarnation += 1
        self.network.attach(node_id)
        now_ms = self.clock.now_ms
        self.trace.record(Restarted(time_ms=now_ms, node_id=node_id, incarnation=host.incarnation))
        self._run(host, node, lambda: node.on_start(now_ms))

    def partition(self, *groups: Iterable[NodeId]) -> None:
        """Split the network: nodes in different groups cannot reach each other.

        Every node named in no group forms one more group with the other unnamed ones (a node
        added later is cut off from all until :meth:`heal`).  Replaces any partition in force.
        Raises ``GlassKafkaError`` for an unknown node, a node in two groups or an empty group.
        Invariants: SIM-3.
        """
        sides = partition_sides(groups, known=self.hosts)
        now_ms = self.clock.now_ms
        self.trace.record(Partitioned(time_ms=now_ms, groups=sides))
        self._record_drops(self.network.partition(sides, now_ms))

    def heal(self) -> None:
        """Remove the partition.  Delivery resumes once senders learn of old breaks (SIM-4)."""
        self.trace.record(Healed(time_ms=self.clock.now_ms))
        self.network.heal()

    def _record_drops(self, dropped: list[InFlight]) -> None:
        for in_flight in dropped:
            self.trace.record(
                Dropped(
                    time_ms=self.clock.now_ms,
                    sender=in_flight.sender,
                    receiver=in_flight.receiver,
                    sequence=in_flight.sequence,
                    message=in_flight.message,
                    reason=DropReason.BROKEN_IN_FLIGHT,
                )
            )

    # -- introspection ---------------------------------------------------------------------------

    def statistics(self) -> SimStatistics:
        """What the simulation has done so far, counted from the trace."""
        counts: dict[type, int] = {}
        for event in self.trace.events:
            counts[type(event)] = counts.get(type(event), 0) + 1
        return SimStatistics(
            now_ms=self.clock.now_ms,
            sent=counts.get(Sent, 0),
            delivered=counts.get(Delivered, 0),
            dropped=counts.get(Dropped, 0),
            timers_fired=counts.get(TimerFired, 0),
            losses_reported=counts.get(ConnectionLost, 0),
            in_flight=self.network.in_flight_count,
        )
