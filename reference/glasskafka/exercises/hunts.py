"""The bug hunt's searches: for every bug flag, the model suite that finds it and its budget.

Theory of operation
-------------------
Each bug flag in ``glasskafka.bugs.CATALOGUE`` has a teeth test under ``model_tests/`` that
proves a model suite finds it: the flag on, a bounded Hypothesis search, and an
``AssertionError`` naming a spec ID.  A :class:`Hunt` is that search again, packaged for the
bug-hunt exercise: a function building the state machine class with the flag on, the settings
(the teeth test's budget, derandomized so a student's run is reproducible), and the spec IDs
the search may report.

Two things differ from the teeth tests, both so that the flag stays hidden:

* every machine class is given a neutral name (the suite's own machine name), because
  Hypothesis prints the class name in the trace and the teeth tests name theirs after the flag;
* the search ends with Hypothesis's shrink phase where it is cheap (the log, group, consumer,
  assignment and producer-state suites), so the student reads the shortest run Hypothesis can
  find; the replication searches skip it, as their teeth tests do, because shrinking a cluster
  run can take minutes -- their runs are a chain of scenario steps plus a few random ones.

The teeth modules live in the source checkout (``model_tests/``), so everything is imported
when a hunt is built, never when this module is imported.

Spec IDs: the ``breaks`` of every catalogue entry, through the suites.

Simplified from Kafka: not applicable; Kafka's bugs were found in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, settings

from glasskafka.bugs import BugFlags

__all__ = ["HUNTS", "Hunt", "hunt_for"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Hunt:
    """One search that finds one bug flag."""

    flag: str
    suite: str
    """The model-test module that owns the search, for the teacher's eyes only."""
    machine: Callable[[BugFlags], Any]
    """Builds the state machine class with the given flags."""
    examples: int
    steps: int
    shrink: bool


def _settings(hunt: Hunt, shrink: bool) -> settings:
    wanted = hunt.shrink and shrink
    phases = (Phase.explicit, Phase.generate, *((Phase.shrink,) if wanted else ()))
    return settings(
        max_examples=hunt.examples,
        stateful_step_count=hunt.steps,
        deadline=None,
        database=None,
        derandomize=True,
        report_multiple_bugs=False,
        print_blob=False,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )


def _named(base: type, name: str, **attributes: object) -> type:
    return type(name, (base,), dict(attributes))


def _log(bugs: BugFlags) -> Any:
    from model_tests.test_log_teeth import LogMachineWithMoreDamage

    return _named(LogMachineWithMoreDamage, "LogMachine", bugs=bugs)


def _replication(flag: str) -> Callable[[BugFlags], Any]:
    def build(bugs: BugFlags) -> Any:
        from model_tests.test_replication_teeth import SEARCHES

        (teeth,) = [t for t in SEARCHES if t.flag == flag]
        attributes: dict[str, object] = {"config": teeth.config(bugs)}
        if teeth.chain:
            attributes["chain"] = tuple(step for _, step in teeth.scenario.steps)
        return _named(teeth.machine, "ReplicationMachine", **attributes)

    return build


def _consumer(bugs: BugFlags) -> Any:
    from model_tests.test_consumer_model import ConsumerGroupMachine

    return _named(ConsumerGroupMachine, "ConsumerGroupMachine", bugs=bugs)


def _group(bugs: BugFlags) -> Any:
    from glasskafka.group import GroupCoordinator
    from model_tests.test_group_teeth import _machine_with

    return _named(_machine_with(GroupCoordinator, bugs), "GroupMachine")


def _producer_state(spec_id: str) -> Callable[[BugFlags], Any]:
    def build(bugs: BugFlags) -> Any:
        from model_tests.test_producer_state_model import ProducerStateMachine, with_settings

        machine = with_settings(ProducerStateMachine, bugs=bugs, checked=(spec_id,), restarts=False)
        return _named(machine, "ProducerStateMachine")

    return build


def _assignment(bugs: BugFlags) -> Any:
    from glasskafka.assignors import AssignmentStrategy
    from model_tests.test_assign_properties import run_assignor
    from model_tests.test_assign_rebalances import machine_for

    sticky = AssignmentStrategy.STICKY
    return machine_for(
        sticky, assignor=run_assignor(sticky, bugs), old_clients=True, name="StickyRebalances"
    )


def _hunt(flag: str, suite: str, machine: Callable[[BugFlags], Any], **budget: Any) -> Hunt:
    return Hunt(flag=flag, suite=suite, machine=machine, **budget)


_REPLICATION = "model_tests/test_replication_teeth.py"
_PRODUCER_STATE = "model_tests/test_producer_state_teeth.py"

HUNTS: dict[str, Hunt] = {
    hunt.flag: hunt
    for hunt in (
        _hunt(
            "index_entry_off_by_one",
            "model_tests/test_log_teeth.py",
            _log,
            examples=300,
            steps=12,
            shrink=True,
        ),
        _hunt(
            "recover_without_crc_check",
            "model_tests/test_log_teeth.py",
            _log,
            examples=300,
            steps=12,
            shrink=True,
        ),
        _hunt(
            "assign_partition_twice",
            "model_tests/test_assign_teeth.py",
            _assignment,
            examples=400,
            steps=10,
            shrink=True,
        ),
        *(
            _hunt(flag, _REPLICATION, _replication(flag), examples=examples, steps=20, shrink=False)
            for flag, examples in (
                ("truncate_to_local_hw_on_follow", 30),
                ("kip101_lookup", 30),
                ("skip_truncation_if_same_leader", 30),
                ("unfenced_fetch", 40),
                ("expand_isr_on_hw_only", 30),
                ("apply_isr_change_before_zk_ack", 40),
                ("ack_before_hw", 40),
            )
        ),
        _hunt(
            "stale_generation_commit_accepted",
            "model_tests/test_group_teeth.py",
            _group,
            examples=500,
            steps=40,
            shrink=True,
        ),
        _hunt(
            "auto_commit_current_poll",
            "model_tests/test_consumer_teeth.py",
            _consumer,
            examples=300,
            steps=30,
            shrink=True,
        ),
        _hunt(
            "resume_after_committed",
            "model_tests/test_consumer_teeth.py",
            _consumer,
            examples=300,
            steps=30,
            shrink=True,
        ),
        _hunt(
            "dedupe_first_seq_only",
            _PRODUCER_STATE,
            _producer_state("IDEM-3"),
            examples=600,
            steps=16,
            shrink=True,
        ),
        _hunt(
            "accept_stale_producer_epoch",
            _PRODUCER_STATE,
            _producer_state("IDEM-4"),
            examples=600,
            steps=16,
            shrink=True,
        ),
        _hunt(
            "follower_skips_producer_state",
            _PRODUCER_STATE,
            _producer_state("IDEM-5"),
            examples=600,
            steps=16,
            shrink=True,
        ),
    )
}
"""Every bug flag's search, in the catalogue's order of flags (a test keeps them in step)."""


def hunt_for(flag: str, *, shrink: bool = True) -> tuple[Any, settings]:
    """The machine class (flag on) and settings of ``flag``'s search (``shrink=False``: never
    shrink, which the tests use to stay fast)."""
    hunt = HUNTS[flag]
    return hunt.machine(BugFlags.only(flag)), _settings(hunt, shrink)
