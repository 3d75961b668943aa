"""The IDEM and ORDER predicates themselves: each holds on a good snapshot and fails on a bad one.

The model suites prove that the checks find real bugs; these small tests prove that every
predicate can fail at all, including the ones no bug flag breaks (IDEM-1, IDEM-2, IDEM-6), and
that each reports what a student needs to find the fault.  Snapshots are written out by hand.

Spec IDs: IDEM-1..6, ORDER-1, ORDER-2.

Simplified from Kafka: Kafka states none of these formally.
"""

from __future__ import annotations

from specs.catalogue import load_all
from specs.idempotence import (
    AckView,
    AppendDecision,
    CachedBatchView,
    IdempotenceSnapshot,
    LoggedBatch,
    ProducerEntryView,
    ReplicaView,
    acked_batches_at_their_offsets,
    expected_producer_state,
    gaps_are_refused,
    no_sequence_twice,
    producer_state_matches_log,
    sequences_rise_by_one,
    stale_epochs_never_appended,
)
from specs.ordering import (
    OrderingSnapshot,
    ProducerSettingsView,
    SendOutcome,
    SentRecord,
    acknowledged_records_in_send_order,
    ordering_needs_idempotence,
)

PID = 9


def logged(offset: int, first: int, last: int, *, epoch: int = 0, pid: int = PID) -> LoggedBatch:
    return LoggedBatch(
        base_offset=offset,
        last_offset=offset + (last - first) % 2**31,
        producer_id=pid,
        producer_epoch=epoch,
        first_seq=first,
        last_seq=last,
    )


def snapshot(*log: LoggedBatch, acks: tuple[AckView, ...] = ()) -> IdempotenceSnapshot:
    replica = ReplicaView(name="b1", log=log, producer_state=expected_producer_state(log))
    return IdempotenceSnapshot(leader="b1", replicas=(replica,), acks=acks)


GOOD = snapshot(logged(0, 0, 1), logged(2, 2, 2), logged(3, 0, 0, epoch=1))


def test_every_predicate_holds_on_a_good_log() -> None:
    for predicate in (
        no_sequence_twice,
        sequences_rise_by_one,
        acked_batches_at_their_offsets,
        stale_epochs_never_appended,
        producer_state_matches_log,
    ):
        assert predicate(GOOD) == [], predicate.__name__


def test_idem_1_finds_a_sequence_written_twice() -> None:
    bad = snapshot(logged(0, 0, 2), logged(3, 2, 3))
    assert no_sequence_twice(bad) == [
        "b1: producer 9 epoch 0 has sequences 0..2 at offset 0 and 2..3 again at offset 3"
    ]
    # Across epochs the same numbers are a new session, and a wrapped range is one range.
    assert no_sequence_twice(snapshot(logged(0, 0, 0), logged(1, 0, 0, epoch=1))) == []
    assert no_sequence_twice(snapshot(logged(0, 2**31 - 1, 0), logged(2, 1, 1))) == []
    assert no_sequence_twice(snapshot(logged(0, 2**31 - 1, 1), logged(3, 0, 0)))


def test_idem_2_finds_a_gap_and_accepts_the_wrap() -> None:
    assert sequences_rise_by_one(snapshot(logged(0, 0, 0), logged(1, 2, 2)))
    assert sequences_rise_by_one(snapshot(logged(0, 2**31 - 1, 2**31 - 1), logged(1, 0, 0))) == []


def test_idem_3_finds_an_ack_at_the_wrong_offset() -> None:
    right = AckView(producer_id=PID, producer_epoch=0, first_seq=2, last_seq=2, base_offset=2)
    assert acked_batches_at_their_offsets(snapshot(*GOOD.replicas[0].log, acks=(right,))) == []
    wrong = AckView(producer_id=PID, producer_epoch=1, first_seq=0, last_seq=0, base_offset=0)
    assert acked_batches_at_their_offsets(snapshot(*GOOD.replicas[0].log, acks=(wrong,))) == [
        "producer 9 epoch 1 sequences 0..0 was acknowledged at offset 0, where b1 holds "
        "producer/epoch/sequences (9, 0, 0, 1)"
    ]
    unknown_leader = IdempotenceSnapshot(leader="b7", replicas=GOOD.replicas, acks=())
    assert acked_batches_at_their_offsets(unknown_leader)


def test_idem_4_finds_an_older_epoch_after_a_newer_one() -> None:
    bad = snapshot(logged(0, 0, 0, epoch=2), logged(1, 0, 0, epoch=1))
    assert stale_epochs_never_appended(bad) == [
        "b1: producer 9 wrote epoch 1 at offset 1 after epoch 2 at offset 0"
    ]


def test_idem_5_finds_a_state_that_disagrees_with_the_log() -> None:
    log = (logged(0, 0, 0), logged(1, 1, 1))
    empty = ReplicaView(name="b2", log=log, producer_state=())
    bad = IdempotenceSnapshot(leader="b2", replicas=(empty,), acks=())
    assert producer_state_matches_log(bad) == [
        "b2: producer state (empty) differs from the state its log implies, "
        "pid 9 epoch 0 0..0@0,1..1@1"
    ]


def test_the_recomputed_state_keeps_five_batches_of_the_latest_epoch() -> None:
    log = [logged(i, i, i) for i in range(7)] + [logged(7, 0, 0, epoch=1)]
    assert expected_producer_state(log[:7]) == (
        ProducerEntryView(
            producer_id=PID,
            producer_epoch=0,
            batches=tuple(
                CachedBatchView(first_seq=i, last_seq=i, first_offset=i, last_offset=i)
                for i in range(2, 7)
            ),
        ),
    )
    assert [len(e.batches) for e in expected_producer_state(log)] == [1]


def decision(first: int, *, error: int, duplicate: bool = False) -> AppendDecision:
    entry = ProducerEntryView(
        producer_id=PID,
        producer_epoch=0,
        batches=(CachedBatchView(first_seq=0, last_seq=1, first_offset=0, last_offset=1),),
    )
    return AppendDecision(
        producer_id=PID,
        producer_epoch=0,
        first_seq=first,
        last_seq=first,
        entry_before=entry,
        error_code=error,
        duplicate=duplicate,
    )


def test_idem_6_finds_a_gap_that_was_not_refused() -> None:
    assert gaps_are_refused([decision(2, error=0), decision(5, error=45)]) == []
    assert gaps_are_refused([decision(5, error=0)]) == [
        "producer 9 epoch 0 sent sequences 5..5 after 1; the leader answered error code 0, not 45"
    ]
    assert "a duplicate" in gaps_are_refused([decision(4, error=0, duplicate=True)])[0]


def ordering(
    log: tuple[int, ...], outcomes: str, *, idempotent: bool = True, retries: int = 5
) -> OrderingSnapshot:
    codes = {"a": SendOutcome.ACKED, "f": SendOutcome.FAILED, "p": SendOutcome.PENDING}
    return OrderingSnapshot(
        settings=ProducerSettingsView(idempotent=idempotent, max_in_flight=5, retries=retries),
        sent=tuple(SentRecord(record_id=i, outcome=codes[c]) for i, c in enumerate(outcomes)),
        log=log,
    )


def test_order_1_names_each_kind_of_anomaly() -> None:
    assert acknowledged_records_in_send_order(ordering((0, 1, 2), "aap")) == []
    assert acknowledged_records_in_send_order(ordering((0, 2), "afa")) == []  # 1 failed
    assert acknowledged_records_in_send_order(ordering((0, 1, 0, 2), "aaa")) == [
        "duplicate: record 0 is in the log 2 times (positions [0, 2])",
        "reordered: record 0 follows record 1 in the log, against the send order",
    ]
    assert acknowledged_records_in_send_order(ordering((1,), "aa")) == [
        "lost: acknowledged record 0 is not in the log"
    ]


def test_order_2_permits_only_what_the_settings_allow() -> None:
    duplicate = (0, 0, 1)
    assert ordering_needs_idempotence(ordering(duplicate, "aa", idempotent=False)) == []
    assert ordering_needs_idempotence(ordering(duplicate, "aa", idempotent=False, retries=0))
    assert ordering_needs_idempotence(ordering(duplicate, "aa"))
    reordered_failed = (1, 0)
    assert (
        ordering_needs_idempotence(ordering(reordered_failed, "fa", idempotent=False, retries=0))
        == []
    )
    assert ordering_needs_idempotence(ordering(reordered_failed, "aa", idempotent=False, retries=0))
    assert ordering_needs_idempotence(ordering((), "a", idempotent=False))  # lost: never


def test_the_ids_are_registered_with_their_statements() -> None:
    registry = load_all()
    for spec_id in [f"IDEM-{n}" for n in range(1, 7)] + ["ORDER-1", "ORDER-2"]:
        assert registry[spec_id].statement
    assert registry["IDEM-6"].kind == "transition"
