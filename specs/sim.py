"""What the simulator guarantees: a TCP-like network and disks that lose only unsynced bytes.

Specification
-------------
Kafka is designed for TCP and for disks that keep what was fsynced (DESIGN §3), so the simulator
that checks glasskafka must give exactly those guarantees: no more, or a bug that only shows up on
a real network would stay hidden; no less, or a correct node would be blamed for the simulator's
faults.  Each invariant below is a predicate over the simulator's trace (a list of
``glasskafka.sim`` trace events), so it is checked from what happened, never from the network's
own bookkeeping.

A *connection* is an ordered pair of nodes ``sender -> receiver``.  Every message gets a sequence
number when it is sent; it is then *settled* exactly once, by a delivery or a drop.

* **SIM-1, FIFO per connection.**  On each connection, messages settle in the order they were
  sent.  (TCP's in-order delivery; Kafka relies on it for the order of requests and responses on
  one connection, and for ``max.in.flight.requests.per.connection`` > 1 to keep batches in order.)
* **SIM-2, no duplication.**  A message is delivered at most once, only to the node it was
  addressed to, only if it was sent, and never after being dropped.
* **SIM-3, nothing crosses a partition.**  No message is delivered between two nodes while a
  partition separates them, or to a node that is down; and a message in flight when its
  connection broke (a partition separating the pair, or a crash of either end) is never delivered
  later, not even after a heal or a restart.
* **SIM-4, delivery resumes after a heal** (bounded liveness).  After the last heal, with no fault
  after it, and once the simulation has run until quiet: every message sent after the heal to a
  running node has been delivered.  The one exception is TCP's: a message written into a
  connection that had broken, before its sender was told, is lost -- and then the sender is told.
* **SIM-5, a crash keeps exactly the synced bytes.**  A process crash leaves the disk untouched.
  A power loss keeps exactly what ``fsync`` made durable: each synced file with its synced bytes,
  and no file that was never synced.  A lossy power loss keeps each file's synced bytes plus at
  most a prefix of what was appended since, and nothing else.

Simplified from Kafka: these properties are of the test harness, not of Kafka; Kafka's own
system tests get them from real TCP and real file systems.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from glasskafka.ids import NodeId
from glasskafka.sim import (
    ConnectionLost,
    Crashed,
    Delivered,
    DiskFault,
    DiskImage,
    Dropped,
    DropReason,
    FileImage,
    Healed,
    Partitioned,
    Restarted,
    Sent,
    Started,
    TraceEvent,
)

from specs.catalogue import spec

__all__ = [
    "crash_keeps_synced_bytes",
    "delivery_resumes_after_heal",
    "fifo_per_connection",
    "no_delivery_across_partition",
    "no_duplication",
]

Pair = tuple[NodeId, NodeId]


def _settled(event: TraceEvent) -> tuple[Pair, int, str] | None:
    """``(connection, sequence, verb)`` if ``event`` settles a message, else ``None``."""
    match event:
        case Delivered(sender=sender, receiver=receiver, sequence=sequence):
            return (sender, receiver), sequence, "delivered"
        case Dropped(sender=sender, receiver=receiver, sequence=sequence):
            return (sender, receiver), sequence, "dropped"
        case _:
            return None


@spec("SIM-1", "FIFO per connection")
def fifo_per_connection(events: Sequence[TraceEvent]) -> list[str]:
    """On every connection (an ordered pair of nodes), messages are delivered or dropped in the
    order they were sent: none settles while a message sent earlier on the same connection is
    still in flight."""
    unsettled: dict[Pair, deque[int]] = {}
    violations: list[str] = []
    for event in events:
        if isinstance(event, Sent):
            unsettled.setdefault((event.sender, event.receiver), deque()).append(event.sequence)
            continue
        settled = _settled(event)
        if settled is None:
            continue
        pair, sequence, verb = settled
        waiting = unsettled.get(pair)
        if not waiting or sequence not in waiting:
            continue  # settled twice, or never sent on this connection: SIM-2's business
        if waiting[0] != sequence:
            violations.append(
                f"{pair[0]} -> {pair[1]}: #{sequence} {verb} at {event.time_ms} ms while "
                f"#{waiting[0]}, sent earlier on the same connection, was still in flight"
            )
        waiting.remove(sequence)
    return violations


@spec("SIM-2", "No duplication")
def no_duplication(events: Sequence[TraceEvent]) -> list[str]:
    """Every message settles at most once: it is delivered at most once, only to the node it was
    sent to, only if it was sent, and never after it was dropped."""
    addressed: dict[int, Pair] = {}
    first: dict[int, str] = {}
    violations: list[str] = []
    for event in events:
        if isinstance(event, Sent):
            if event.sequence in addressed:
                violations.append(f"sequence #{event.sequence} was given to two messages")
            addressed[event.sequence] = (event.sender, event.receiver)
            continue
        settled = _settled(event)
        if settled is None:
            continue
        pair, sequence, verb = settled
        where = f"#{sequence} {verb} {pair[0]} -> {pair[1]} at {event.time_ms} ms"
        if sequence not in addressed:
            violations.append(f"{where}, but no such message was sent")
        elif addressed[sequence] != pair:
            sender, receiver = addressed[sequence]
            violations.append(f"{where}, but it was sent {sender} -> {receiver}")
        if sequence in first:
            violations.append(f"{where}, after it was already {first[sequence]}")
        else:
            first[sequence] = f"{verb} at {event.time_ms} ms"
    return violations


def _separates(groups: tuple[tuple[NodeId, ...], ...] | None, a: NodeId, b: NodeId) -> bool:
    """Whether a partition with ``groups`` puts ``a`` and ``b`` apart (no group: cut off)."""
    if groups is None or a == b:
        return False
    side_a = [index for index, group in enumerate(groups) if a in group]
    side_b = [index for index, group in enumerate(groups) if b in group]
    return not side_a or side_a != side_b


@spec("SIM-3", "Nothing crosses a partition")
def no_delivery_across_partition(events: Sequence[TraceEvent]) -> list[str]:
    """No message is delivered between two nodes while a partition separates them, or to a node
    that is down; and no message that was in flight when its connection broke (by a partition
    between the two nodes or a crash of either) is delivered afterwards."""
    groups: tuple[tuple[NodeId, ...], ...] | None = None
    down: set[NodeId] = set()
    sent_at: dict[int, int] = {}
    breaks: list[tuple[int, tuple[tuple[NodeId, ...], ...] | None, NodeId | None]] = []
    violations: list[str] = []
    for index, event in enumerate(events):
        match event:
            case Sent(sequence=sequence):
                sent_at[sequence] = index
            case Partitioned(groups=new_groups):
                groups = new_groups
                breaks.append((index, new_groups, None))
            case Healed():
                groups = None
            case Crashed(node_id=node_id):
                down.add(node_id)
                breaks.append((index, None, node_id))
            case Restarted(node_id=node_id) | Started(node_id=node_id):
                down.discard(node_id)
            case Delivered(sender=sender, receiver=receiver, sequence=sequence):
                where = f"#{sequence} {sender} -> {receiver} delivered at {event.time_ms} ms"
                if _separates(groups, sender, receiver):
                    violations.append(f"{where} across the partition {groups}")
                elif receiver in down:
                    violations.append(f"{where} to a node that is down")
                elif any(
                    at > sent_at.get(sequence, index)
                    and (_separates(cut, sender, receiver) or crashed in (sender, receiver))
                    for at, cut, crashed in breaks
                ):
                    violations.append(f"{where}, though its connection broke after it was sent")
            case _:
                pass
    return violations


@spec("SIM-4", "Delivery resumes after a heal")
def delivery_resumes_after_heal(events: Sequence[TraceEvent]) -> list[str]:
    """Checked on a trace that ends when the simulation has run until quiet after the last heal,
    with no partition or crash after that heal: every message sent after the heal to a running
    node was delivered, except one written, before its sender was told, into a connection that
    broke earlier -- and then the sender is told (``on_connection_lost``)."""
    heals = [index for index, event in enumerate(events) if isinstance(event, Healed)]
    if not heals:
        return []
    window = events[heals[-1] + 1 :]
    if any(isinstance(event, Partitioned | Crashed) for event in window):
        return []  # a fault after the heal: this bounded liveness claim does not apply
    running = _running_at(events[: heals[-1] + 1])
    settled = {s[1]: event for event in window if (s := _settled(event)) is not None}
    cleared: set[Pair] = set()  # connections known to work: told of any break since the heal
    violations: list[str] = []
    for index, event in enumerate(window):
        match event:
            case Started(node_id=node_id) | Restarted(node_id=node_id):
                running.add(node_id)
            case ConnectionLost(node_id=node_id, peer=peer):
                cleared.add((node_id, peer))
            case Dropped(sender=sender, receiver=receiver, reason=DropReason.RECEIVER_DOWN):
                # A send to a node that is down breaks the connection anew (TCP: refused).
                cleared.discard((sender, receiver))
            case Sent(sender=sender, receiver=receiver, sequence=sequence) if receiver in running:
                problem = _resumption_problem(
                    (sender, receiver), settled.get(sequence), cleared, window[index + 1 :]
                )
                if problem:
                    violations.append(
                        f"#{sequence} {sender} -> {receiver}, sent at {event.time_ms} ms after "
                        f"the heal, {problem}"
                    )
            case _:
                pass
    return violations


def _resumption_problem(
    pair: Pair, outcome: TraceEvent | None, cleared: set[Pair], later: Sequence[TraceEvent]
) -> str:
    """Why a message sent after the heal breaks SIM-4, or ``""`` if it does not."""
    if outcome is None:
        return "was never delivered"
    if not isinstance(outcome, Dropped):
        return ""
    excused = (
        outcome.reason is DropReason.CONNECTION_BROKEN
        and pair not in cleared
        and any(
            isinstance(event, ConnectionLost) and (event.node_id, event.peer) == pair
            for event in later
        )
    )
    return "" if excused else f"was dropped ({outcome.reason.value})"


def _running_at(events: Sequence[TraceEvent]) -> set[NodeId]:
    running: set[NodeId] = set()
    for event in events:
        match event:
            case Started(node_id=node_id) | Restarted(node_id=node_id):
                running.add(node_id)
            case Crashed(node_id=node_id):
                running.discard(node_id)
            case _:
                pass
    return running


@spec("SIM-5", "A crash keeps exactly the synced bytes")
def crash_keeps_synced_bytes(events: Sequence[TraceEvent]) -> list[str]:
    """A process crash leaves the disk untouched.  A power-loss crash keeps exactly the bytes
    that fsync made durable: every synced file with its synced contents, and no file that was
    never synced.  A lossy crash keeps each file's synced bytes plus at most a prefix of the
    bytes appended since the last sync, and nothing else."""
    violations: list[str] = []
    for event in events:
        if isinstance(event, Crashed):
            where = f"{event.node_id} crash ({event.disk.value}) at {event.time_ms} ms"
            violations += [
                f"{where}: {problem}"
                for problem in _disk_problems(event.disk, event.disk_before, event.disk_after)
            ]
    return violations


def _disk_problems(fault: DiskFault, before: DiskImage, after: DiskImage) -> list[str]:
    was = {file.path: file for file in before}
    now = {file.path: file.current for file in after}
    if fault is DiskFault.KEEP:
        return [] if before == after else ["the disk changed in a process crash"]
    problems = [f"{path!r} appeared from nowhere" for path in sorted(set(now) - set(was))]
    for path, file in sorted(was.items()):
        kept = now.get(path)
        if fault is DiskFault.POWER or not _only_grew(file):
            if kept != file.durable:
                problems.append(f"{path!r} holds {kept!r}; its synced bytes were {file.durable!r}")
        elif kept is None:
            if file.durable is not None:
                problems.append(f"{path!r} was synced but vanished")
        elif not (kept.startswith(file.durable or b"") and file.current.startswith(kept)):
            problems.append(
                f"{path!r} holds {kept!r}: not its synced bytes {file.durable!r} plus a prefix "
                f"of the appended tail of {file.current!r}"
            )
    return problems


def _only_grew(file: FileImage) -> bool:
    """Whether the file only had bytes appended since its last sync (a torn tail may survive)."""
    durable = file.durable or b""
    return len(file.current) > len(durable) and file.current.startswith(durable)
