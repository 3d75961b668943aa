"""Teeth: the replication suite finds each replication bug flag when it is switched on.

A check that cannot fail is a defect (DESIGN §4).  Each test below runs the replication machine
with one broker bug flag on and asserts that Hypothesis finds a run that breaks one of the spec
IDs its scenario of reference §5 breaks, within a bounded budget (a fixed seed, no shrinking):

==================================  ========  ================================================
flag                                scenario  how the search reaches it
==================================  ========  ================================================
``unfenced_fetch``                  S5        plain random rules: a fetch of an older epoch
                                              reaches a leader soon after any election
``apply_isr_change_before_zk_ack``  S7        plain random rules: any ISR change in flight
``ack_before_hw``                   --        a fault pattern: the leader dies with a tail
                                              whose answer reached the producer
``truncate_to_local_hw_on_follow``  S1        the scenario's chain of failovers first
``kip101_lookup``                   S3        the scenario's chain of failovers first
``skip_truncation_if_same_leader``  S4        the scenario's chain of failovers first
``expand_isr_on_hw_only``           S6        the scenario's chain of failovers first
==================================  ========  ================================================

The fault patterns are the extra rules of ``replication_teeth_machine.py``.  S1, S3, S4 and S6
need a restart or two or three elections in a precise order, which a bounded random search does
not reach; their runs start with the scenario's chain (``replication_scenarios.py``), after a
warm-up Hypothesis picks, with the current leader as its first broker and the others in an order
Hypothesis picks, and Hypothesis chooses everything after it.  Where the flag also breaks an
invariant that fires a step earlier than the scenario's own (S1's truncation breaks REPL-14
before REPL-2), that one is left unchecked in the teeth run, so the search has to reach the
scenario's headline.

Every search is paired with a control: the same machine and budget without the flag finds
nothing, so what fails above fails because of the flag.  ``reference/tests/
test_replication_scenarios.py`` replays each scenario step by step.
"""

from __future__ import annotations

import dataclasses

import pytest
from glasskafka.bugs import CATALOGUE, NO_BUGS, BugFlags
from glasskafka.sim.kafka_snapshot import Acks
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from model_tests.replication_bench import ReplicationConfig
from model_tests.replication_machine import ReplicationMachine
from model_tests.replication_scenarios import ACK_BEFORE_HW, S1, S3, S4, S5, S6, S7
from model_tests.replication_script import Scenario
from model_tests.replication_teeth_machine import TeethMachine


def budget(examples: int) -> settings:
    """A bounded, reproducible search that stops at the first failure."""
    return settings(
        max_examples=examples,
        stateful_step_count=20,
        deadline=None,
        database=None,
        derandomize=True,
        report_multiple_bugs=False,
        # Finding the violation is the point; shrinking it would only cost time.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Teeth:
    """One search: a scenario, the machine, the budget, and the IDs left unchecked."""

    scenario: Scenario
    machine: type[ReplicationMachine]
    examples: int
    earlier: frozenset[str] = frozenset()
    """Other consequences of the flag that fire before the scenario's own IDs."""
    chain: bool = False

    @property
    def flag(self) -> str:
        assert self.scenario.flag is not None
        return self.scenario.flag

    def config(self, bugs: BugFlags) -> ReplicationConfig:
        base = self.scenario.config
        return dataclasses.replace(
            base,
            bugs=bugs,
            acks=(Acks.ALL, Acks.ONE),
            may_break=base.may_break | self.earlier,
        )

    def machine_with(self, bugs: BugFlags) -> type[ReplicationMachine]:
        attributes: dict[str, object] = {"config": self.config(bugs)}
        if self.chain:
            attributes["chain"] = tuple(step for _, step in self.scenario.steps)
        return type(f"{self.machine.__name__}_{self.flag}", (self.machine,), attributes)


SEARCHES = [
    Teeth(scenario=S5, machine=ReplicationMachine, examples=40),
    Teeth(scenario=S7, machine=ReplicationMachine, examples=40),
    Teeth(scenario=ACK_BEFORE_HW, machine=TeethMachine, examples=40),
    Teeth(
        scenario=S1,
        machine=TeethMachine,
        examples=30,
        earlier=frozenset({"REPL-3", "REPL-14"}),
        chain=True,
    ),
    Teeth(
        scenario=S3,
        machine=TeethMachine,
        examples=30,
        earlier=frozenset({"REPL-3"}),
        chain=True,
    ),
    Teeth(
        scenario=S4,
        machine=TeethMachine,
        examples=30,
        earlier=frozenset({"REPL-2", "REPL-3"}),
        chain=True,
    ),
    Teeth(scenario=S6, machine=TeethMachine, examples=30, chain=True),
]


def _id(teeth: Teeth) -> str:
    return teeth.flag


@pytest.mark.parametrize("teeth", SEARCHES, ids=_id)
def test_the_replication_suite_finds_the_bug(teeth: Teeth) -> None:
    breaks = [i for i in teeth.scenario.breaks if i not in teeth.earlier]
    assert breaks, f"{teeth.flag}: nothing left to find"
    assert set(breaks) <= set(CATALOGUE[teeth.flag].breaks) | set(teeth.scenario.breaks)
    pattern = "|".join(f"{spec_id} violated" for spec_id in breaks)
    with pytest.raises(AssertionError, match=pattern):
        run_state_machine_as_test(
            teeth.machine_with(BugFlags.only(teeth.flag)), settings=budget(teeth.examples)
        )


@pytest.mark.parametrize("teeth", SEARCHES, ids=_id)
def test_without_the_flag_the_same_search_passes(teeth: Teeth) -> None:
    # The control: a smaller budget of the same search, with every ID the search watches.
    run_state_machine_as_test(teeth.machine_with(NO_BUGS), settings=budget(10))


def test_every_replication_flag_has_a_search() -> None:
    searched = {teeth.flag for teeth in SEARCHES}
    replication = {
        name for name, info in CATALOGUE.items() if info.location.startswith("glasskafka/broker/")
    }
    assert searched == replication
