"""The simulator as a whole: short transcripts of timers, calls, crashes, runs and the story."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from glasskafka.ids import Millis, NodeId
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.sim import (
    Called,
    ConnectionLost,
    Crashed,
    Delivered,
    DeliverMessage,
    Dropped,
    DropReason,
    FireTimer,
    NetworkConfig,
    ReportLoss,
    Restarted,
    Sent,
    Simulator,
    Started,
    TimerFired,
    TraceEvent,
)
from glasskafka.storage import SimDisk

A, B, C = NodeId("a"), NodeId("b"), NodeId("c")


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping(Message):
    hops: int


class Bouncer(Node):
    """Answers a ``Ping`` with one fewer hop until none are left; records every input."""

    def __init__(self, node_id: NodeId, disk: SimDisk, rng: random.Random) -> None:
        self.node_id = node_id
        self.disk = disk
        self.first_draw = rng.random()
        self.inputs: list[tuple[str, object]] = []
        self.checks = 0

    def on_start(self, now_ms: Millis) -> list[Output]:
        self.inputs.append(("start", now_ms))
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        assert isinstance(message, Ping)
        self.inputs.append(("message", (sender, message.hops, now_ms)))
        if message.hops <= 0:
            return []
        return [Send(to=sender, message=Ping(hops=message.hops - 1))]

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        self.inputs.append(("timer", (name, now_ms)))
        return []

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        self.inputs.append(("lost", peer))
        return []

    def check_invariants(self) -> None:
        self.checks += 1
        assert ("message", "poison") not in self.inputs, "a poisoned input was recorded"

    def ping(self, peer: NodeId, hops: int) -> list[Output]:
        return [Send(to=peer, message=Ping(hops=hops))]

    def journal(self, data: bytes, *, sync: bool) -> list[Output]:
        self.disk.append("journal", data)
        if sync:
            self.disk.fsync("journal")
        return []


def make_sim(
    seed: int = 5,
    *,
    nodes: tuple[NodeId, ...] = (A, B),
    transform: Callable[[Message], Message] | None = None,
) -> Simulator:
    config = NetworkConfig(min_delay_ms=1, max_delay_ms=10)
    sim = Simulator(seed=seed, network=config, transform=transform)
    for node_id in nodes:
        sim.add_node(node_id, Bouncer)
    return sim


def ping(sim: Simulator, sender: NodeId, receiver: NodeId, hops: int = 0) -> None:
    sim.call(sender, lambda node, _: node.ping(receiver, hops), kind=Bouncer, label="ping")


def bouncer(sim: Simulator, node_id: NodeId) -> Bouncer:
    return sim.node_as(node_id, Bouncer)


def kinds(events: list[TraceEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


def test_a_ping_pong_reads_as_a_story() -> None:
    sim = make_sim()
    ping(sim, A, B, hops=2)
    assert sim.run_until_quiet(1_000)
    assert kinds(sim.trace.events) == [
        "Started",
        "Started",
        "Called",
        "Sent",
        "Delivered",
        "Sent",
        "Delivered",
        "Sent",
        "Delivered",
    ]
    lines = sim.trace.story().splitlines()
    assert lines[2].split() == ["0", "ms", "a", "is", "called:", "ping"]
    assert lines[4].split()[2:6] == ["b", "receives", "#1", "from"]
    assert all(line.split()[1] == "ms" for line in lines)


def test_every_input_is_followed_by_the_nodes_own_check() -> None:
    sim = make_sim()
    ping(sim, A, B, hops=3)
    sim.run_until_quiet(1_000)
    # a: start, the call, two replies; b: start, two pings.
    assert (bouncer(sim, A).checks, bouncer(sim, B).checks) == (4, 3)


def test_timers_fire_at_their_time_and_can_be_replaced_or_cancelled() -> None:
    sim = make_sim()
    sim.call(A, lambda node, now: [SetTimer(name="t", at_ms=Millis(now + 50))])
    sim.call(A, lambda node, now: [SetTimer(name="t", at_ms=Millis(now + 20))])  # replaces
    sim.call(A, lambda node, now: [SetTimer(name="u", at_ms=Millis(now + 30))])
    sim.call(A, lambda node, now: [CancelTimer(name="u")])
    sim.run_for(100)
    assert bouncer(sim, A).inputs[1:] == [("timer", ("t", 20))]
    assert [e for e in sim.trace.events if isinstance(e, TimerFired)] == [
        TimerFired(time_ms=Millis(20), node_id=A, name="t")
    ]
    assert sim.now_ms == 100


def test_a_timer_set_in_the_past_fires_at_once_not_back_in_time() -> None:
    sim = make_sim()
    sim.advance_time(40)
    sim.call(A, lambda node, _: [SetTimer(name="late", at_ms=Millis(10))])
    assert sim.step()
    assert bouncer(sim, A).inputs[-1] == ("timer", ("late", 40))


def test_a_crash_forgets_timers_and_a_restart_builds_a_fresh_node() -> None:
    sim = make_sim()
    first_draw = bouncer(sim, A).first_draw
    sim.call(A, lambda node, now: [SetTimer(name="t", at_ms=Millis(now + 5))])
    sim.crash(A)
    assert not sim.is_up(A)
    sim.run_for(50)
    assert not any(isinstance(event, TimerFired) for event in sim.trace.events)
    sim.restart(A)
    assert bouncer(sim, A).inputs == [("start", 50)]
    assert bouncer(sim, A).first_draw != first_draw, "a restart gets a fresh random stream"
    assert sim.trace.events[-1] == Restarted(time_ms=Millis(50), node_id=A, incarnation=1)


@pytest.mark.parametrize(
    ("disk", "survives"),
    [("keep", b"synced+unsynced"), ("power", b"synced")],
)
def test_crash_kinds_treat_the_disk_as_promised(disk: str, survives: bytes) -> None:
    sim = make_sim()
    sim.call(A, lambda node, _: node.journal(b"synced", sync=True), kind=Bouncer)
    sim.call(A, lambda node, _: node.journal(b"+unsynced", sync=False), kind=Bouncer)
    sim.crash(A, disk=disk)
    assert sim.disk(A).read("journal") == survives
    crashed = sim.trace.events[-1]
    assert isinstance(crashed, Crashed) and crashed.disk == disk
    sim.restart(A)
    assert bouncer(sim, A).disk is sim.disk(A), "the fresh node gets the surviving disk"


def test_a_lossy_crash_keeps_a_prefix_of_the_unsynced_tail() -> None:
    survivors = set()
    for seed in range(30):
        sim = make_sim(seed)
        sim.call(A, lambda node, _: node.journal(b"synced", sync=True), kind=Bouncer)
        sim.call(A, lambda node, _: node.journal(b"+tail", sync=False), kind=Bouncer)
        sim.crash(A, disk="lossy")
        kept = sim.disk(A).read("journal")
        assert kept.startswith(b"synced") and b"synced+tail".startswith(kept)
        survivors.add(kept)
    assert len(survivors) > 1


def test_a_crash_drops_what_was_in_flight_and_the_peer_is_told() -> None:
    sim = make_sim()
    ping(sim, A, B)
    sim.crash(B)
    dropped = [e for e in sim.trace.events if isinstance(e, Dropped)]
    assert [(e.sequence, e.reason) for e in dropped] == [(1, DropReason.BROKEN_IN_FLIGHT)]
    sim.run_until_quiet(1_000)
    assert bouncer(sim, A).inputs[-1] == ("lost", B)
    assert isinstance(sim.trace.events[-1], ConnectionLost)


def test_a_partition_tells_both_ends_and_a_heal_lets_messages_through_again() -> None:
    sim = make_sim()
    ping(sim, A, B)
    sim.partition({A}, {B})
    sim.run_until_quiet(1_000)
    assert ("lost", B) in bouncer(sim, A).inputs and ("lost", A) in bouncer(sim, B).inputs
    sim.heal()
    ping(sim, A, B)
    sim.run_until_quiet(2_000)
    assert bouncer(sim, B).inputs[-1][0] == "message"


def test_sending_to_an_unknown_node_is_a_drop_and_the_sender_is_told() -> None:
    sim = make_sim()
    ping(sim, A, NodeId("nobody"))
    assert sim.trace.events[-1] == Dropped(
        time_ms=Millis(0),
        sender=A,
        receiver=NodeId("nobody"),
        sequence=1,
        message=Ping(hops=0),
        reason=DropReason.RECEIVER_DOWN,
    )
    sim.run_until_quiet(100)
    assert bouncer(sim, A).inputs[-1] == ("lost", NodeId("nobody"))


def test_run_until_stops_when_the_predicate_holds() -> None:
    sim = make_sim()
    ping(sim, A, B, hops=10)
    assert sim.run_until(lambda s: len(bouncer(s, B).inputs) >= 3, deadline_ms=10_000)
    assert len(bouncer(sim, B).inputs) == 3
    assert not sim.is_quiet()


def test_run_until_gives_up_at_the_deadline() -> None:
    sim = make_sim()
    assert not sim.run_until(lambda s: False, deadline_ms=500)
    assert sim.now_ms == 500


def test_run_until_quiet_reports_a_network_that_never_goes_quiet() -> None:
    sim = make_sim()
    ping(sim, A, B, hops=10**9)
    assert not sim.run_until_quiet(200)
    assert sim.now_ms == 200


def test_the_transform_sees_every_delivered_message() -> None:
    seen: list[Message] = []

    def shave(message: Message) -> Message:
        seen.append(message)
        assert isinstance(message, Ping)
        return Ping(hops=max(0, message.hops - 1))

    sim = make_sim(transform=shave)
    ping(sim, A, B, hops=3)
    sim.run_until_quiet(1_000)
    # a sends 3, b receives 2 and answers 1, a receives 0 and stops.
    assert seen == [Ping(hops=3), Ping(hops=1)]
    delivered = [e.message for e in sim.trace.events if isinstance(e, Delivered)]
    assert delivered == [Ping(hops=2), Ping(hops=0)]
    assert bouncer(sim, A).inputs[-1] == ("message", (B, 0, sim.now_ms))


@dataclass
class Tally:
    """Ghost state kept by an observer, outside the nodes."""

    seen: list[str] = field(default_factory=list)

    def __call__(self, event: TraceEvent) -> None:
        self.seen.append(type(event).__name__)


def test_observers_see_every_event_and_are_copied_with_the_simulation() -> None:
    sim = make_sim()
    tally = Tally()
    sim.observe(tally)
    ping(sim, A, B, hops=1)
    sim.run_until_quiet(1_000)
    assert tally.seen == kinds(sim.trace.events[2:])
    snapshot = copy.deepcopy(sim)
    ping(snapshot, A, B)
    snapshot.run_until_quiet(2_000)
    copied = snapshot.trace.observers[0]
    assert isinstance(copied, Tally) and copied is not tally
    assert len(copied.seen) > len(tally.seen)


def test_a_node_failure_names_the_seed_and_the_story() -> None:
    sim = make_sim(seed=1234)
    bouncer(sim, B).inputs.append(("message", "poison"))
    ping(sim, A, B)
    with pytest.raises(AssertionError) as failure:
        sim.run_until_quiet(1_000)
    notes = "\n".join(getattr(failure.value, "__notes__", []))
    assert "seed=1234" in notes and "b            receives #1 from a" in notes


def test_pending_offers_connection_heads_notices_and_due_timers_in_a_stable_order() -> None:
    sim = make_sim(nodes=(A, B, C))
    ping(sim, B, A)
    ping(sim, A, B)
    ping(sim, A, B)  # second on a -> b: not offered until the first is delivered
    sim.call(C, lambda node, _: [SetTimer(name="soon", at_ms=Millis(0))])
    sim.call(C, lambda node, _: [SetTimer(name="later", at_ms=Millis(99))])
    sim.partition({C}, {A, B})
    sim.call(C, lambda node, _: node.ping(A, 0), kind=Bouncer)  # refused: across the partition
    choices = sim.pending()
    assert choices == [
        DeliverMessage(sender=A, receiver=B, sequence=2, message=Ping(hops=0)),
        DeliverMessage(sender=B, receiver=A, sequence=1, message=Ping(hops=0)),
        ReportLoss(node_id=C, peer=A, sequence=sim.network.untold()[0][2]),
        FireTimer(node_id=C, name="soon", at_ms=Millis(0)),
    ]
    sim.deliver(choices[0])
    assert sim.now_ms == 0, "a chosen step happens now"
    second = DeliverMessage(sender=A, receiver=B, sequence=3, message=Ping(hops=0))
    assert sim.pending()[0] == second


def test_a_chosen_delivery_makes_its_scheduled_event_stale() -> None:
    sim = make_sim()
    ping(sim, A, B)
    sim.deliver(sim.pending()[0])
    delivered_before = sum(isinstance(e, Delivered) for e in sim.trace.events)
    sim.run_until_quiet(1_000)
    assert sum(isinstance(e, Delivered) for e in sim.trace.events) == delivered_before


def test_statistics_count_what_happened() -> None:
    sim = make_sim()
    ping(sim, A, B, hops=1)
    sim.run_until_quiet(1_000)
    stats = sim.statistics()
    assert (stats.sent, stats.delivered, stats.dropped, stats.in_flight) == (2, 2, 0, 0)
    assert stats.now_ms == sim.now_ms


def test_every_event_kind_has_a_line_in_the_story() -> None:
    sim = make_sim()
    ping(sim, A, B)
    sim.call(A, lambda node, now: [SetTimer(name="t", at_ms=now)])
    sim.partition({A})
    sim.run_until_quiet(500)
    sim.heal()
    sim.crash(B, disk="power")
    sim.restart(B)
    seen = {type(event) for event in sim.trace.events}
    assert seen >= {Started, Called, Sent, Dropped, ConnectionLost, TimerFired, Crashed, Restarted}
    story = sim.trace.story()
    for words in ("starts", "is called", "drops #", "is told", "fires", "partition:", "heals"):
        assert words in story
    assert "crashes (disk=power" in story and "restarts on its surviving disk" in story


@pytest.mark.parametrize("seed", range(12))
def test_a_restarted_node_is_answered_on_a_fresh_connection(seed: int) -> None:
    """A restarted node that sends at once may reach its peer before the peer's notice of the
    old connection's break does: the peer is then told of the break first, takes the message,
    and its answer arrives (a new TCP socket, not the dead one)."""
    sim = make_sim(seed)
    ping(sim, A, B)
    sim.run_until_quiet(1000)  # a -> b and b -> a both exist
    sim.crash(A)
    sim.restart(A)
    ping(sim, A, B, hops=1)  # sent in the same millisecond as the restart
    sim.run_until_quiet(2000)
    seen_by_b = bouncer(sim, B).inputs
    assert seen_by_b.index(("lost", A)) < next(
        i
        for i, (kind, what) in enumerate(seen_by_b)
        if kind == "message" and what == (A, 1, what[2])  # type: ignore[index]
    ), seen_by_b
    answers = [what for kind, what in bouncer(sim, A).inputs if kind == "message"]
    assert len(answers) == 1, "the answer was swallowed by the broken connection"
