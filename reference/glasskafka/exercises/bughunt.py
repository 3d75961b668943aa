"""The bug hunt: a hidden bug flag, the invariant it broke, and the student's diagnosis.

Theory of operation
-------------------
``glasskafka exercise bughunt --student ID`` turns on one bug flag of ``glasskafka.bugs``, runs
the model suite that finds it (:mod:`glasskafka.exercises.hunts`), and prints only what a
developer would have in front of them after a failed nightly run: the spec ID that was violated,
the invariant's statement from ``specs/``, what the checker saw, and the steps of the run.  The
flag's name never appears: machine classes carry neutral names, and :func:`scrub` removes any
flag name that might still surface in a message.

The flag is chosen by :func:`hunt_seed` and :func:`flag_for_seed`: a student id is hashed
(SHA-256) to a number, and the number picks a flag from the catalogue, so every student of a
class gets a fixed flag, two students usually different ones, and ``--seed 0`` .. ``--seed 15``
walk through all sixteen.  A teacher's ``--seed`` together with ``--student`` mixes both, so a
new term gives everyone a new bug.  The mapping is public (it is this file); the exercise is a
diagnosis, not a secret.

``glasskafka exercise check bughunt --student ID --answer X`` judges a diagnosis with
:func:`judge_answer`.  X may be the flag's name (``truncate_to_local_hw_on_follow``, any case,
``-`` for ``_``, with or without ``bugs.``), or the code location from the catalogue: the file
(``glasskafka/log/index.py``, also ``reference/glasskafka/...``, ``log/index.py`` or just
``index.py``), optionally with the function or method where the flag acts
(``glasskafka/log/index.py:OffsetIndex.append`` or ``...:append``), found by reading the
file's syntax tree for ``bugs.<flag>``.  Several flags live in one file; naming the file of the
hidden flag is right.  A wrong answer is refuted without saying what the right one is; an
answer that names neither a flag nor a file of the catalogue is bad input.

Spec IDs: every ID a catalogue entry breaks, through the hunts.

Simplified from Kafka: not applicable; Kafka's bugs came with no invariant to point at them.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hypothesis.stateful import run_state_machine_as_test

import glasskafka
from glasskafka.bugs import CATALOGUE
from glasskafka.errors import GlassKafkaError
from glasskafka.exercises.hunts import hunt_for
from glasskafka.exercises.runner import _steps, source_checkout

__all__ = [
    "HuntReport",
    "Judgement",
    "flag_for_seed",
    "format_hunt",
    "functions_of",
    "hunt_seed",
    "judge_answer",
    "run_hunt",
    "scrub",
]

_HIDDEN = "<hidden>"
_MAX_STEPS = 40


def hunt_seed(student: str | None, seed: int | None) -> int:
    """The hunt's number: ``seed`` alone, or SHA-256 of the student id (and seed, if given)."""
    if student is None:
        return seed if seed is not None else 0
    text = student.strip() if seed is None else f"{student.strip()}\0{seed}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def flag_for_seed(number: int) -> str:
    """The bug flag of hunt ``number``: the catalogue's flags in order, round and round."""
    flags = list(CATALOGUE)
    return flags[number % len(flags)]


def scrub(text: str) -> str:
    """``text`` with every bug flag's name (and ``BugFlags(...)`` reprs) replaced."""
    text = re.sub(r"BugFlags\([^)]*\)", "BugFlags(<hidden>)", text)
    for name in sorted(CATALOGUE, key=len, reverse=True):
        text = re.sub(re.escape(name), _HIDDEN, text, flags=re.IGNORECASE)
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class HuntReport:
    """What the student is shown: the broken invariant and the run that broke it."""

    spec_id: str
    title: str
    statement: str
    violation: str
    steps: tuple[str, ...]


def run_hunt(flag: str, *, shrink: bool = True) -> HuntReport:
    """Run ``flag``'s search and return what it found, scrubbed of flag names.

    ``shrink=False`` skips Hypothesis's shrink phase everywhere (a longer run, found sooner).

    Raises :class:`GlassKafkaError` without a source checkout (the suites live there), and if
    the search finds nothing (a defect of the hunt: the teeth test of the flag fails too).
    """
    if source_checkout() is None:
        raise GlassKafkaError("the bug hunt needs a glasskafka source checkout (model_tests/)")
    from specs.catalogue import load_all

    machine, search = hunt_for(flag, shrink=shrink)
    try:
        run_state_machine_as_test(machine, settings=search)
    except AssertionError as error:
        return _report(error, load_all(), tuple(getattr(machine, "chain", ())))
    raise GlassKafkaError("the model suite found nothing this time; tell your teacher")


def _report(
    error: AssertionError, registry: Mapping[str, object], chain: tuple[object, ...]
) -> HuntReport:
    message = str(error).strip()
    found = re.match(r"([A-Z]+-\d+)(?: violated)?:?", message)
    spec_id = found.group(1) if found else "?"
    violation = message[found.end() :] if found else message
    entry = registry.get(spec_id)
    lines = [
        line.removeprefix("Failing test case: ").removeprefix("Falsifying example: ")
        for note in getattr(error, "__notes__", [])
        for line in str(note).splitlines()
    ]
    steps = _steps(lines)
    if chain:
        # The scenario's chain runs inside the first rule; show its steps (never its captions,
        # which tell the story of the bug) so the run can be replayed by hand.
        steps.insert(
            2 if len(steps) >= 2 else len(steps),
            "#   ...which, after the warm-up, plays this chain (broker 1 = the leader then):",
        )
        for offset, step in enumerate(chain):
            steps.insert(3 + offset if len(steps) >= 3 else len(steps), f"#     {step!r}")
    if len(steps) > _MAX_STEPS:
        steps = [*steps[: _MAX_STEPS - 1], f"... ({len(steps) - _MAX_STEPS + 1} more steps)"]
    return HuntReport(
        spec_id=spec_id,
        title=str(getattr(entry, "title", "")),
        statement=scrub(str(getattr(entry, "statement", "(no statement registered)"))),
        violation=scrub(violation.strip() or message),
        steps=tuple(scrub(step) for step in steps),
    )


def format_hunt(report: HuntReport, *, who: str, arguments: str) -> str:
    """The text ``exercise bughunt`` prints, ending with how to answer.

    ``who`` names the hunter in the heading; ``arguments`` are the ``--student``/``--seed``
    options that choose the same hunt again, for the answer command.
    """
    lines = [
        f"bug hunt for {who}",
        "",
        "One bug flag of glasskafka is switched on.  A model suite ran and an invariant broke:",
        "",
        f"  {report.spec_id}  {report.title}",
        *(f"    {line}" for line in _wrapped(report.statement)),
        "",
        "what the checker saw:",
        *(f"    {line}" for line in report.violation.splitlines()),
        "",
        "the run (Hypothesis's steps; `state` is the suite's state machine):",
        *(f"    {line}" for line in report.steps),
        "",
        "Find the bug: read the invariant, replay the steps in your head (or in the model test),",
        "and name the bug flag or the code location (file, or file:function) where it lives:",
        "  "
        + " ".join(
            part
            for part in ("glasskafka exercise check bughunt", arguments, "--answer NAME_OR_FILE")
            if part
        ),
    ]
    return "\n".join(lines) + "\n"


def _wrapped(text: str, width: int = 88) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


# ---------------------------------------------------------------------------------------------
# Judging an answer


@dataclass(frozen=True, slots=True, kw_only=True)
class Judgement:
    """Whether the answer is right, and what to print."""

    confirmed: bool
    message: str


def _package_root() -> Path:
    return Path(glasskafka.__file__).resolve().parent


def functions_of(flag: str) -> tuple[str, ...]:
    """The functions (``Class.method`` or ``function``) of the flag's file that read it."""
    location = CATALOGUE[flag].location
    path = _package_root() / location.removeprefix("glasskafka/")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                reads = any(
                    isinstance(n, ast.Attribute) and n.attr == flag for n in ast.walk(child)
                )
                if reads:
                    found.append(name)
                visit(child, f"{name}.")

    visit(tree, "")
    return tuple(found)


def _normal_file(text: str) -> str:
    path = text.strip().replace("\\", "/").removeprefix("./").removeprefix("reference/")
    return path


def _file_matches(answer: str, location: str) -> bool:
    return bool(answer) and (location == answer or location.endswith("/" + answer))


def _known_file(answer: str) -> bool:
    return any(_file_matches(answer, info.location) for info in CATALOGUE.values())


def _normal_flag(text: str) -> str:
    return text.strip().lower().replace("-", "_").removeprefix("bugs.")


def judge_answer(flag: str, answer: str) -> Judgement:
    """Judge ``answer`` (a flag name or a code location) against the hidden ``flag``.

    Raises :class:`GlassKafkaError` if ``answer`` names neither a bug flag nor a file of the
    catalogue (so a typo is not counted as a wrong diagnosis).
    """
    info = CATALOGUE[flag]
    if not answer.strip():
        raise GlassKafkaError("--answer is empty; name a bug flag or a file such as log/index.py")
    if _normal_flag(answer) in CATALOGUE:
        if _normal_flag(answer) == flag:
            return _confirmed(flag, f"the bug flag is {flag}")
        return _refuted(answer, "that flag is off in this hunt")
    file_part, _, function = _normal_file(answer).partition(":")
    if not _known_file(file_part):
        raise GlassKafkaError(
            f"--answer {answer!r} is neither a bug flag nor a file where one lives; answer "
            "with a flag name (docs: concepts/bug-flags) or a file such as "
            "glasskafka/log/index.py, optionally :function"
        )
    if not _file_matches(file_part, info.location):
        return _refuted(answer, "the bug does not live in that file")
    if not function:
        return _confirmed(flag, f"the bug lives in {info.location}")
    functions = functions_of(flag)
    if any(f == function.strip() or f.endswith("." + function.strip()) for f in functions):
        return _confirmed(flag, f"the bug lives in {info.location}:{function.strip()}")
    return _refuted(answer, "the file is right, but the flag does not act in that function")


def _confirmed(flag: str, what: str) -> Judgement:
    info = CATALOGUE[flag]
    text = (
        f"CONFIRMED: {what}.\n\n"
        f"  flag      {flag}\n"
        f"  where     {info.location}"
        + (f" ({', '.join(functions_of(flag))})" if functions_of(flag) else "")
        + f"\n  breaks    {', '.join(info.breaks)}\n"
        f"  what      {info.summary}\n"
        f"  history   {info.source}\n"
    )
    return Judgement(confirmed=True, message=text)


def _refuted(answer: str, why: str) -> Judgement:
    return Judgement(
        confirmed=False,
        message=f"REFUTED: {answer.strip()!r} is not the bug behind this counterexample ({why}).\n"
        "Read the invariant and the steps again; try another answer.\n",
    )
