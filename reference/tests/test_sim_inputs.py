"""Bad input to the simulator: a clear error naming what was wrong, and nothing changed.

The simulator's public methods are an input surface (test authors, tutorials, exercises), so each
is fed malformed and hostile values.  Every refusal raises ``GlassKafkaError`` with a message
naming the value and what is allowed, and leaves the simulation exactly as it was -- checked by
comparing a deep copy taken before the call.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable

import pytest
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Node, Output, SetTimer
from glasskafka.sim import (
    DeliverMessage,
    FireTimer,
    NetworkConfig,
    ReportLoss,
    Simulator,
)
from glasskafka.storage import SimDisk

A, B = NodeId("a"), NodeId("b")


class Quiet(Node):
    """A node that does nothing on its own."""

    def __init__(self, node_id: NodeId, disk: SimDisk, rng: random.Random) -> None:
        self.node_id = node_id

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return []


def make_sim() -> Simulator:
    sim = Simulator(seed=9)
    sim.add_node(A, Quiet)
    sim.add_node(B, Quiet)
    sim.crash(B)
    return sim


def same_state(before: Simulator, after: Simulator) -> bool:
    """Whether two simulations hold the same data (their nodes compared by their fields)."""
    return (
        before.trace.events == after.trace.events
        and before.clock == after.clock
        and before.queue == after.queue
        and before.network == after.network
        and sorted(before.hosts) == sorted(after.hosts)
        and all(
            (a.disk, a.incarnation, a.timers) == (b.disk, b.incarnation, b.timers)
            and (vars(a.node) == vars(b.node) if a.node and b.node else a.node is b.node is None)
            for a, b in zip(before.hosts.values(), after.hosts.values(), strict=True)
        )
    )


BAD_CALLS: dict[str, tuple[Callable[[Simulator], object], str]] = {
    "crash an unknown node": (lambda s: s.crash(NodeId("zz")), "no node 'zz'.*known: 'a', 'b'"),
    "crash a node that is down": (lambda s: s.crash(B), "already down"),
    "crash with an unknown disk": (lambda s: s.crash(A, disk="melt"), "'keep', 'power', 'lossy'"),
    "crash with no disk kind": (lambda s: s.crash(A, disk=None), "disk=None"),  # type: ignore[arg-type]
    "restart a running node": (lambda s: s.restart(A), "is running"),
    "restart an unknown node": (lambda s: s.restart(NodeId("")), "no node ''"),
    "partition with no groups": (lambda s: s.partition(), "at least one group"),
    "partition by a bare name": (lambda s: s.partition("ab"), "collection of node ids"),  # type: ignore[arg-type]
    "partition by a number": (lambda s: s.partition(42), "collection of node ids"),  # type: ignore[arg-type]
    "partition an unknown node": (lambda s: s.partition({NodeId("zz")}), "no node 'zz'"),
    "partition a node twice": (lambda s: s.partition({A}, {A, B}), "'a' is in two"),
    "partition an empty group": (lambda s: s.partition(set()), "must not be empty"),
    "call a node that is down": (lambda s: s.call(B, lambda n, t: []), "'b' is down"),
    "call the wrong kind": (lambda s: s.call(A, lambda n, t: [], kind=SimDiskNode), "not a"),
    "deliver a non-choice": (lambda s: s.deliver("first"), "one of pending"),  # type: ignore[arg-type]
    "deliver a forged message": (
        lambda s: s.deliver(DeliverMessage(sender=A, receiver=B, sequence=99, message=Message())),
        "not pending",
    ),
    "deliver a forged notice": (
        lambda s: s.deliver(ReportLoss(node_id=A, peer=B, sequence=1)),
        "not pending",
    ),
    "fire a timer that is not set": (
        lambda s: s.deliver(FireTimer(node_id=A, name="t", at_ms=Millis(0))),
        "not pending",
    ),
    "fire a timer of an unknown node": (
        lambda s: s.deliver(FireTimer(node_id=NodeId("zz"), name="t", at_ms=Millis(0))),
        "not pending",
    ),
    "advance time backwards": (lambda s: s.advance_time(-1), "duration_ms=-1"),
    "advance time by text": (lambda s: s.advance_time("5"), "duration_ms='5'"),  # type: ignore[arg-type]
    "run for a negative time": (lambda s: s.run_for(-5), "duration_ms=-5"),
    "run until the past": (lambda s: s.run_until(lambda _: True, deadline_ms=-1), "deadline_ms"),
    "run until quiet by text": (lambda s: s.run_until_quiet("soon"), "deadline_ms"),  # type: ignore[arg-type]
    "add a node twice": (lambda s: s.add_node(A, Quiet), "already in the simulation"),
    "add a nameless node": (lambda s: s.add_node(NodeId(""), Quiet), "non-empty string"),
    "add a node named by a number": (lambda s: s.add_node(7, Quiet), "non-empty string"),  # type: ignore[arg-type]
    "add a node whose factory misnames it": (
        lambda s: s.add_node(NodeId("c"), lambda _, disk, rng: Quiet(NodeId("d"), disk, rng)),
        "node_id='d'; it must be 'c'",
    ),
}


class SimDiskNode(Quiet):
    """A node class that no node in these tests is."""


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_input_is_refused_and_changes_nothing(case: str) -> None:
    action, message = BAD_CALLS[case]
    sim = make_sim()
    sim.call(A, lambda node, _: [SetTimer(name="later", at_ms=Millis(50))])
    before = copy.deepcopy(sim)
    with pytest.raises(GlassKafkaError, match=message):
        action(sim)
    assert same_state(before, sim), f"{case}: the refused call changed the simulation"


def test_a_timer_not_yet_due_cannot_be_fired() -> None:
    sim = make_sim()
    sim.call(A, lambda node, _: [SetTimer(name="later", at_ms=Millis(50))])
    with pytest.raises(GlassKafkaError, match="not pending"):
        sim.deliver(FireTimer(node_id=A, name="later", at_ms=Millis(50)))
    sim.advance_time(50)
    sim.deliver(FireTimer(node_id=A, name="later", at_ms=Millis(50)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_delay_ms": 0}, "min_delay_ms=0"),
        ({"min_delay_ms": -3}, "min_delay_ms=-3"),
        ({"max_delay_ms": "10"}, "max_delay_ms='10'"),
        ({"min_delay_ms": True}, "min_delay_ms=True"),
        ({"min_delay_ms": 5, "max_delay_ms": 4}, "max_delay_ms=4 is below min_delay_ms=5"),
    ],
)
def test_network_config_names_the_bad_bound(options: dict[str, object], message: str) -> None:
    with pytest.raises(GlassKafkaError, match=message):
        NetworkConfig(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", ["1", 1.5, None, True])
def test_the_seed_must_be_an_integer(seed: object) -> None:
    with pytest.raises(GlassKafkaError, match="seed"):
        Simulator(seed=seed)  # type: ignore[arg-type]


def test_a_node_that_returns_garbage_fails_loudly_with_the_seed() -> None:
    sim = make_sim()
    with pytest.raises(AssertionError) as failure:
        sim.call(A, lambda node, _: ["not an output"])  # type: ignore[list-item]
    assert any("seed=9" in note for note in getattr(failure.value, "__notes__", []))
