"""The replication bench refuses nonsense quietly and checks what it promises to check.

The bench is the surface every replication test, replay and tutorial drives, so its verbs must
do nothing harmful when asked the impossible (crash a broker that is down, restart one that
runs, deliver when nothing is pending, produce when nobody leads), and its two modes must differ
exactly as documented: strict raises at the first violation with the spec ID first, collecting
records every violated ID and carries on.
"""

from __future__ import annotations

import pytest
from glasskafka.bugs import BugFlags
from glasskafka.ids import NodeId
from glasskafka.protocol.messages.produce import ProduceResponse
from glasskafka.sim.kafka_snapshot import Acks

from model_tests.replication_bench import ReplicationBench, ReplicationConfig
from model_tests.replication_scenarios import ACK_BEFORE_HW
from model_tests.replication_script import perform


def test_impossible_requests_change_nothing() -> None:
    bench = ReplicationBench(ReplicationConfig(), seed=1)
    before = bench.latest
    assert bench.restart(1) is False, "broker 1 is running"
    assert bench.deliver_first(ProduceResponse, to=NodeId("producer-1")) is False
    assert bench.latest == before
    assert bench.crash(2) is True and bench.crash(2) is False
    assert bench.expire_session(2) is False, "a broker that is down has no session to expire"


def test_nothing_pending_and_nobody_leading_are_reported_not_raised() -> None:
    bench = ReplicationBench(ReplicationConfig(replication_factor=2), seed=1)
    for broker in (1, 2):
        bench.crash(broker)
    bench.run_for(10_000)
    assert bench.presumed_leaders() == []
    assert bench.produce(Acks.ALL) is None and bench.records == []
    assert bench.consume() is False
    while bench.cluster.sim.pending():
        bench.deliver(0)
    assert bench.deliver(7) == "nothing pending"


def test_the_consumer_sends_one_request_at_a_time() -> None:
    bench = ReplicationBench(ReplicationConfig(), seed=1)
    assert bench.consume() is True
    assert bench.consume() is False, "the first fetch is still waiting for its answer"


def test_strict_mode_raises_with_the_spec_id_first() -> None:
    bench = ReplicationBench(ACK_BEFORE_HW.configured(flag_on=True), seed=0)
    with pytest.raises(AssertionError, match=r"^REPL-(4|5) violated"):
        for _, step in ACK_BEFORE_HW.steps:
            perform(bench, step)


def test_collecting_mode_records_every_violation_and_carries_on() -> None:
    config = ReplicationConfig(bugs=BugFlags.only("ack_before_hw"))
    bench = ReplicationBench(config, seed=0, strict=False)
    for _, step in ACK_BEFORE_HW.steps:
        perform(bench, step)
    assert {"REPL-4", "REPL-5"} <= set(bench.violations)
    assert all(messages for messages in bench.violations.values())
    assert bench.inputs_checked > 100, "the run went on to the end"


def test_heal_waits_for_the_cut_off_sessions_to_expire() -> None:
    bench = ReplicationBench(ReplicationConfig(), seed=1)
    cut_at = bench.now_ms
    bench.isolate(2)
    bench.isolate(3)
    assert bench.isolated == {2, 3}
    bench.heal()
    assert bench.isolated == set()
    assert bench.now_ms - cut_at >= 6_000, "the sessions (6 s) expired before the heal"
    bench.run_for(10_000)
    server = bench.cluster.server
    assert all(server.znode(f"/brokers/ids/{b}") is not None for b in (2, 3)), "registered again"
