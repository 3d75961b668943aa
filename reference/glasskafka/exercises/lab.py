"""What a lab is: a piece of glasskafka to re-implement, where it plugs in, and how it is judged.

Theory of operation
-------------------
A :class:`Lab` names one small, central piece of the reference implementation (the CRC-32C of a
batch, the sparse-index lookup, the high-watermark rule...) and says three things about it:

* **what the student writes**: a template file holding the function's signature and its full
  contract with ``raise NotImplementedError`` as the body, and a README with the goal and hints;
  the functions the checker takes from that file are :attr:`Lab.entry_points`;
* **where it plugs in**: its :class:`Substitution` list.  Each names the exact module attribute
  the reference code calls (``glasskafka.records.header._crc32c``,
  ``glasskafka.log.index.OffsetIndex.lookup``...) and builds, from the student's functions, the
  object that replaces it.  The runner patches them with :func:`unittest.mock.patch` for the
  duration of the check only; no installed file is ever edited, and the substitution points are
  listed here and in the teacher's guide, so adding a lab never means editing glasskafka;
* **how it is judged**: its :class:`Check` list, run in order with the substitution in place:
  golden examples, Hypothesis properties against the reference, and the project's own model
  suites, which now run through the student's code.

A check fails by raising :class:`LabFailure` (a story: inputs, expected, got) or an
``AssertionError`` from a spec (``specs.catalogue.check`` names the spec ID).  The runner turns
either, and any exception the student's code raises, into a :class:`CheckOutcome`.

Spec IDs: none of its own; each lab's checks name the IDs they judge.

Simplified from Kafka: Kafka has no labs.  The substitution mirrors how Kafka itself plugs in
user code (``partition.assignment.strategy``, ``partitioner.class``), by naming a seam rather
than editing the code around it.
"""

from __future__ import annotations

import linecache
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "STUDENT_MODULE_PREFIX",
    "Check",
    "CheckContext",
    "CheckOutcome",
    "Counterexample",
    "Lab",
    "LabFailure",
    "Student",
    "Substitution",
    "raised",
    "shown",
]

Student = Mapping[str, Callable[..., Any]]
"""The student's functions, by the names in :attr:`Lab.entry_points`."""


class LabFailure(Exception):
    """A check's verdict that the student's code is wrong, told as a short story.

    Raised inside a check (also inside a Hypothesis property, which then shrinks the inputs and
    re-raises the failure of the smallest example it found).
    """

    def __init__(self, *, inputs: str, expected: str, got: str) -> None:
        super().__init__(f"inputs: {inputs}; expected: {expected}; got: {got}")
        self.inputs = inputs
        self.expected = expected
        self.got = got


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckContext:
    """What every check receives: the student's functions and the search budget."""

    student: Student
    max_examples: int
    """How many examples each Hypothesis property or model run may try."""
    stateful_step_count: int
    """How many steps each model-suite run may take."""
    profile: str
    """The Hypothesis profile in force (``GLASSKAFKA_PROFILE``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One named judgement of the student's code.  ``run`` returns only if it passed."""

    name: str
    kind: str
    """``unit`` (golden examples), ``property`` (Hypothesis) or ``model`` (a model suite)."""
    run: Callable[[CheckContext], None]
    needs_source_checkout: bool = False
    """Whether it uses ``specs/``, ``model_tests/`` or ``reference/tests/`` of a checkout."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Substitution:
    """Replace the module attribute ``target`` by ``build(student)`` while the checks run."""

    target: str
    """Dotted path of the attribute the reference code looks up, e.g.
    ``glasskafka.assignors.strategies.assign_range``."""
    build: Callable[[Student], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lab:
    """One implement-it exercise."""

    name: str
    title: str
    teaches: str
    """One sentence: the idea the lab is about."""
    minutes: int
    """About how long a student needs, for the teacher's planning."""
    reference: str
    """The reference piece the student re-implements (module and name)."""
    file_name: str
    """The student's file in the workspace."""
    template: str
    """Module name of the template under ``glasskafka.exercises.templates``."""
    entry_points: tuple[str, ...]
    readme: str
    """The workspace README's body (goal and hints), Markdown."""
    substitutions: tuple[Substitution, ...]
    checks: tuple[Check, ...]
    picture: Callable[[Student, Path], list[Path]] | None = field(default=None)
    """Draws the counterexample next to the workspace when a check failed; returns the files."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Counterexample:
    """Why a check failed, as the verdict prints it."""

    inputs: str
    expected: str
    got: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOutcome:
    """The result of one check."""

    name: str
    kind: str
    passed: bool
    skipped: str | None = None
    """Why the check did not run (no source checkout), or None."""
    counterexample: Counterexample | None = None


def shown(value: object) -> str:
    """A value for a story: ``repr``, except a ``"raised ..."`` note, which is shown as is."""
    if isinstance(value, str) and value.startswith("raised "):
        return value
    return repr(value)


STUDENT_MODULE_PREFIX = "_glasskafka_lab_"
"""The student's file is imported under a module name starting with this (``workspace.py``)."""


def raised(error: BaseException) -> str:
    """``"raised Type: message"``, with the student's line that raised it when there is one."""
    where = ""
    for frame, line_number in traceback.walk_tb(error.__traceback__):
        if str(frame.f_globals.get("__name__", "")).startswith(STUDENT_MODULE_PREFIX):
            file_name = Path(frame.f_code.co_filename).name
            text = linecache.getline(frame.f_code.co_filename, line_number).strip()
            where = f" (at {file_name} line {line_number}: {text})"
    message = str(error)
    return f"raised {type(error).__name__}{': ' + message if message else ''}{where}"
