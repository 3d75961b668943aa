"""Teeth for the consumer model suite: each consumer bug flag is caught by DELIV-19.

* ``auto_commit_current_poll``: the auto-commit covers the records a poll is returning, before
  the application has processed them; a crash between poll and processing then leaves records
  below the committed offset that nobody processed.
* ``resume_after_committed``: a member that takes over a partition starts one past the committed
  offset, so the record at the committed offset is never processed, and the next commit covers
  it.

Each runs :class:`~model_tests.test_consumer_model.ConsumerGroupMachine` with the flag on and
asserts that Hypothesis finds the DELIV-19 violation; the control runs it with the flags off.
Only the generate phase runs: finding the violation is the point.
"""

from __future__ import annotations

import pytest
from glasskafka.bugs import BugFlags
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from model_tests.test_consumer_model import ConsumerGroupMachine

TEETH_SETTINGS = settings(
    max_examples=300,
    stateful_step_count=30,
    database=None,
    deadline=None,
    phases=(Phase.generate,),
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("flag", ["auto_commit_current_poll", "resume_after_committed"])
def test_consumer_suite_catches(flag: str) -> None:
    """Teeth: with the flag on, Hypothesis finds records below the committed offset unprocessed."""

    class BuggyMachine(ConsumerGroupMachine):
        bugs = BugFlags.only(flag)

    with pytest.raises(AssertionError, match="DELIV-19"):
        run_state_machine_as_test(BuggyMachine, settings=TEETH_SETTINGS)


def test_the_same_suite_passes_without_the_flags() -> None:
    run_state_machine_as_test(
        ConsumerGroupMachine, settings=settings(TEETH_SETTINGS, max_examples=30)
    )
