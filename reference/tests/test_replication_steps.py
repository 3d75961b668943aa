"""The replication transition properties on hand-built steps, the ghost recorder, hostile input.

Each transition property of ``specs/replication_steps.py`` holds across a correct step and is
violated by at least one wrong one, including the steps of scenarios S1 (truncating to the HW),
S5 (an unfenced fetch counted), S6 (an ISR expansion against a stale HW) and S7 (a failed ISR
write applied anyway).  Then hostile snapshots: every predicate, state or transition, must
answer with a list of sentences, never an exception, whatever the snapshot holds.

Spec IDs: REPL-10, REPL-12, REPL-13, REPL-14, REPL-16, CTRL-1.

Simplified from Kafka: Kafka's unit tests check these rules inside one broker
(``PartitionTest``, ``ReplicaManagerTest``); here each step is judged from outside.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from glasskafka.errors import ErrorCode
from glasskafka.ids import (
    BrokerId,
    Epoch,
    Offset,
    PartitionId,
    TopicName,
)
from glasskafka.sim.kafka_snapshot import (
    Acks,
    BrokerSnapshot,
    ClusterSnapshot,
    FetchHandled,
    IsrWriteAnswered,
    IsrWriteHandled,
    LeaderAndIsrHandled,
    PartitionGhost,
    PartitionSnapshot,
    ProduceCompleted,
    ProduceHandled,
    ReplicaRole,
    ReplicaState,
    StepEvent,
    ZkPartitionState,
)
from hypothesis import given
from hypothesis import strategies as st

import specs.replication as state
import specs.replication_steps as steps
from model_tests import replication_snapshots as snap
from model_tests.replication_snapshots import (
    P0,
    T,
    cache_of,
    change,
    change_zk,
    entries,
    fetch,
    follow,
    healthy,
    ids,
    lead,
)
from specs.catalogue import REGISTRY, check, load_all

Step = tuple[ClusterSnapshot, ClusterSnapshot, StepEvent | None]
Property = Callable[[ClusterSnapshot, ClusterSnapshot, StepEvent | None], list[str]]

STEPS: dict[str, Property] = {
    "REPL-10": steps.epoch_monotonicity,
    "REPL-12": steps.fenced_progress,
    "REPL-13": steps.safe_isr_expansion,
    "REPL-14": steps.truncation_safety,
    "REPL-16": steps.min_isr_gate,
    "CTRL-1": steps.controller_fencing,
}


def test_the_table_covers_every_spec_of_the_module() -> None:
    load_all()
    registered = {i for i, entry in REGISTRY.items() if entry.module == "specs.replication_steps"}
    assert registered == set(STEPS)
    assert all(REGISTRY[i].kind == "transition" for i in STEPS)


# ---------------------------------------------------------------------------------------------
# Steps.  A correct step is named ok_*, a wrong one bad_*.


def _leader_and_isr(controller_epoch: int, leader_epoch: int, error: ErrorCode) -> StepEvent:
    return LeaderAndIsrHandled(
        broker=BrokerId(3),
        topic=T,
        partition=P0,
        controller_epoch=Epoch(controller_epoch),
        leader=BrokerId(2),
        leader_epoch=Epoch(leader_epoch),
        isr=ids(2, 3),
        error=error,
    )


def _produce(acks: Acks, error: ErrorCode) -> StepEvent:
    return ProduceHandled(
        topic=T, partition=P0, leader=BrokerId(1), record="m4", acks=acks, error=error
    )


def _completed(error: ErrorCode) -> StepEvent:
    return ProduceCompleted(
        topic=T, partition=P0, leader=BrokerId(1), record="m3", offset=Offset(2), error=error
    )


def _isr_write(expected: int) -> StepEvent:
    return IsrWriteHandled(
        topic=T, partition=P0, leader=BrokerId(1), isr=ids(1, 2), expected_zk_version=expected
    )


def _appended(snapshot: ClusterSnapshot) -> ClusterSnapshot:
    log = entries("m1/1 m2/1 m3/1 m4/1")
    return change(snapshot, 1, log=log, epoch_cache=cache_of(log))


def _small_isr() -> ClusterSnapshot:
    return change(healthy(), 1, isr=ids(1), maximal_isr=ids(1))


def ok_nothing_happens() -> Step:
    return healthy(), healthy(), None


def ok_election() -> Step:
    after = change_zk(healthy(), leader=BrokerId(2), leader_epoch=Epoch(2), isr=ids(2, 3))
    return healthy(), after, None


def ok_own_isr_write() -> Step:
    return healthy(), change_zk(healthy(), isr=ids(1, 2), zk_version=1), _isr_write(0)


def bad_new_leader_same_epoch() -> Step:
    return healthy(), change_zk(healthy(), leader=BrokerId(2)), None


def bad_controller_isr_change_same_epoch() -> Step:
    return healthy(), change_zk(healthy(), isr=ids(1, 2)), None


def bad_epoch_goes_back() -> Step:
    return healthy(), change(healthy(), 2, leader_epoch=Epoch(0)), None


def bad_log_epochs_decrease() -> Step:
    log = entries("m1/1 m2/1 m3/0")
    return healthy(), change(healthy(), 2, log=log, epoch_cache=cache_of(log)), None


def bad_cache_disagrees() -> Step:
    return (
        healthy(),
        change(healthy(), 2, epoch_cache=((Epoch(1), Offset(0)), (Epoch(2), Offset(2)))),
        None,
    )


def bad_cache_out_of_order() -> Step:
    return (
        healthy(),
        change(healthy(), 2, epoch_cache=((Epoch(1), Offset(0)), (Epoch(0), Offset(1)))),
        None,
    )


def ok_same_epoch_fetch_counted() -> Step:
    return healthy(), change(healthy(), 1, high_watermark=Offset(3)), fetch(3, 3, 1)


def ok_fenced_fetch() -> Step:
    return healthy(), healthy(), fetch(3, 3, 0, ErrorCode.FENCED_LEADER_EPOCH)


def bad_old_epoch_answered() -> Step:
    return healthy(), healthy(), fetch(3, 3, 0)


def bad_new_epoch_answered() -> Step:
    return healthy(), healthy(), fetch(3, 3, 2)


def bad_s5_unfenced_fetch_counted() -> Step:
    return healthy(), change(healthy(), 1, high_watermark=Offset(3)), fetch(3, 3, None)


def _expanding() -> ClusterSnapshot:
    return change(healthy(), 1, isr=ids(1, 2), maximal_isr=ids(1, 2))


def ok_caught_up_follower_joins() -> Step:
    return _expanding(), healthy(), fetch(3, 3, 1)


def bad_joins_on_old_epoch_fetch() -> Step:
    return _expanding(), healthy(), fetch(3, 3, 0)


def bad_joins_without_fetch() -> Step:
    return _expanding(), healthy(), None


def bad_zk_isr_grows_unadmitted() -> Step:
    before = change_zk(_expanding(), isr=ids(1, 2))
    return before, change_zk(before, isr=ids(1, 2, 3), zk_version=1), _isr_write(0)


def ok_kip279_truncation() -> Step:
    # S3 with the fix: B's log departs from A's at offset 1, so B cuts m3@1/2 and keeps m1.
    before = snap.s3_after_step_5()
    b = dataclasses.replace(follow(2, "m1/1 m3/2", hw=1, epoch=3, leader=1))
    before = change(before, 2, log=b.log, epoch_cache=b.epoch_cache, high_watermark=Offset(1))
    return (
        before,
        change(before, 2, log=entries("m1/1"), epoch_cache=cache_of(entries("m1/1"))),
        None,
    )


def bad_truncates_below_divergence() -> Step:
    before, after, _ = ok_kip279_truncation()
    return before, change(after, 2, log=(), epoch_cache=()), None


def bad_s1_truncate_to_hw() -> Step:
    before, after = snap.s1_step_4()
    return before, after, None


def ok_refused_below_min_isr() -> Step:
    return _small_isr(), _small_isr(), _produce(Acks.ALL, ErrorCode.NOT_ENOUGH_REPLICAS)


def ok_acks_1_below_min_isr() -> Step:
    return _small_isr(), _appended(_small_isr()), _produce(Acks.ONE, ErrorCode.NONE)


def ok_completed_after_append() -> Step:
    after = change(_small_isr(), 1, high_watermark=Offset(3))
    return _small_isr(), after, _completed(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)


def bad_accepted_below_min_isr() -> Step:
    return _small_isr(), _appended(_small_isr()), _produce(Acks.ALL, ErrorCode.NONE)


def bad_completed_without_error() -> Step:
    after = change(_small_isr(), 1, high_watermark=Offset(3))
    return _small_isr(), after, _completed(ErrorCode.NONE)


def ok_new_leader_and_isr() -> Step:
    after = change(healthy(), 3, leader=BrokerId(2), leader_epoch=Epoch(2))
    return healthy(), after, _leader_and_isr(1, 2, ErrorCode.NONE)


def ok_stale_controller_ignored() -> Step:
    before = snap.cluster(healthy().partitions[0], controller_epoch=2)
    return before, before, _leader_and_isr(1, 2, ErrorCode.STALE_CONTROLLER_EPOCH)


def bad_stale_controller_obeyed() -> Step:
    before = snap.cluster(healthy().partitions[0], controller_epoch=2)
    after = change(before, 3, leader=BrokerId(2), leader_epoch=Epoch(2))
    return before, after, _leader_and_isr(1, 2, ErrorCode.NONE)


def bad_old_leader_epoch_applied() -> Step:
    after = change(healthy(), 3, leader=BrokerId(2))
    return healthy(), after, _leader_and_isr(1, 1, ErrorCode.NONE)


def bad_write_at_wrong_zk_version() -> Step:
    return healthy(), change_zk(healthy(), isr=ids(1, 2), zk_version=1), _isr_write(7)


def bad_s7_failed_write_kept() -> Step:
    # apply_isr_change_before_zk_ack: the leader applied {1, 2} before ZooKeeper answered.
    before = change(snap.s7_step_2(), 1, isr=ids(1, 2))
    after = change(before, 1, pending_isr=None)
    event = IsrWriteAnswered(
        broker=BrokerId(1), topic=T, partition=P0, isr=ids(1, 2), succeeded=False
    )
    return before, after, event


def bad_controller_epoch_goes_back() -> Step:
    before = snap.cluster(healthy().partitions[0], controller_epoch=2)
    return before, healthy(), None


OK: dict[str, list[Callable[[], Step]]] = {
    "REPL-10": [ok_nothing_happens, ok_election, ok_own_isr_write],
    "REPL-12": [ok_same_epoch_fetch_counted, ok_fenced_fetch],
    "REPL-13": [ok_caught_up_follower_joins, ok_nothing_happens],
    "REPL-14": [ok_kip279_truncation, ok_nothing_happens],
    "REPL-16": [ok_refused_below_min_isr, ok_acks_1_below_min_isr, ok_completed_after_append],
    "CTRL-1": [ok_new_leader_and_isr, ok_stale_controller_ignored, ok_own_isr_write],
}

BAD: list[tuple[str, Callable[[], Step], str]] = [
    ("REPL-10", bad_new_leader_same_epoch, "to leader 2 epoch 1"),
    ("REPL-10", bad_controller_isr_change_same_epoch, "ISR {1, 2, 3} to leader 1 epoch 1 ISR"),
    ("REPL-10", bad_epoch_goes_back, "broker 2 went back from epoch 1 to 0"),
    ("REPL-10", bad_log_epochs_decrease, "record epochs [1, 1, 0] that decrease"),
    ("REPL-10", bad_cache_disagrees, "holds m3@2/1 but its epoch cache says 2"),
    ("REPL-10", bad_cache_out_of_order, "entries 1->0, 0->1 out of order"),
    ("REPL-12", bad_old_epoch_answered, "answered NONE, not FENCED_LEADER_EPOCH"),
    ("REPL-12", bad_new_epoch_answered, "answered NONE, not UNKNOWN_LEADER_EPOCH"),
    ("REPL-12", bad_s5_unfenced_fetch_counted, "carrying epoch None and counted it: HW 2 -> 3"),
    ("REPL-13", snap.s6_step_3, "added broker 3 at LEO 0, below max(HW 0, epoch start offset 1)"),
    ("REPL-13", bad_joins_on_old_epoch_fetch, "on a fetch carrying epoch 0, not its epoch 1"),
    ("REPL-13", bad_joins_without_fetch, "without handling a fetch from it"),
    ("REPL-13", bad_zk_isr_grows_unadmitted, "broker 3 joined the ZK ISR though leader 1"),
    ("REPL-14", bad_s1_truncate_to_hw, "broker 1 truncated from offset 1, removing committed m2"),
    ("REPL-14", bad_s1_truncate_to_hw, "without a leader to reconcile with"),
    ("REPL-14", bad_truncates_below_divergence, "below the divergence point 1 given by leader 1"),
    ("REPL-16", bad_accepted_below_min_isr, "answered acks=all m4 with NONE while its ISR {1}"),
    ("REPL-16", bad_accepted_below_min_isr, "appended m4 with ISR {1}"),
    ("REPL-16", bad_completed_without_error, "answered m3 with NONE as its HW passed it"),
    ("CTRL-1", bad_stale_controller_obeyed, "after seeing controller epoch 2, answered NONE"),
    ("CTRL-1", bad_old_leader_epoch_applied, "while at epoch 1, controller epoch 1, and applied"),
    ("CTRL-1", bad_write_at_wrong_zk_version, "expecting zk_version 7 changed the znode"),
    ("CTRL-1", bad_s7_failed_write_kept, "ISR write of {1, 2} failed, yet its ISR view is {1, 2}"),
    ("CTRL-1", bad_controller_epoch_goes_back, "broker 1 went back from controller epoch 2 to 1"),
]


@pytest.mark.parametrize(
    ("spec_id", "build"),
    [(spec_id, build) for spec_id, builds in OK.items() for build in builds],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_each_transition_property_holds_across_a_correct_step(
    spec_id: str, build: Callable[[], Step]
) -> None:
    assert STEPS[spec_id](*build()) == []


@pytest.mark.parametrize(
    ("spec_id", "build", "fragment"),
    BAD,
    ids=[f"{spec_id}-{build.__name__}" for spec_id, build, _ in BAD],
)
def test_each_transition_property_catches_its_violation(
    spec_id: str, build: Callable[[], Step], fragment: str
) -> None:
    violations = STEPS[spec_id](*build())
    assert any(fragment in violation for violation in violations), violations
    with pytest.raises(AssertionError, match=spec_id):
        check(spec_id, violations)


def test_every_transition_property_has_teeth_and_a_correct_step() -> None:
    assert {spec_id for spec_id, _, _ in BAD} == set(STEPS) == set(OK)


def test_the_kip966_mode_forbids_hw_progress_below_min_isr() -> None:
    before, after, event = ok_completed_after_append()
    assert steps.min_isr_gate(before, after, event) == []
    assert any("(KIP-966)" in v for v in steps.min_isr_gate(before, after, event, kip966=True))


@pytest.mark.parametrize(
    ("follower", "leader", "expected"),
    [
        ("m1/1 m3/2", "m1/1 m2/1 m4/3", 1),  # S3: epoch 2 is unknown to the leader
        ("m1/1 m2/1", "m1/1 m2/1 m4/3", 2),  # a follower that is simply behind
        ("m1/1 m2/1 m3/1", "m1/1 m2/1", 2),  # the follower holds an unreplicated tail
        ("x/0", "y/2 z/2", 0),  # S4: nothing in common
        ("", "m1/1", 0),  # an empty log has nothing to cut
        ("a/0 b/0 c/0 e/1", "a/0 b/0 d/1 e/1", 2),  # S5: the tail matches, offset 2 does not
    ],
)
def test_the_divergence_point_follows_the_leaders_epoch_cache(
    follower: str, leader: str, expected: int
) -> None:
    f = follow(2, follower, hw=0, epoch=3, leader=1)
    leading = lead(1, leader, hw=0, epoch=3, isr=(1,))
    assert steps.divergence_offset(f, leading) == expected


# ---------------------------------------------------------------------------------------------
# Hostile snapshots: any shape of data gets sentences back, never an exception

_brokers = st.integers(min_value=-1, max_value=4).map(BrokerId)
_epochs = st.integers(min_value=-1, max_value=3).map(Epoch)
_offsets = st.integers(min_value=0, max_value=5).map(Offset)
_records = st.text(max_size=3)
_sets = st.frozensets(_brokers, max_size=4)
_replicas = st.builds(
    ReplicaState,
    broker_id=_brokers,
    running=st.booleans(),
    log_intact=st.booleans(),
    role=st.sampled_from(ReplicaRole),
    leader=st.none() | _brokers,
    leader_epoch=_epochs,
    isr=_sets,
    pending_isr=st.none() | _sets,
    maximal_isr=_sets,
    leader_epoch_start_offset=st.none() | _offsets,
    log=st.lists(st.tuples(_records, _epochs), max_size=5).map(tuple),
    log_start_offset=_offsets,
    high_watermark=_offsets,
    last_fetched_high_watermark=st.none() | _offsets,
    epoch_cache=st.lists(st.tuples(_epochs, _offsets), max_size=3).map(tuple),
)
_ghosts = st.builds(
    PartitionGhost,
    true_high_watermark=_offsets,
    committed_log=st.lists(st.tuples(_records, _epochs), max_size=4).map(tuple),
    acked=st.lists(
        st.builds(snap.ack, _records, st.integers(0, 5), acks=st.sampled_from(Acks)), max_size=3
    ).map(tuple),
    sent=st.lists(_records, max_size=3).map(tuple),
    consumed=st.lists(st.tuples(_offsets, _records), max_size=3).map(tuple),
    granted=st.frozensets(st.tuples(_brokers, _epochs), max_size=3),
    dirty=_sets,
)
_partitions = st.builds(
    PartitionSnapshot,
    topic=st.just(TopicName("t")),
    partition=st.just(PartitionId(0)),
    replicas=st.lists(_replicas, max_size=3).map(tuple),
    zk_state=st.builds(
        ZkPartitionState,
        leader=st.none() | _brokers,
        leader_epoch=_epochs,
        isr=_sets,
        zk_version=st.integers(0, 3),
        controller_epoch=_epochs,
    ),
    min_insync_replicas=st.integers(min_value=1, max_value=3),
    ghost=_ghosts,
)
_clusters = st.builds(
    ClusterSnapshot,
    brokers=st.lists(
        st.builds(
            BrokerSnapshot, broker_id=_brokers, running=st.booleans(), controller_epoch=_epochs
        ),
        max_size=3,
    ).map(tuple),
    partitions=st.lists(_partitions, max_size=2).map(tuple),
)
_events = st.none() | st.one_of(
    st.builds(
        FetchHandled,
        topic=st.just(T),
        partition=st.just(P0),
        leader=_brokers,
        follower=_brokers,
        fetch_offset=_offsets,
        current_leader_epoch=st.none() | _epochs,
        error=st.sampled_from(ErrorCode),
    ),
    st.builds(
        ProduceHandled,
        topic=st.just(T),
        partition=st.just(P0),
        leader=_brokers,
        record=_records,
        acks=st.sampled_from(Acks),
        error=st.sampled_from(ErrorCode),
    ),
    st.builds(
        ProduceCompleted,
        topic=st.just(T),
        partition=st.just(P0),
        leader=_brokers,
        record=_records,
        offset=_offsets,
        error=st.sampled_from(ErrorCode),
    ),
    st.builds(
        LeaderAndIsrHandled,
        broker=_brokers,
        topic=st.just(T),
        partition=st.just(P0),
        controller_epoch=_epochs,
        leader=_brokers,
        leader_epoch=_epochs,
        isr=_sets,
        error=st.sampled_from(ErrorCode),
    ),
    st.builds(
        IsrWriteHandled,
        topic=st.just(T),
        partition=st.just(P0),
        leader=_brokers,
        isr=_sets,
        expected_zk_version=st.integers(0, 3),
    ),
    st.builds(
        IsrWriteAnswered,
        broker=_brokers,
        topic=st.just(T),
        partition=st.just(P0),
        isr=_sets,
        succeeded=st.booleans(),
    ),
)


@given(snapshot=_clusters)
def test_every_state_predicate_answers_any_snapshot_with_sentences(
    snapshot: ClusterSnapshot,
) -> None:
    for spec_id, entry in REGISTRY.items():
        if entry.module == "specs.replication":
            found = getattr(state, entry.function)(snapshot)
            assert isinstance(found, list) and all(isinstance(v, str) for v in found), spec_id


@given(before=_clusters, after=_clusters, event=_events)
def test_every_transition_property_answers_any_step_with_sentences(
    before: ClusterSnapshot, after: ClusterSnapshot, event: StepEvent | None
) -> None:
    for spec_id, prop in STEPS.items():
        found = prop(before, after, event)
        assert isinstance(found, list) and all(isinstance(v, str) for v in found), spec_id
