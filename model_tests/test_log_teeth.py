"""Teeth: the partition-log suite finds each log bug flag when it is switched on.

A check that cannot fail is a defect (DESIGN §4).  Each test below runs the machine of
``test_log_model.py`` with one bug flag on and asserts that Hypothesis finds a run breaking the
invariant the flag's catalogue entry names:

* ``index_entry_off_by_one`` makes the offset index point one batch too late, which LOG-3 sees
  as soon as a segment has an index entry;
* ``recover_without_crc_check`` lets recovery keep a batch whose bytes were damaged in a power
  loss, which LOG-4 sees after the ``damaged`` crash.

The searches are bounded (a few hundred short runs) and stop at the first failure.
"""

from __future__ import annotations

import pytest
from glasskafka.bugs import CATALOGUE, BugFlags
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from model_tests.test_log_model import LogMachine

TEETH = settings(
    max_examples=300,
    stateful_step_count=12,
    deadline=None,
    database=None,
    derandomize=True,
    report_multiple_bugs=False,
    # Finding the violation is the point; shrinking it to the shortest run would only cost time.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class LogMachineWithMoreDamage(LogMachine):
    """The log machine with one more rule: a power loss that damages an unsynced batch.

    Only that kind of crash can reveal a recovery that skips the CRC (a torn tail is caught by
    its length), so the search for ``recover_without_crc_check`` makes it twice as likely.
    """

    @rule(seed=st.integers(min_value=0, max_value=2**32))
    def damaging_power_loss(self, seed: int) -> None:
        self.crash("damaged", seed)


def machine_with(flag: str) -> type[LogMachine]:
    """The log machine (with more damaging crashes) with bug flag ``flag`` switched on."""
    return type(
        f"LogMachineWith_{flag}", (LogMachineWithMoreDamage,), {"bugs": BugFlags.only(flag)}
    )


@pytest.mark.parametrize(
    ("flag", "spec_id"),
    [("index_entry_off_by_one", "LOG-3"), ("recover_without_crc_check", "LOG-4")],
)
def test_the_log_suite_finds_the_bug(flag: str, spec_id: str) -> None:
    assert spec_id in CATALOGUE[flag].breaks
    with pytest.raises(AssertionError, match=f"{spec_id} violated"):
        run_state_machine_as_test(machine_with(flag), settings=TEETH)


def test_without_bugs_the_same_search_passes() -> None:
    # The control: what fails above fails because of the flag, not the extra crash rule.
    run_state_machine_as_test(LogMachineWithMoreDamage, settings=settings(TEETH, max_examples=100))
