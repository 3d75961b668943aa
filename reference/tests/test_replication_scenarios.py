"""Scripted, deterministic replays of the anomaly scenarios of reference §5.

Each scenario of ``model_tests/replication_scenarios.py`` is played twice on the simulated
cluster, every replication spec checked after every input: once with its bug flag on (or its
unsafe setting), where the anomaly must show as exactly the spec IDs the scenario breaks, and
once with the flag off (or the safe control), where nothing may break at all.  The model suite
(``model_tests/test_replication_teeth.py``) shows that Hypothesis finds the same violations on
its own; these replays show each one step by step, fast and the same every time.

S8, S9 and S10 need no bug: an unclean election with ``min.insync.replicas=1``, ``acks=1`` /
``acks=0``, and a lossy crash of the last ISR member lose acknowledged (or sent) records, and the
tests assert that the loss really happens -- while the same scripts on safe settings lose
nothing, and REPL-5 (scoped to acks=all with a full enough ISR) holds wherever it should.
"""

from __future__ import annotations

import pytest
from glasskafka.bugs import CATALOGUE
from glasskafka.ids import BrokerId
from glasskafka.sim.kafka_snapshot import Acks, ClusterSnapshot

from model_tests.replication_scenarios import (
    ACK_BEFORE_HW,
    S1,
    S3,
    S4,
    S5,
    S6,
    S7,
    S8,
    S9,
    S9_ACKS_0,
    S10,
    SCENARIOS,
)
from model_tests.replication_script import Replay, Scenario, play

FLAGGED = [S1, S3, S4, S5, S6, S7, ACK_BEFORE_HW]


def replay(scenario: Scenario, *, flag_on: bool) -> Replay:
    return play(scenario, flag_on=flag_on)


def holders(snapshot: ClusterSnapshot, record: str, offset: int) -> list[int]:
    """The brokers whose replica of ``t-0`` holds ``record`` at ``offset``."""
    (partition,) = snapshot.partitions
    return [
        r.broker_id
        for r in partition.replicas
        if r.entry_at(offset) == (record, r.epoch_at(offset))
    ]


def final(replay: Replay) -> ClusterSnapshot:
    return replay.snapshots[-1][1]


# ---------------------------------------------------------------------------------------------
# The bug flags: the anomaly with the flag, nothing without it


@pytest.mark.parametrize("scenario", FLAGGED, ids=lambda s: s.name)
def test_the_flag_brings_back_exactly_the_scenarios_violations(scenario: Scenario) -> None:
    assert scenario.flag is not None
    with_flag = replay(scenario, flag_on=True)
    broken = set(with_flag.violations)
    assert set(scenario.breaks) <= broken, (
        f"{scenario.name}: expected {scenario.breaks}, saw {sorted(broken)}"
    )
    # Whatever else breaks is a consequence the catalogue or the reference names.
    allowed = set(scenario.breaks) | set(CATALOGUE[scenario.flag].breaks)
    allowed |= {"REPL-1", "REPL-2", "REPL-3", "REPL-4", "REPL-5", "REPL-14", "REPL-15", "LIVE-2"}
    assert broken <= allowed, f"{scenario.name}: unexpected {sorted(broken - allowed)}"


@pytest.mark.parametrize("scenario", FLAGGED, ids=lambda s: s.name)
def test_without_the_flag_the_same_script_breaks_nothing(scenario: Scenario) -> None:
    without = replay(scenario, flag_on=False)
    assert without.violations == {}, f"{scenario.name}: {without.violations}"


def test_every_scenario_flag_is_a_catalogued_broker_bug() -> None:
    for scenario in FLAGGED:
        assert scenario.flag in CATALOGUE
        assert CATALOGUE[scenario.flag].location.startswith("glasskafka/broker/")


def test_s1_the_restarted_follower_cut_m2_and_was_elected_without_it() -> None:
    played = replay(S1, flag_on=True)
    captions = [caption for caption, _ in played.snapshots]
    follows = played.snapshots[captions.index(S1.steps[6][0])][1]
    assert holders(follows, "m2", 1) == [1], "2 cut m2 off its log when it followed again"
    end = final(played)
    assert end.partitions[0].zk_state.leader == 2
    assert holders(end, "m2", 1) == []
    assert "REPL-14" in played.violations  # the truncation itself removed committed data


def test_s3_divergence_persists_after_everyone_reconciled() -> None:
    played = replay(S3, flag_on=True)
    (partition,) = final(played).partitions
    leader, follower = partition.replica(BrokerId(1)), partition.replica(BrokerId(2))
    assert leader is not None and follower is not None
    assert (leader.entry_at(1), follower.entry_at(1)) == (("m2", 0), ("m3", 1))
    assert min(leader.high_watermark, follower.high_watermark) > 1
    healthy = final(replay(S3, flag_on=False)).partitions[0]
    assert {r.log for r in healthy.replicas} == {(("m1", 0), ("m2", 0))}


def test_s4_the_follower_keeps_a_record_of_an_epoch_it_skipped() -> None:
    (partition,) = final(replay(S4, flag_on=True)).partitions
    stale = partition.replica(BrokerId(3))
    assert stale is not None and stale.entry_at(0) == ("m1", 0)
    assert partition.zk_state.leader == 1 and 3 in partition.zk_state.isr


def test_s5_the_leader_serves_and_counts_a_fetch_from_an_older_epoch() -> None:
    messages = replay(S5, flag_on=True).violations["REPL-12"]
    assert any("carrying epoch 0" in m and "not FENCED_LEADER_EPOCH" in m for m in messages)


def test_s6_the_empty_replica_joins_the_isr_and_is_elected() -> None:
    played = replay(S6, flag_on=True)
    assert any("at LEO 0" in m for m in played.violations["REPL-13"])
    (partition,) = final(played).partitions
    assert partition.zk_state.leader == 1 and holders(final(played), "m1", 0) == []


def test_s7_the_hw_moved_over_the_proposed_isr_and_the_lagging_replica_won() -> None:
    played = replay(S7, flag_on=True)
    assert any("leaving out {3}" in m for m in played.violations["REPL-8"])
    assert final(played).partitions[0].zk_state.leader == 3
    assert holders(final(played), "m1", 0) == []


def test_ack_before_hw_acknowledges_a_record_nobody_else_has() -> None:
    played = replay(ACK_BEFORE_HW, flag_on=True)
    ghost = final(played).partitions[0].ghost
    assert [(a.record, a.acks) for a in ghost.acked_all] == [("m1", Acks.ALL), ("m2", Acks.ALL)]
    assert holders(final(played), "m2", 1) == []
    refused = final(replay(ACK_BEFORE_HW, flag_on=False)).partitions[0].ghost
    assert [a.record for a in refused.acked] == ["m1"]  # m2 never answered as a success


# ---------------------------------------------------------------------------------------------
# S8, S9, S10: settings that lose data on purpose


def test_s8_unclean_election_with_min_isr_1_loses_an_acknowledged_record() -> None:
    played = replay(S8, flag_on=True)
    assert {"REPL-4", "REPL-5", "REPL-6"} <= set(played.violations)
    (partition,) = final(played).partitions
    acked = {a.record: a.offset for a in partition.ghost.acked_all}
    assert acked == {"m1": 0, "m2": 1, "m3": 1}, "m2 and m3 were both acknowledged at offset 1"
    assert holders(final(played), "m2", 1) == [] and holders(final(played), "m3", 1) == [1, 2, 3]
    assert (1, "m2") in partition.ghost.consumed and (1, "m3") in partition.ghost.consumed


def test_s8_safe_settings_refuse_the_write_and_wait_instead() -> None:
    played = replay(S8, flag_on=False)
    assert played.violations == {}
    ghost = final(played).partitions[0].ghost
    assert [a.record for a in ghost.acked_all] == ["m1"]
    assert dict(ghost.nacked)["m2"].name == "NOT_ENOUGH_REPLICAS_AFTER_APPEND"


@pytest.mark.parametrize("scenario", [S9, S9_ACKS_0], ids=["acks=1", "acks=0"])
def test_s9_low_acks_lose_a_record_without_breaking_repl_5(scenario: Scenario) -> None:
    played = replay(scenario, flag_on=False)
    assert played.violations == {}, "REPL-5 leaves acks=0/1 records out by design"
    captions = [caption for caption, _ in played.snapshots]
    appended = played.snapshots[captions.index(scenario.steps[3][0])][1]
    assert holders(appended, "m2", 1) == [1], "the leader had m2"
    assert all(holders(final(played), record, 1) == [] for record in ("m2",))
    ghost = final(played).partitions[0].ghost
    expected = [("m2", Acks.ONE)] if scenario is S9 else []
    assert [(a.record, a.acks) for a in ghost.acked if a.record == "m2"] == expected


def test_s10_a_lossy_crash_of_the_last_isr_member_loses_committed_data() -> None:
    played = replay(S10, flag_on=True)
    assert {"REPL-15", "REPL-2", "REPL-5"} <= set(played.violations)
    assert holders(final(played), "m1", 0) == []
    kept = replay(S10, flag_on=False)
    assert kept.violations == {}
    assert holders(final(kept), "m1", 0) == [1, 2, 3]


def test_every_scenario_is_listed_once() -> None:
    assert sorted(SCENARIOS) == sorted(s.name for s in (*FLAGGED, S8, S9, S9_ACKS_0, S10))


def test_replays_are_deterministic() -> None:
    first, second = replay(S1, flag_on=True), replay(S1, flag_on=True)
    assert first.snapshots == second.snapshots and first.violations == second.violations
