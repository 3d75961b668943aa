"""Checks that several labs share: the project's model suites, run through the student's code.

Theory of operation
-------------------
A lab's own checks (golden examples, properties against the reference) live in its module.
The checks here run the *project's* suites unchanged, with the student's code already
substituted by the runner:

* :func:`log_model_check` runs ``model_tests/test_log_model.py``'s ``LogMachine``: one partition
  log on a simulated disk, appended, read, rolled, truncated, compacted and crashed, with the LOG
  specs checked after every step.  The CRC, varint and index labs all sit under it;
* :func:`replication_model_check` runs ``model_tests/replication_machine.py``'s
  ``ReplicationMachine``: three simulated brokers with crashes and partitions, the REPL specs
  after every step.  The high-watermark and truncation labs sit under it.

Both import from the source checkout (``runner.source_checkout`` put it on ``sys.path``), so
their checks are marked ``needs_source_checkout``.

Spec IDs: LOG-1..9 and REPL-1..9, 11, 15 through the suites they run.

Simplified from Kafka: not applicable.
"""

from __future__ import annotations

from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from glasskafka.exercises.lab import Check, CheckContext
from glasskafka.exercises.runner import check_settings

__all__ = ["log_model_check", "replication_model_check"]


def _run_log_model(context: CheckContext) -> None:
    from model_tests.test_log_model import LogMachine

    run_state_machine_as_test(LogMachine, settings=check_settings(context))


def _run_replication_model(context: CheckContext) -> None:
    from model_tests.replication_machine import ReplicationMachine

    # Cluster runs are costly: a quarter of the budget, and no shrinking (shrinking a failed
    # cluster run can take minutes), so the counterexample is the run as Hypothesis found it.
    quarter = settings(
        check_settings(context),
        max_examples=max(2, context.max_examples // 4),
        stateful_step_count=20,
        phases=(Phase.explicit, Phase.generate),
    )
    run_state_machine_as_test(ReplicationMachine, settings=quarter)


def log_model_check() -> Check:
    """The partition-log model suite (LOG-1..9), with the student's code inside the log."""
    return Check(
        name="model suite: partition log (LOG-1..9)",
        kind="model",
        run=_run_log_model,
        needs_source_checkout=True,
    )


def replication_model_check() -> Check:
    """The replication model suite (REPL specs), with the student's code inside the brokers."""
    return Check(
        name="model suite: replication on three brokers (REPL-1..9, 11, 15)",
        kind="model",
        run=_run_replication_model,
        needs_source_checkout=True,
    )
