"""Teeth: the producer-state suite finds each idempotence bug and each unsafe producer setting.

A check that cannot fail is a defect (DESIGN §4).  Each test runs a variant of the machine in
``test_producer_state_model.py`` and asserts that Hypothesis finds the violation it must:

* ``dedupe_first_seq_only``: after an epoch bump, a new batch restarting at sequence 0 is taken
  for the old batch with sequence 0 and acknowledged at that batch's offset (IDEM-3);
* ``accept_stale_producer_epoch``: a request of the old epoch, processed late, is appended after
  the new epoch's first batch (IDEM-4);
* ``follower_skips_producer_state``: the follower's producer state stays empty while its log
  fills (IDEM-5), so after a failover a retry would be appended twice;
* retries without idempotence write a record twice (ORDER-1, a duplicate), even with one request
  in flight;
* more than one request in flight without idempotence lets a retried batch land after a later
  one (ORDER-1, a reordering), even when no answer is ever lost;
* ORDER-2 itself: with ``dedupe_first_seq_only`` an idempotent producer loses an acknowledged
  record, which no setting permits; and a broken producer that retries although ``retries=0``
  writes a duplicate that its settings do not permit.

The searches are bounded (a few hundred short runs, derandomized) and stop at the first failure.

Spec IDs: IDEM-3, IDEM-4, IDEM-5, ORDER-1, ORDER-2.

Simplified from Kafka: Kafka has no teeth tests; its bugs were found in production.
"""

from __future__ import annotations

import pytest
from glasskafka.bugs import CATALOGUE, BugFlags
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from model_tests.test_producer_state_model import (
    NonIdempotentSafeMachine,
    ProducerStateMachine,
    with_settings,
)

TEETH = settings(
    max_examples=600,
    stateful_step_count=16,
    deadline=None,
    database=None,
    derandomize=True,
    report_multiple_bugs=False,
    # Finding the violation is the point; shrinking it would only cost time.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize(
    ("flag", "spec_id"),
    [
        ("dedupe_first_seq_only", "IDEM-3"),
        ("accept_stale_producer_epoch", "IDEM-4"),
        ("follower_skips_producer_state", "IDEM-5"),
    ],
)
def test_the_producer_state_suite_finds_the_bug(flag: str, spec_id: str) -> None:
    assert spec_id in CATALOGUE[flag].breaks
    # Only the catalogue's invariant is checked, and failovers and restarts are left out, so the
    # search goes straight for the bug; the control below runs everything.
    machine = with_settings(
        ProducerStateMachine, bugs=BugFlags.only(flag), checked=(spec_id,), restarts=False
    )
    with pytest.raises(AssertionError, match=f"{spec_id} violated"):
        run_state_machine_as_test(machine, settings=TEETH)


def test_retries_without_idempotence_write_a_record_twice() -> None:
    machine = with_settings(
        ProducerStateMachine, idempotent=False, max_in_flight=1, checked=("ORDER-1",)
    )
    with pytest.raises(AssertionError, match="ORDER-1 violated:\n  duplicate: "):
        run_state_machine_as_test(machine, settings=TEETH)


def test_several_in_flight_without_idempotence_reorder() -> None:
    # No lost answers: then nothing is written twice, and the anomaly must be a reordering.
    machine = with_settings(
        ProducerStateMachine, idempotent=False, checked=("ORDER-1",), loses_answers=False
    )
    with pytest.raises(AssertionError, match=r"(?s)ORDER-1 violated:.*reordered: "):
        run_state_machine_as_test(machine, settings=TEETH)


def test_a_lost_acknowledged_record_breaks_order_2() -> None:
    machine = with_settings(
        ProducerStateMachine,
        bugs=BugFlags.only("dedupe_first_seq_only"),
        checked=("ORDER-2",),
        restarts=False,
    )
    with pytest.raises(AssertionError, match="ORDER-2 violated:\n  lost "):
        run_state_machine_as_test(machine, settings=TEETH)


def test_a_producer_retrying_against_its_settings_breaks_order_2() -> None:
    machine = with_settings(NonIdempotentSafeMachine, ignores_retries=True)
    with pytest.raises(AssertionError, match="ORDER-2 violated:\n  duplicate with "):
        run_state_machine_as_test(machine, settings=TEETH)


def test_without_bugs_the_same_search_passes() -> None:
    # The control: the same search over the correct machine finds nothing.
    run_state_machine_as_test(ProducerStateMachine, settings=settings(TEETH, max_examples=150))
