"""Teeth: every DELIV-n check finds the fault that breaks it in a generated history.

Each row turns on one :class:`~model_tests.test_history_model.Fault` of the abstract model and
checks only the invariant that fault breaks; Hypothesis must find a history that violates it,
and the failure must name both the spec ID and the anomaly kind the checker reported (the
checker's cases come first in the message, then the plain predicate's).  Searches stop at the
first failure, so each row takes a second or two.

The transcript tests at the end replay, step by step, the two consumer bugs the delivery
reference singles out: committing before processing and then crashing, and an auto-commit that
commits the current poll's positions (``reference/delivery-semantics.md`` §9, seeded bugs 6 and
10).
"""

from __future__ import annotations

import pytest
from glasskafka.history.model import Delivery, Outcome
from glasskafka.ids import PartitionId
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from model_tests.test_history_model import Fault, HistoryMachine, machine

AT_LEAST_ONCE_SYNC = ((Delivery.AT_LEAST_ONCE, False),)
AT_LEAST_ONCE_AUTO = ((Delivery.AT_LEAST_ONCE, True),)
AT_MOST_ONCE = ((Delivery.AT_MOST_ONCE, False),)

TEETH = [
    (Fault.COMMIT_BEFORE_PROCESS, "DELIV-19", "group-undelivered", AT_LEAST_ONCE_SYNC),
    (Fault.AUTO_COMMIT_CURRENT_POLL, "DELIV-19", "group-undelivered", AT_LEAST_ONCE_AUTO),
    (Fault.PROCESS_BEFORE_COMMIT, "DELIV-20", "group-redelivered", AT_MOST_ONCE),
    (Fault.LOSE_ACKED_WRITE, "DELIV-5", "(lost-write|unseen)", None),
    (Fault.LOSE_ACKED_WRITE, "DELIV-1", "inconsistent-offsets", None),
    (Fault.DUPLICATE_APPEND, "DELIV-2", "duplicate", None),
    (Fault.FAIL_BUT_APPEND, "DELIV-3", "G1a", None),
    (Fault.SKIP_RECORD, "DELIV-7", "(int-)?poll-skip", None),
    (Fault.REORDER_IN_FLIGHT, "DELIV-13", "nonmonotonic-send", None),
    (Fault.RECORD_SEND_LATE, "DELIV-15", "G1c-process", None),
    (Fault.ASSIGN_PARTITION_TWICE, "DELIV-21", "group-double-owner", None),
]

GROUP_SPECS = frozenset({"DELIV-19", "DELIV-20", "DELIV-21"})

# Generation only: a teeth test needs the violation found, not shrunk to its smallest form.
SEARCH = settings(
    max_examples=1000,
    stateful_step_count=30,
    database=None,
    deadline=None,
    phases=[Phase.generate],
)


@pytest.mark.parametrize(
    ("fault", "spec_id", "kind", "modes"),
    TEETH,
    ids=[f"{spec_id}-{fault.name.lower()}" for fault, spec_id, _, _ in TEETH],
)
def test_fault_is_found(
    fault: Fault, spec_id: str, kind: str, modes: tuple[tuple[Delivery, bool], ...] | None
) -> None:
    narrow = "group" if spec_id in GROUP_SPECS else "clients"
    faulty = machine(frozenset({fault}), checked=frozenset({spec_id}), modes=modes, narrow=narrow)
    with pytest.raises(AssertionError, match=rf"{spec_id} violated:\n  {kind}: "):
        run_state_machine_as_test(faulty, settings=SEARCH)


def test_every_spec_and_fault_has_teeth() -> None:
    assert {spec_id for _, spec_id, _, _ in TEETH} == {
        f"DELIV-{n}" for n in (1, 2, 3, 5, 7, 13, 15, 19, 20, 21)
    }
    assert {fault for fault, _, _, _ in TEETH} == set(Fault)


def _run(faults: frozenset[Fault], mode: int) -> HistoryMachine:
    model = machine(faults)()
    model.start(mode=mode)
    return model


UNDELIVERED_AT_0 = r"DELIV-19 violated:\n  group-undelivered: group 'g': t-0 offset 0 "


def test_commit_before_processing_then_crash_loses_records() -> None:
    """An at-least-once consumer commits right after ``poll()``, then crashes before processing.

    The invariant judges each history as if it ended there, so the early commit is a violation
    at once: from that moment a crash loses the record, and here one does.
    """
    model = _run(frozenset({Fault.COMMIT_BEFORE_PROCESS}), mode=0)
    model.send(client=0, partition=PartitionId(0), outcome=Outcome.OK, appended=True)
    model.join_member(2)
    model.at_least_once_per_group()  # nothing polled, nothing committed: fine
    model.poll_member(2)  # ... and the faulty loop commits what it polled at once
    model.crash_member(2)
    assert model.committed == {PartitionId(0): 1, PartitionId(1): 0}
    with pytest.raises(AssertionError, match=UNDELIVERED_AT_0):
        model.at_least_once_per_group()


def test_the_same_steps_are_safe_when_commits_follow_processing() -> None:
    model = _run(frozenset(), mode=0)
    model.send(client=0, partition=PartitionId(0), outcome=Outcome.OK, appended=True)
    model.join_member(2)
    model.poll_member(2)
    model.commit_member(2, ok=True)  # commits only what was processed: nothing yet
    model.crash_member(2)
    model.at_least_once_per_group()
    model.join_member(3)
    model.poll_member(3)
    model.process_member(3)
    model.commit_member(3, ok=True)
    model.at_least_once_per_group()
    assert model.drained()[1].verdict.value == "valid"


def test_auto_commit_of_the_current_poll_then_crash_loses_records() -> None:
    """Auto-commit that commits this poll's positions, not the previous poll's, then a crash."""
    model = _run(frozenset({Fault.AUTO_COMMIT_CURRENT_POLL}), mode=1)
    model.send(client=1, partition=PartitionId(0), outcome=Outcome.OK, appended=True)
    model.join_member(3)
    model.poll_member(3)
    model.crash_member(3)
    with pytest.raises(AssertionError, match=UNDELIVERED_AT_0):
        model.at_least_once_per_group()


def test_correct_auto_commit_survives_the_same_crash() -> None:
    """Kafka's auto-commit commits the previous poll's positions, so the crash loses nothing."""
    model = _run(frozenset(), mode=1)
    model.send(client=1, partition=PartitionId(0), outcome=Outcome.OK, appended=True)
    model.join_member(3)
    model.poll_member(3)
    model.crash_member(3)
    model.at_least_once_per_group()
    assert model.committed == {PartitionId(0): 0, PartitionId(1): 0}
