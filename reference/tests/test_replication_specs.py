"""The replication state invariants judged on hand-built snapshots, and the page that explains them.

Every state invariant and liveness property of ``specs/replication.py`` holds on a healthy
cluster and is violated on at least one hand-built snapshot: the predicates' own teeth.  The
anomaly scenarios S1-S10 of ``reference/replication-invariants.md`` §5, built in
``model_tests/replication_snapshots.py`` at the moment their anomaly shows, must break at least
the invariants the reference lists for them; the exact set each breaks is pinned here, so a
predicate that starts firing too often (or too rarely) is noticed.  The transition properties
are tested in ``test_replication_steps.py``.

Last, ``docs/concepts/replication.md``: it names every invariant, scenario and bug flag, every
picture on it renders, and its generated picture is exactly what ``glasskafka.viz.cluster``
draws from the S1 snapshot.  In between, the ghost recorder's update rules (reference §2).

Spec IDs: REPL-1..9, REPL-11, REPL-15, LIVE-1..3 (and the page: all of REPL, CTRL-1, LIVE).

Simplified from Kafka: Kafka tests these properties in TLA+ models and system tests, not on
hand-built states; the states here are the reference's traces, frozen at the telling moment.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import subprocess
from collections.abc import Callable

import pytest
from glasskafka.errors import ErrorCode
from glasskafka.ids import (
    BrokerId,
    Epoch,
    Offset,
    PartitionId,
    ProducerEpoch,
    ProducerId,
    Sequence,
    TopicName,
)
from glasskafka.sim.kafka_snapshot import (
    Acks,
    BrokerSnapshot,
    ClusterSnapshot,
    GhostRecorder,
    PartitionMetadata,
    ProducerAck,
    ReplicaRole,
)
from glasskafka.viz.cluster import cluster_dot

import specs.replication as state
from model_tests import replication_snapshots as snap
from model_tests.replication_snapshots import (
    ack,
    change,
    change_partition,
    change_zk,
    entries,
    ghost,
    healthy,
    ids,
)
from model_tests.support import require_tool
from specs.catalogue import REGISTRY, check, load_all

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts" / "replication.md"

STATE: dict[str, Callable[[ClusterSnapshot], list[str]]] = {
    "REPL-1": state.committed_prefix_agreement,
    "REPL-2": state.candidate_completeness,
    "REPL-3": state.weak_isr,
    "REPL-4": state.leader_completeness,
    "REPL-5": state.no_loss_of_acks_all,
    "REPL-6": state.consistent_reads,
    "REPL-7": state.leader_in_isr,
    "REPL-8": state.quorum_superset,
    "REPL-9": state.watermark_sanity,
    "REPL-11": state.one_true_leader_per_epoch,
    "REPL-15": state.unclean_exclusion,
    "LIVE-1": state.eventual_answer,
    "LIVE-2": state.eventual_full_replication,
    "LIVE-3": state.metadata_convergence,
}


def test_the_table_covers_every_spec_of_the_module() -> None:
    load_all()
    registered = {i for i, entry in REGISTRY.items() if entry.module == "specs.replication"}
    assert registered == set(STATE)
    assert all(REGISTRY[i].kind == "state" for i in STATE)


@pytest.mark.parametrize("spec_id", sorted(STATE))
def test_every_state_invariant_holds_on_a_healthy_cluster(spec_id: str) -> None:
    assert STATE[spec_id](healthy()) == []


# ---------------------------------------------------------------------------------------------
# Teeth: each predicate finds its violation, in words that name brokers, offsets and records


def _not_in_isr() -> ClusterSnapshot:
    return change_zk(healthy(), isr=ids(2, 3))


def _empty_isr() -> ClusterSnapshot:
    return change_zk(healthy(), leader=None, isr=frozenset())


def _hw_above_leo() -> ClusterSnapshot:
    return change(healthy(), 3, high_watermark=Offset(3))


def _hw_above_fetch() -> ClusterSnapshot:
    return change(healthy(), 2, high_watermark=Offset(3))


def _hw_above_true_hw() -> ClusterSnapshot:
    return change(healthy(), 1, high_watermark=Offset(3))


def _two_grants() -> ClusterSnapshot:
    return change_partition(healthy(), ghost=ghost("m1/1 m2/1", granted=[(1, 1), (2, 1)]))


def _zombie_without_grant() -> ClusterSnapshot:
    return change(healthy(), 2, role=ReplicaRole.LEADER, leader_epoch=Epoch(2), isr=ids(2))


def _zombie_isr_view() -> ClusterSnapshot:
    # Leader 1 still counts 3 in its ISR view, but 3 holds m9 where the leader made m2 visible.
    return change(healthy(), 3, log=entries("m1/1 m9/2"), epoch_cache=((Epoch(1), Offset(0)),))


def _unanswered_retry() -> ClusterSnapshot:
    p = healthy().partitions[0]
    return change_partition(
        healthy(), ghost=dataclasses.replace(p.ghost, sent=(*p.ghost.sent, "m2"))
    )


def _ack_not_replicated() -> ClusterSnapshot:
    p = healthy().partitions[0]
    acked = (*p.ghost.acked, ack("m3", 2, isr=3))
    return change_partition(healthy(), ghost=dataclasses.replace(p.ghost, acked=acked))


def _stale_metadata() -> ClusterSnapshot:
    stale = PartitionMetadata(
        topic=snap.T, partition=snap.P0, leader=BrokerId(2), leader_epoch=Epoch(0), isr=ids(2)
    )
    broker = BrokerSnapshot(broker_id=BrokerId(3), controller_epoch=Epoch(1), metadata=(stale,))
    return dataclasses.replace(healthy(), brokers=(*healthy().brokers[:2], broker))


def _no_metadata() -> ClusterSnapshot:
    broker = BrokerSnapshot(broker_id=BrokerId(3), controller_epoch=Epoch(1))
    return dataclasses.replace(healthy(), brokers=(*healthy().brokers[:2], broker))


VIOLATED: list[tuple[str, Callable[[], ClusterSnapshot], str]] = [
    ("REPL-1", snap.s3_after_step_5, "offset 1 is below the HW of broker 1 (3) and of broker 2"),
    ("REPL-1", snap.s4_after_step_4, "they hold y@0/2 and x@0/0"),
    ("REPL-1", snap.s5_after_step_6, "they hold d@2/1 and c@2/0"),
    ("REPL-2", snap.s1_after_step_5, "broker 1 is in the ZK ISR {1} but lacks committed m2@1/1"),
    ("REPL-2", snap.s7_step_2, "broker 3 is in the ZK ISR {1, 2, 3} but lacks committed m1@0/1"),
    ("REPL-3", _zombie_isr_view, "broker 3 is in leader 1's ISR view but holds m9@1/2"),
    ("REPL-4", snap.s1_after_step_5, "ZK leader 1 has LEO 1, below the true HW 2"),
    ("REPL-4", snap.s8_after_step_4, "ZK leader 2 lacks acks=all record m2 at offset 1"),
    ("REPL-5", snap.s1_after_step_5, "m2 (offset 1, acknowledged in epoch 1 with an ISR of 2)"),
    ("REPL-5", snap.s10_after_step_4, "record b (offset 1, acknowledged in epoch 1 with an ISR"),
    ("REPL-6", snap.s2_after_step_4, "m3 was consumed at offset 1, but broker 2 (HW 2) holds"),
    ("REPL-6", snap.s8_after_step_4, "m2 was consumed at offset 1, but broker 1 (HW 2) holds"),
    ("REPL-7", _not_in_isr, "ZK leader 1 is not in the ZK ISR {2, 3}"),
    ("REPL-7", _empty_isr, "the ZK ISR is empty"),
    ("REPL-8", snap.s7_step_2, "advances its HW over {1, 2}, leaving out {3}"),
    ("REPL-9", _hw_above_leo, "broker 3 has HW 3 above its LEO 2"),
    ("REPL-9", _hw_above_fetch, "follower 2 has HW 3, above the HW 2 of the last fetch"),
    ("REPL-9", _hw_above_true_hw, "true leader 1 has HW 3, above the true HW 2"),
    ("REPL-11", _two_grants, "epoch 1 was granted to {1, 2}"),
    ("REPL-11", _zombie_without_grant, "broker 2 leads in epoch 2, which was never granted"),
    ("REPL-15", snap.s10_after_step_4, "broker 2 restarted dirty after a lossy crash"),
    ("LIVE-1", _unanswered_retry, "1 produce attempt(s) of m2 unanswered"),
    ("LIVE-2", _ack_not_replicated, "m3 has not reached broker 3, which holds nothing at 2"),
    ("LIVE-3", _stale_metadata, "broker 3 caches leader 2 epoch 0 ISR {2}, ZooKeeper holds"),
    ("LIVE-3", _no_metadata, "broker 3 caches nothing"),
]


@pytest.mark.parametrize(
    ("spec_id", "build", "fragment"),
    VIOLATED,
    ids=[f"{spec_id}-{build.__name__.strip('_')}" for spec_id, build, _ in VIOLATED],
)
def test_each_state_invariant_catches_its_violation(
    spec_id: str, build: Callable[[], ClusterSnapshot], fragment: str
) -> None:
    violations = STATE[spec_id](build())
    assert any(fragment in violation for violation in violations), violations
    with pytest.raises(AssertionError, match=spec_id):
        check(spec_id, violations)


def test_every_state_invariant_has_teeth() -> None:
    assert {spec_id for spec_id, _, _ in VIOLATED} == set(STATE)


def test_the_strong_form_of_repl_1_sees_divergence_below_a_common_epoch() -> None:
    # S5 with both HWs at 2: the weak form sees nothing, but offset 3 holds epoch-1 records on
    # both logs while offset 2 differs, so the logs cannot have come from one epoch-1 leader.
    lowered = change(snap.s5_after_step_6(), 1, high_watermark=Offset(2))
    snapshot = change(lowered, 2, high_watermark=Offset(2))
    assert state.committed_prefix_agreement(snapshot) == []
    strong = state.committed_prefix_agreement(snapshot, strong=True)
    assert any("both hold epoch 1 records at offset 3, yet differ at offset 2" in v for v in strong)
    assert state.committed_prefix_agreement(healthy(), strong=True) == []


def test_repl_5_leaves_out_acks_1_and_records_accepted_below_min_isr() -> None:
    # S9's loss is permitted; and an acks=all record acked with ISR 1 < minISR 2 is REPL-16's.
    assert state.no_loss_of_acks_all(snap.s9_after_step_3()) == []
    acked_small = ghost("a/1 b/1", acked=(ack("b", 1, isr=1),))
    small_isr = change_partition(snap.s10_after_step_4(), ghost=acked_small)
    assert state.no_loss_of_acks_all(small_isr) == []
    assert state.leader_completeness(small_isr) != []  # REPL-4 still wants it on the leader


def test_offsets_below_the_log_start_count_as_deleted_not_lost() -> None:
    cache = ((Epoch(1), Offset(1)),)
    trimmed = change(
        healthy(), 3, log=entries("m2/1"), log_start_offset=Offset(1), epoch_cache=cache
    )
    assert all(predicate(trimmed) == [] for predicate in STATE.values())


# ---------------------------------------------------------------------------------------------
# The scenarios of reference §5: what the reference says they break, and exactly what they break

SCENARIOS: list[tuple[Callable[[], ClusterSnapshot], set[str], set[str]]] = [
    (snap.s1_after_step_5, {"REPL-2", "REPL-4", "REPL-5"}, set()),
    (snap.s2_after_step_4, {"REPL-1", "REPL-6"}, {"REPL-2", "REPL-3", "REPL-4"}),
    (snap.s3_after_step_5, {"REPL-1"}, {"REPL-2", "REPL-3"}),
    (snap.s4_after_step_4, {"REPL-1"}, {"REPL-2", "REPL-3"}),
    (snap.s5_after_step_6, {"REPL-1", "REPL-2"}, {"REPL-3"}),
    (snap.s6_after_step_4, {"REPL-2", "REPL-5"}, {"REPL-4"}),
    (snap.s7_step_2, {"REPL-8", "REPL-2"}, {"REPL-3"}),
    (snap.s8_after_step_4, {"REPL-4", "REPL-5", "REPL-6"}, {"REPL-2"}),
    (snap.s9_after_step_3, set(), set()),
    (snap.s10_after_step_4, {"REPL-15", "REPL-2", "REPL-5", "REPL-6"}, {"REPL-4"}),
]


@pytest.mark.parametrize(
    ("build", "listed", "also"), SCENARIOS, ids=[build.__name__ for build, _, _ in SCENARIOS]
)
def test_each_scenario_breaks_what_the_reference_lists(
    build: Callable[[], ClusterSnapshot], listed: set[str], also: set[str]
) -> None:
    """``listed`` is the reference's "Breaks" list; ``also`` follows from it in the same state
    (an ISR member missing a committed record breaks REPL-2 and, if it is in the leader's view,
    REPL-3).  Liveness is left out: it is only judged once faults stop."""
    snapshot = build()
    broken = {i for i, predicate in STATE.items() if i.startswith("REPL") and predicate(snapshot)}
    assert broken == listed | also


# ---------------------------------------------------------------------------------------------
# The ghost recorder (reference §2)


def test_the_true_hw_never_decreases_and_the_committed_log_only_grows() -> None:
    recorder = GhostRecorder()
    recorder.record_true_leader_hw(Offset(2), entries("a/1 b/1 c/1"), log_start_offset=Offset(0))
    recorder.record_true_leader_hw(Offset(1), entries("a/1"), log_start_offset=Offset(0))
    assert recorder.ghost().true_high_watermark == 2
    assert recorder.ghost().committed_log == entries("a/1 b/1")
    # A later true leader with another record at offset 0 cannot rewrite what was committed.
    recorder.record_true_leader_hw(Offset(3), entries("z/2 b/1 d/2"), log_start_offset=Offset(0))
    assert recorder.ghost().committed_log == entries("a/1 b/1 d/2")


def test_the_committed_log_grows_only_as_far_as_the_leaders_log_reaches() -> None:
    recorder = GhostRecorder()
    recorder.record_true_leader_hw(Offset(4), entries("b/1"), log_start_offset=Offset(1))
    assert recorder.ghost().true_high_watermark == 4
    assert recorder.ghost().committed_log == ()  # offset 0 was deleted before it was seen


def test_observe_follows_the_true_leader_and_ignores_zombies() -> None:
    recorder = GhostRecorder()
    zombie = change_zk(healthy(), leader_epoch=Epoch(2))  # leader 1 still believes epoch 1
    recorder.observe(zombie.partitions[0])
    assert recorder.ghost().true_high_watermark == 0
    recorder.observe(healthy().partitions[0])
    assert recorder.ghost().committed_log == entries("m1/1 m2/1")


def test_a_dirty_replica_is_clean_once_it_holds_the_committed_log() -> None:
    recorder = GhostRecorder()
    recorder.observe(healthy().partitions[0])
    recorder.mark_dirty(BrokerId(3))
    short = change(healthy(), 3, log=entries("m1/1"), high_watermark=Offset(1))
    recorder.observe(short.partitions[0])
    assert recorder.ghost().dirty == ids(3)
    recorder.observe(healthy().partitions[0])
    assert recorder.ghost().dirty == frozenset()
    recorder.mark_dirty(BrokerId(2))
    recorder.mark_clean(BrokerId(2))
    assert recorder.ghost().dirty == frozenset()


def test_acks_are_kept_with_their_level_and_every_answer_counts() -> None:
    recorder = GhostRecorder()
    for record in ("a", "b", "b"):
        recorder.record_send(record)
    recorder.record_ack("a", acks=Acks.ALL, offset=Offset(0), leader_epoch=Epoch(1), isr_size=2)
    recorder.record_ack("b", acks=Acks.ONE, offset=Offset(1), leader_epoch=Epoch(1), isr_size=2)
    recorder.record_error("b", ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
    ghost = recorder.ghost()
    assert [a.record for a in ghost.acked_all] == ["a"]
    assert [a.record for a in ghost.acked_one] == ["b"]
    assert ghost.nacked == (("b", ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND),)
    with pytest.raises(ValueError, match="acks=0 produce requests are never answered"):
        recorder.record_ack(
            "c", acks=Acks.ZERO, offset=Offset(2), leader_epoch=Epoch(1), isr_size=1
        )
    assert recorder.ghost() == ghost  # the refused call lost nothing and added nothing


def test_consumed_grants_and_producer_acks_are_kept_as_plain_sorted_data() -> None:
    recorder = GhostRecorder()
    recorder.record_consumed(offset=Offset(1), record="b")
    recorder.record_consumed(offset=Offset(0), record="a")
    recorder.record_consumed(offset=Offset(1), record="b")
    recorder.record_consumed(offset=Offset(1), record="x")  # a rewrite: kept, for REPL-6
    recorder.record_grant(replica=BrokerId(2), leader_epoch=Epoch(1))
    first = ProducerAck(
        producer_id=ProducerId(7),
        producer_epoch=ProducerEpoch(0),
        first_sequence=Sequence(0),
        last_sequence=Sequence(1),
        offset=Offset(4),
    )
    recorder.record_producer_ack(first)
    recorder.record_producer_ack(dataclasses.replace(first, offset=Offset(9)))
    ghost = recorder.ghost()
    assert ghost.consumed == ((0, "a"), (1, "b"), (1, "x"))
    assert ghost.granted == frozenset({(BrokerId(2), Epoch(1))})
    assert ghost.producer_acks == (first,)
    assert hash(ghost) == hash(recorder.ghost())  # frozen, comparable and hashable


# ---------------------------------------------------------------------------------------------
# The docs page

PAGE_IDS = [f"REPL-{n}" for n in range(1, 17)] + ["CTRL-1", "LIVE-1", "LIVE-2", "LIVE-3"]
PAGE_TERMS = [
    "truncate_to_local_hw_on_follow",
    "kip101_lookup",
    "skip_truncation_if_same_leader",
    "unfenced_fetch",
    "expand_isr_on_hw_only",
    "apply_isr_change_before_zk_ack",
    "ack_before_hw",
    "unclean.leader.election.enable",
    "min.insync.replicas",
    "replica.lag.time.max.ms",
    "acks=all",
    "lossy",
    "KIP-101",
    "KIP-279",
    "KIP-320",
    "KIP-966",
]
S1_TITLE = "S1 after step 5: A was elected without m2"


def _page() -> str:
    assert PAGE.is_file(), f"{PAGE} is missing"
    return PAGE.read_text(encoding="utf-8")


def _pictures(text: str) -> list[str]:
    return re.findall(r"^```\{graphviz\}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_the_page_names_every_invariant_scenario_and_flag() -> None:
    text = _page()
    assert text.startswith("# ") and text.count("\n# ") == 0
    missing = [i for i in PAGE_IDS if not re.search(rf"\b{i}(?![0-9])", text)]
    missing += [f"### S{n}" for n in range(1, 11) if f"\n### S{n} " not in text]
    missing += [term for term in PAGE_TERMS if term not in text]
    assert not missing, f"{PAGE.name} does not mention: {missing}"
    assert set(PAGE_IDS) == {i for i in load_all() if i.split("-")[0] in {"REPL", "CTRL", "LIVE"}}


def test_every_picture_on_the_page_renders() -> None:
    dot = require_tool("dot")
    pictures = _pictures(_page())
    assert len(pictures) >= 11, "a picture per scenario and the generated cluster picture"
    for picture in pictures:
        result = subprocess.run([dot, "-Tsvg"], input=picture, capture_output=True, text=True)
        assert result.returncode == 0 and not result.stderr, (picture[:80], result.stderr)


def test_the_generated_picture_on_the_page_is_what_viz_draws() -> None:
    drawn = [p for p in _pictures(_page()) if p.startswith("digraph cluster_snapshot")]
    assert drawn == [cluster_dot(snap.s1_after_step_5(), title=S1_TITLE)], (
        "regenerate the picture: print(cluster_dot(s1_after_step_5(), title=S1_TITLE))"
    )


def test_the_page_check_has_teeth() -> None:
    text = _page().replace("REPL-13", "REPL-XIII")
    assert [i for i in PAGE_IDS if not re.search(rf"\b{i}(?![0-9])", text)] == ["REPL-13"]
    assert _pictures("```{graphviz}\ndigraph a {}\n```\ntext\n") == ["digraph a {}\n"]


def test_acks_and_leader_epochs_print_as_python() -> None:
    # A failing Hypothesis run prints values with repr; they must read back as Python.
    assert repr(Acks.ALL) == "Acks.ALL" and repr(ReplicaRole.LEADER) == "ReplicaRole.LEADER"
    assert eval(repr(snap.healthy()), vars(snap) | globals()) == snap.healthy()
    assert TopicName("t") == snap.T and PartitionId(0) == snap.P0
