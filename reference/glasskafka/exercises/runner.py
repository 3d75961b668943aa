"""Running a lab's checks with the student's code plugged into glasskafka.

Theory of operation
-------------------
:func:`check_lab` takes the student's functions (from
:func:`~glasskafka.exercises.workspace.load_student`) and, for the duration of the check only,
patches every :class:`~glasskafka.exercises.lab.Substitution` of the lab with
:func:`unittest.mock.patch`: the reference code now calls the student's function at the exact
attribute it always looks up.  The patches are undone when the checks end, whatever happens.

The checks run in order, cheap and pointed first, and stop at the first failure (the rest
are reported as not run).  Each check becomes a :class:`~glasskafka.exercises.lab.CheckOutcome`:

* it passes if it returns;
* a :class:`~glasskafka.exercises.lab.LabFailure` gives its own story (inputs, expected, got);
* an ``AssertionError`` from a spec (``"LOG-3 violated: ..."``) gives the spec's message as
  *got*, and the shrunk example Hypothesis attached to it (``__notes__``: the falsifying
  arguments, or the steps of a model run) as *inputs*;
* any other exception was raised by the student's code (or by glasskafka because of what it
  returned): it is reported with its type, message and the student's line, never a traceback.

The model suites and the golden data live in the source checkout (``specs/``, ``model_tests/``,
``reference/tests/``), not in the installed package.  :func:`source_checkout` finds that
checkout next to the package and puts it on ``sys.path``; without one, such checks are reported
as skipped, never as passed.

The Hypothesis budget comes from the profile named by ``GLASSKAFKA_PROFILE`` (``ci``, ``dev``,
``thorough``), unless the caller gives ``max_examples``.  Each check runs under a time limit
(``limits.time_limit``, ``timeout_s``): a student's loop that never ends makes that check fail
with "did not finish", and the rest are reported as not run.

Spec IDs: none of its own.

Simplified from Kafka: not applicable.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from hypothesis import Phase, settings
from hypothesis.stateful import RuleBasedStateMachine

from glasskafka.exercises.lab import (
    Check,
    CheckContext,
    CheckOutcome,
    Counterexample,
    Lab,
    LabFailure,
    Student,
)
from glasskafka.exercises.limits import DEFAULT_TIMEOUT_S, TimeLimitExceeded, time_limit
from glasskafka.exercises.workspace import describe_exception

__all__ = ["Verdict", "check_lab", "check_settings", "source_checkout", "substituted"]

_MAX_INPUT_LINES = 14


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """Every check's outcome, and any pictures drawn of the counterexample."""

    lab: str
    profile: str
    outcomes: tuple[CheckOutcome, ...]
    pictures: tuple[Path, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether no check failed (skipped checks are shown, but do not fail the lab)."""
        return all(o.passed or o.skipped for o in self.outcomes)


def source_checkout() -> Path | None:
    """The repository root holding ``specs/`` and ``model_tests/``, put on ``sys.path``; or None.

    The package lives at ``<root>/reference/glasskafka``, so the root is two levels up.
    """
    root = Path(__file__).resolve().parents[3]
    if not ((root / "specs" / "catalogue.py").is_file() and (root / "model_tests").is_dir()):
        return None
    for entry in (str(root), str(root / "reference")):
        if entry not in sys.path:
            sys.path.append(entry)
    return root


def _profile() -> str:
    """Load the Hypothesis profile of ``GLASSKAFKA_PROFILE`` (as the test directories do)."""
    if source_checkout() is None:
        return "hypothesis-default"
    from model_tests.profiles import load_profile

    return load_profile()


def check_settings(context: CheckContext, *, shrink: bool = True) -> settings:
    """Hypothesis settings for one property or model run of a check.

    ``shrink=False`` leaves out the shrink phase: a failing model run is reported as found,
    because shrinking a run of a whole node can take minutes.
    """
    base = settings.default
    assert base is not None  # Hypothesis always has a default profile loaded
    phases = base.phases if shrink else tuple(p for p in base.phases if p is not Phase.shrink)
    return settings(
        base,
        phases=phases,
        max_examples=context.max_examples,
        stateful_step_count=context.stateful_step_count,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        print_blob=False,
    )


@contextmanager
def substituted(lab: Lab, student: Student) -> Iterator[None]:
    """Patch every substitution point of ``lab`` with the student's code; undo on exit."""
    with ExitStack() as stack:
        for substitution in lab.substitutions:
            stack.enter_context(mock.patch(substitution.target, substitution.build(student)))
        yield


def check_lab(
    lab: Lab,
    student: Student,
    *,
    student_path: Path,
    max_examples: int | None = None,
    stateful_step_count: int | None = None,
    picture_dir: Path | None = None,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
) -> Verdict:
    """Run every check of ``lab`` on ``student``'s code; draw the failure if the lab can.

    ``max_examples`` and ``stateful_step_count`` override the profile's budget; ``timeout_s``
    bounds each check (None: no limit).
    """
    profile = _profile()
    profile_settings = settings.default
    assert profile_settings is not None  # Hypothesis always has a default profile loaded
    context = CheckContext(
        student=student,
        max_examples=max_examples or profile_settings.max_examples,
        stateful_step_count=stateful_step_count or profile_settings.stateful_step_count,
        profile=os.environ.get("GLASSKAFKA_PROFILE", profile),
    )
    has_checkout = source_checkout() is not None
    with substituted(lab, student):
        outcomes = _run_in_order(lab.checks, context, student_path, has_checkout, timeout_s)
        pictures: list[Path] = []
        failed = any(not o.passed and not o.skipped for o in outcomes)
        if failed and lab.picture is not None and picture_dir is not None:
            try:
                with time_limit(timeout_s):
                    pictures = lab.picture(student, picture_dir)
            except (Exception, TimeLimitExceeded):  # a picture is a bonus: a student bug that
                pictures = []  # breaks it is reported by the checks already
    return Verdict(lab=lab.name, profile=profile, outcomes=outcomes, pictures=tuple(pictures))


def _run_in_order(
    checks: tuple[Check, ...],
    context: CheckContext,
    path: Path,
    has_checkout: bool,
    timeout_s: float | None,
) -> tuple[CheckOutcome, ...]:
    """Run the checks in order until one fails; report the rest as not run.

    The checks go from cheap and pointed (golden examples) to broad and costly (model suites),
    so the first failure is the most readable one; fixing it first is the student's next step,
    and running a model suite on code that fails a golden example would only take time.
    """
    outcomes: list[CheckOutcome] = []
    for check in checks:
        if any(not o.passed and not o.skipped for o in outcomes):
            outcomes.append(
                CheckOutcome(
                    name=check.name,
                    kind=check.kind,
                    passed=False,
                    skipped="not run: fix the failure above first",
                )
            )
            continue
        outcomes.append(_run(check, context, path, has_checkout, timeout_s))
    return tuple(outcomes)


def _run(
    check: Check, context: CheckContext, path: Path, has_checkout: bool, timeout_s: float | None
) -> CheckOutcome:
    if check.needs_source_checkout and not has_checkout:
        return CheckOutcome(
            name=check.name,
            kind=check.kind,
            passed=False,
            skipped="needs a glasskafka source checkout (specs/ and model_tests/)",
        )
    try:
        with time_limit(timeout_s):
            check.run(context)
    except TimeLimitExceeded as timeout:
        story = Counterexample(
            inputs="(the check's examples; the verdict cannot say which one was running)",
            expected=f"the check finishes within {timeout.seconds:g} s",
            got=f"it {timeout} (does your code loop forever, or wait for something that "
            "never happens?)",
        )
        return CheckOutcome(name=check.name, kind=check.kind, passed=False, counterexample=story)
    except LabFailure as failure:
        story = Counterexample(inputs=failure.inputs, expected=failure.expected, got=failure.got)
        return CheckOutcome(name=check.name, kind=check.kind, passed=False, counterexample=story)
    except Exception as error:
        return CheckOutcome(
            name=check.name, kind=check.kind, passed=False, counterexample=_story(error, path)
        )
    return CheckOutcome(name=check.name, kind=check.kind, passed=True)


_INVARIANT_MARKER = "hypothesis_stateful_invariant"
"""The attribute ``@invariant()`` sets on a function (``hypothesis.stateful.INVARIANT_MARKER``)."""


def _invariant_names() -> set[str]:
    """The names of the invariants of every state machine class defined so far."""
    names: set[str] = set()
    pending: list[type[RuleBasedStateMachine]] = [RuleBasedStateMachine]
    while pending:
        machine = pending.pop()
        pending.extend(machine.__subclasses__())
        names.update(
            name
            for name, member in vars(machine).items()
            if getattr(member, _INVARIANT_MARKER, None) is not None
        )
    return names


def _steps(lines: list[str]) -> list[str]:
    """Hypothesis's example, without its noise: the reproduction hints, the "Explanation"
    block, the ``<state machine>`` marker, and the invariant checks it lists after every step
    (argument-less calls of a machine's invariants, and any before the first rule)."""
    kept: list[str] = []
    after_start = False
    invariants = _invariant_names()
    for line in lines:
        if line.startswith("Explanation:"):
            break
        if not line.strip() or line.startswith(
            ("You can reproduce", "@reproduce_failure", "<state machine>")
        ):
            continue
        call = re.fullmatch(r"\s*state\.(\w+)\(\)", line)
        if call and call.group(1) == "teardown":
            continue
        if line.lstrip().startswith("state = "):
            after_start = True
        elif call and (after_start or call.group(1) in invariants):
            continue
        else:
            after_start = False
        kept.append(line)
    return kept


def _story(error: Exception, path: Path) -> Counterexample:
    """A counterexample from an exception and the example Hypothesis attached to it."""
    lines = [
        line.removeprefix("Failing test case: ").removeprefix("Falsifying example: ")
        for note in getattr(error, "__notes__", [])
        for line in str(note).splitlines()
    ]
    notes = _steps(lines)
    if len(notes) > _MAX_INPUT_LINES:
        notes = [*notes[: _MAX_INPUT_LINES - 1], f"... ({len(notes) - _MAX_INPUT_LINES + 1} more)"]
    inputs = "\n".join(notes) if notes else "(the check's fixed example)"
    if isinstance(error, AssertionError):
        message = str(error).strip() or "an assertion failed"
        spec_id, _, rest = message.partition(" violated")
        expected = f"{spec_id} holds" if rest else "the check's assertion holds"
        return Counterexample(inputs=inputs, expected=expected, got=message)
    if isinstance(error, NotImplementedError):
        got = "NotImplementedError: the function is not written yet"
    else:
        got = describe_exception(error, path)
    return Counterexample(inputs=inputs, expected="no exception", got=got)
