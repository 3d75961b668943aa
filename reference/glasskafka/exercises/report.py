"""The verdict of ``glasskafka exercise check``, as text a student reads top to bottom.

Theory of operation
-------------------
One line per check (``PASS``, ``FAIL`` or ``SKIP``, its kind and name), then, for each failed
check, its counterexample as a short story: the inputs (the smallest Hypothesis found, or the
steps of a model run), what glasskafka's contract expected, and what the student's code did.
Pictures of the counterexample are listed last with their paths.  The final line is the verdict
in one word, so a script (or a teacher's grading loop) can read it as easily as the exit status.

Spec IDs: none (presentation).

Simplified from Kafka: not applicable.
"""

from __future__ import annotations

import textwrap

from glasskafka.exercises.lab import CheckOutcome
from glasskafka.exercises.runner import Verdict

__all__ = ["format_verdict"]


def _status(outcome: CheckOutcome) -> str:
    if outcome.skipped:
        return "SKIP"
    return "PASS" if outcome.passed else "FAIL"


def _indented(label: str, text: str) -> list[str]:
    lines = text.splitlines() or [""]
    first, rest = lines[0], lines[1:]
    return [f"    {label:<10}{first}", *(textwrap.indent(line, " " * 14) for line in rest)]


def format_verdict(verdict: Verdict) -> str:
    """The whole report for ``verdict``, ending with a newline."""
    lines = [f"lab {verdict.lab} (Hypothesis profile: {verdict.profile})", ""]
    for outcome in verdict.outcomes:
        note = f"  ({outcome.skipped})" if outcome.skipped else ""
        lines.append(f"  {_status(outcome)}  {outcome.kind:<8} {outcome.name}{note}")
    for outcome in verdict.outcomes:
        story = outcome.counterexample
        if story is None:
            continue
        lines += ["", f"counterexample for {outcome.name!r}:"]
        lines += _indented("inputs:", story.inputs)
        lines += _indented("expected:", story.expected)
        lines += _indented("got:", story.got)
    if verdict.pictures:
        lines += ["", "pictures of the counterexample:"]
        lines += [f"    {path}" for path in verdict.pictures]
    passed = sum(o.passed for o in verdict.outcomes)
    skipped = sum(bool(o.skipped) for o in verdict.outcomes)
    total = len(verdict.outcomes)
    word = "PASSED" if verdict.passed else "FAILED"
    tail = f", {skipped} skipped" if skipped else ""
    lines += ["", f"{word}: {passed} of {total} checks passed{tail}"]
    return "\n".join(lines) + "\n"
