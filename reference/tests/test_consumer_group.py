"""Consumers in a group, in the simulator, against a fake broker that hosts the real coordinator.

Transcripts of the stories a course tells about consumer groups: a second member joins and the
partitions are split; a member leaves and hands its partitions over; a member dies and the group
notices at its session timeout; a slow poller is pushed out by ``max.poll.interval.ms``; a
cooperative rebalance moves only what must move.  Simulated time is deterministic, so the tests
name the moments at which things happen.
"""

from __future__ import annotations

from copy import deepcopy

from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import PollResult, RebalanceEvent
from glasskafka.config import config_from_properties
from glasskafka.history import Verdict, check_history
from glasskafka.ids import NodeId
from glasskafka.sim import Simulator

from model_tests.test_consumer_harness import BROKER, FakeBroker, HistoryLog, blocking
from specs.catalogue import check
from specs.delivery import at_least_once_per_group, one_owner_per_generation

C1, C2 = NodeId("c1"), NodeId("c2")
BASE = {
    "group.id": "g",
    "auto.offset.reset": "earliest",
    "session.timeout.ms": "10000",
    "heartbeat.interval.ms": "1000",
    "auto.commit.interval.ms": "1000",
    "max.poll.interval.ms": "20000",
    "partition.assignment.strategy": "range",
}


def cluster(**overrides: str) -> Simulator:
    """A fake broker with topic ``orders`` (four partitions, two records each) and two
    consumers, ``c1`` and ``c2``, configured alike (not yet subscribed)."""
    config = config_from_properties(
        ConsumerConfig, BASE | {k.replace("_", "."): v for k, v in overrides.items()}
    )
    sim = Simulator(seed=7)
    sim.add_node(BROKER, lambda n, d, rng: FakeBroker(n, topics={"orders": 4}, rng=rng))
    for member in (C1, C2):
        sim.add_node(
            member, lambda n, d, rng: ConsumerNode(n, config=config, rng=rng, record_history=True)
        )
    broker = sim.node_as(BROKER, FakeBroker)
    for index in range(8):
        broker.produce("orders", index % 4, [(None, f"v{index}".encode())])
    return sim


def subscribe(sim: Simulator, member: NodeId) -> None:
    sim.call(member, lambda c, now: c.subscribe(["orders"], now), kind=ConsumerNode)


def poll(sim: Simulator, member: NodeId, timeout_ms: int = 1000) -> PollResult:
    result = blocking(sim, member, lambda c, now: c.poll(timeout_ms, now))
    assert isinstance(result, PollResult)
    return result


def owned(sim: Simulator, member: NodeId) -> list[int]:
    return sorted(p for _, p in sim.node_as(member, ConsumerNode).assignment())


def callbacks(sim: Simulator, member: NodeId) -> list[tuple[str, list[int], int]]:
    history = sim.node_as(member, ConsumerNode).history or []
    return [
        (e.kind.value, sorted(p for _, p in e.partitions), e.generation)
        for e in history
        if isinstance(e, RebalanceEvent)
    ]


def test_a_second_member_joins_and_the_partitions_are_split() -> None:
    sim = cluster()
    subscribe(sim, C1)
    first = poll(sim, C1)
    assert len(first.records) == 8 and owned(sim, C1) == [0, 1, 2, 3]
    subscribe(sim, C2)
    poll(sim, C2)  # c2's JoinGroup waits for c1 to rejoin, which c1 does in its next poll
    poll(sim, C1)
    poll(sim, C2)
    assert owned(sim, C1) == [0, 1] and owned(sim, C2) == [2, 3]
    assert callbacks(sim, C1) == [
        ("assigned", [0, 1, 2, 3], 1),
        ("revoked", [0, 1, 2, 3], 1),  # eager (range): give everything up before rejoining
        ("assigned", [0, 1], 2),
    ]
    assert callbacks(sim, C2) == [("assigned", [2, 3], 2)]


def test_a_member_that_leaves_hands_its_partitions_over() -> None:
    sim = cluster()
    for member in (C1, C2):
        subscribe(sim, member)
    for _ in range(2):
        poll(sim, C1)
        poll(sim, C2)
    assert owned(sim, C1) == [0, 1] and owned(sim, C2) == [2, 3]
    blocking(sim, C2, lambda c, now: c.close(now))
    left_at = sim.now_ms
    poll(sim, C1)
    poll(sim, C1)
    assert owned(sim, C1) == [0, 1, 2, 3]
    assert sim.now_ms - left_at < 10000  # LeaveGroup: no waiting for the session timeout
    assert callbacks(sim, C2)[-1] == ("revoked", [2, 3], 2)


def test_a_member_that_dies_is_evicted_at_its_session_timeout() -> None:
    sim = cluster()
    for member in (C1, C2):
        subscribe(sim, member)
    for _ in range(2):
        poll(sim, C1)
        poll(sim, C2)
    sim.crash(C2)
    died_at = sim.now_ms
    while owned(sim, C1) != [0, 1, 2, 3]:
        poll(sim, C1)
        assert sim.now_ms - died_at < 30000
    # The coordinator waited for c2's session (10 s) before it gave c1 the rest.
    assert sim.now_ms - died_at >= 10000


def test_a_slow_poller_is_pushed_out_and_its_partitions_are_lost() -> None:
    sim = cluster(max_poll_interval_ms="8000")
    for member in (C1, C2):
        subscribe(sim, member)
    for _ in range(2):
        poll(sim, C1)
        poll(sim, C2)
    for _ in range(10):  # c1 keeps polling; c2's application is stuck for 10 s
        poll(sim, C1)
    assert owned(sim, C1) == [0, 1, 2, 3]
    poll(sim, C2)  # c2 comes back: it left the group, so its partitions count as lost
    assert ("lost", [2, 3], -1) in callbacks(sim, C2)


def test_a_cooperative_rebalance_moves_only_what_must_move() -> None:
    sim = cluster(partition_assignment_strategy="cooperative-sticky")
    subscribe(sim, C1)
    poll(sim, C1)
    subscribe(sim, C2)
    for _ in range(3):
        poll(sim, C2)
        poll(sim, C1)
    assert owned(sim, C1) == [0, 1] and owned(sim, C2) == [2, 3]
    kinds = callbacks(sim, C1)
    # c1 never gives up 0 and 1; it revokes 2 and 3 after the first round, and c2 gets them in
    # the second (KIP-429).
    assert ("revoked", [2, 3], 2) in kinds
    assert all(not (kind == "revoked" and 0 in parts) for kind, parts, _ in kinds)
    assert callbacks(sim, C2)[-1] == ("assigned", [2, 3], 3)


def test_a_pattern_subscription_follows_the_topics() -> None:
    sim = cluster()
    sim.call(C1, lambda c, now: c.subscribe_pattern("ord.*", now), kind=ConsumerNode)
    assert len(poll(sim, C1).records) == 8
    assert owned(sim, C1) == [0, 1, 2, 3]


def test_the_history_checker_judges_a_run_with_crashes_valid() -> None:
    """Members process each poll before the next; one crashes and restarts.  The delivery
    specs and the history checker find nothing wrong (at-least-once, one owner)."""
    sim = cluster()
    log = HistoryLog()
    for member in (C1, C2):
        subscribe(sim, member)
    for round_ in range(6):
        if round_ == 3:
            log.collect(C2, sim.node_as(C2, ConsumerNode), 2, "g")
            sim.crash(C2)
            log.crashed(sim.now_ms, 2, "c2")
        for index, member in enumerate((C1, C2), start=1):
            if not sim.is_up(member):
                continue
            result = poll(sim, member)
            log.collect(member, sim.node_as(member, ConsumerNode), index, "g")
            log.processed(sim.now_ms, index, str(member), result.records)
        sim.run_for(1500)
    for offset in range(2):
        for partition in range(4):
            log.sent(0, "orders", partition, offset, f"v{offset * 4 + partition}")
    log.collect(C1, sim.node_as(C1, ConsumerNode), 1, "g")
    history = log.history()
    check("DELIV-19", at_least_once_per_group(history))
    check("DELIV-21", one_owner_per_generation(history))
    report = check_history(history)
    assert report.verdict is Verdict.VALID, report


def _run(sim: Simulator) -> str:
    subscribe(sim, C1)
    poll(sim, C1)
    subscribe(sim, C2)
    for _ in range(3):
        poll(sim, C2)
        poll(sim, C1)
    return sim.trace.story(0)


def test_the_same_seed_gives_the_same_story() -> None:
    """Determinism (DESIGN §7): consumers, coordinator and broker replay exactly."""
    assert _run(cluster()) == _run(cluster())


def test_a_copied_simulation_continues_exactly_as_the_original() -> None:
    """Node state is plain data: a deep copy mid-rebalance carries on identically."""
    original = cluster()
    subscribe(original, C1)
    poll(original, C1)
    subscribe(original, C2)
    original.run_for(30)
    copy = deepcopy(original)
    for sim in (original, copy):
        for _ in range(3):
            poll(sim, C2)
            poll(sim, C1)
    assert original.trace.story(0) == copy.trace.story(0)
    assert owned(copy, C1) == owned(original, C1) == [0, 1]
