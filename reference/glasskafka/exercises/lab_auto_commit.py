"""Lab ``auto-commit``: which offsets ``enable.auto.commit`` sends, and when.

Theory of operation
-------------------
The student writes ``auto_commit(moment=..., ...)``: at the start of a poll, when a poll is
about to return records, and on close, what the consumer commits and when the next auto-commit
falls due.  Kafka's answer (``ConsumerCoordinator.maybeAutoCommitOffsetsAsync``, called at the
start of ``KafkaConsumer.poll``, and ``maybeAutoCommitOffsetsSync`` in ``close``): the positions
of *earlier* polls, committed during a *later* poll once ``auto.commit.interval.ms`` has passed,
and every position on close.  Because the application processes a poll's records before it
polls again, such a commit never covers a record it has not processed: at-least-once.

In glasskafka the rule is spread over ``ConsumerNode._progress_poll`` (which calls
``offset_commit.maybe_auto_commit`` at the start of a poll) and ``ConsumerNode.close``; there
is no single function to replace.  So the lab substitutes three points:

* ``glasskafka.client.offset_commit.maybe_auto_commit`` becomes a no-op, so the reference's own
  rule is silent;
* ``glasskafka.client.consumer.ConsumerNode._progress_poll`` becomes a wrapper that asks the
  student at ``poll-start`` (where the reference commits) and, after the reference's method, at
  ``poll-return`` if the poll is handing over records (where the bug flag
  ``auto_commit_current_poll`` commits), then commits what the student returned;
* ``glasskafka.client.consumer.ConsumerNode.close`` becomes the reference's ``close`` with the
  student's answer for ``close`` as the offsets committed.

The checks, in order:

1. golden cases: due and not due, nothing to commit, a poll returning records, close;
2. a property: the same answer as the rule for random moments, clocks and positions;
3. the consumer unit test ``test_auto_commit_commits_earlier_polls_during_later_polls``
   (``reference/tests/test_consumer_offsets.py``): a real consumer against a fake broker;
4. the consumer-group model suite (``model_tests/test_consumer_model.py``): two members poll,
   process, crash and restart, with DELIV-19 (every record below the committed offset was
   processed) and DELIV-21 after every step.

When a check fails, :func:`draw_counterexample` draws a short timeline (poll, process, poll,
crash) with what Kafka commits and what the student's rule commits at each moment
(``auto-commit-counterexample.dot``, and ``.svg`` with Graphviz).

The usual wrong answer is the bug flag's: commit the positions a poll has just reached, before
the application has seen the records; a crash then loses them (DELIV-19).

Spec IDs: DELIV-19, DELIV-21 (through the unit test and the model suite).

Simplified from Kafka: the commit before a rebalance (``onJoinPrepare``) stays glasskafka's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from glasskafka.client import offset_commit as commits
from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_events import CallKind, CommitMode, PollResult
from glasskafka.exercises.lab import (
    Check,
    CheckContext,
    Lab,
    LabFailure,
    Student,
    Substitution,
    raised,
    shown,
)
from glasskafka.exercises.pictures import dot_text, write_picture
from glasskafka.exercises.runner import check_settings
from glasskafka.ids import Millis
from glasskafka.node import Output

__all__ = ["LAB", "draw_counterexample", "rule"]

_NAME = "auto_commit"
_MOMENTS = ("poll-start", "poll-return", "close")
_REFERENCE_PROGRESS_POLL = ConsumerNode._progress_poll
"""The reference method, taken before any substitution replaces it on the class."""

Positions = dict[tuple[str, int], int]
Case = tuple[str, int, int, int, Positions]
"""``(moment, now_ms, next_auto_commit_ms, auto_commit_interval_ms, positions)``."""


def rule(case: Case) -> tuple[Positions, int]:
    """Kafka's auto-commit rule (the lab's answer), for the golden cases and the property."""
    moment, now_ms, next_ms, interval_ms, positions = case
    if moment == "close":
        return dict(positions), next_ms
    if moment == "poll-start" and now_ms >= next_ms:
        return dict(positions), now_ms + interval_ms
    return {}, next_ms


_T0 = ("orders", 0)
_T1 = ("orders", 1)
_GOLDEN: tuple[Case, ...] = (
    ("poll-start", 5000, 5000, 5000, {_T0: 3}),
    ("poll-start", 7000, 5000, 1000, {_T0: 3, _T1: 9}),
    ("poll-start", 4999, 5000, 5000, {_T0: 3}),
    ("poll-start", 6000, 5000, 5000, {}),
    ("poll-start", 0, 0, 0, {_T0: 0}),
    ("poll-return", 9000, 5000, 5000, {_T0: 6}),
    ("poll-return", 100, 5000, 5000, {_T0: 6}),
    ("close", 100, 5000, 5000, {_T0: 6, _T1: 2}),
    ("close", 100, 5000, 5000, {}),
)


def _ask(function: Callable[..., object], case: Case) -> object:
    moment, now_ms, next_ms, interval_ms, positions = case
    try:
        return function(
            moment=moment,
            now_ms=now_ms,
            next_auto_commit_ms=next_ms,
            auto_commit_interval_ms=interval_ms,
            positions=dict(positions),
        )
    except Exception as error:
        return raised(error)


def _story(case: Case) -> str:
    moment, now_ms, next_ms, interval_ms, positions = case
    return (
        f"{_NAME}(moment={moment!r}, now_ms={now_ms}, next_auto_commit_ms={next_ms}, "
        f"auto_commit_interval_ms={interval_ms}, positions={positions})"
    )


def _judge(function: Callable[..., object], case: Case) -> None:
    expected = rule(case)
    got = _ask(function, case)
    if got != expected:
        raise LabFailure(inputs=_story(case), expected=repr(expected), got=shown(got))


def _golden(context: CheckContext) -> None:
    for case in _GOLDEN:
        _judge(context.student[_NAME], case)


def _agrees(context: CheckContext) -> None:
    function = context.student[_NAME]
    partitions = st.tuples(st.sampled_from(["orders", "clicks"]), st.integers(0, 2))

    @check_settings(context)
    @given(
        moment=st.sampled_from(_MOMENTS),
        now_ms=st.integers(0, 20_000),
        next_ms=st.integers(0, 20_000),
        interval_ms=st.integers(0, 10_000),
        positions=st.dictionaries(partitions, st.integers(0, 100), max_size=4),
    )
    def agrees(
        moment: str, now_ms: int, next_ms: int, interval_ms: int, positions: Positions
    ) -> None:
        _judge(function, (moment, now_ms, next_ms, interval_ms, positions))

    agrees()


def _unit_test(context: CheckContext) -> None:
    from tests import test_consumer_offsets as tests

    name = "test_auto_commit_commits_earlier_polls_during_later_polls"
    try:
        getattr(tests, name)()
    except AssertionError as error:
        raise LabFailure(
            inputs=f"the consumer unit test {name} (reference/tests/test_consumer_offsets.py): "
            "poll 3 records, process for 1.5 s, poll 3 more, close",
            expected="its assertions hold (poll 2 commits 3, where poll 1 left off; close "
            "commits 6)",
            got=f"{error}".strip() or "an assertion failed (read the test to see which)",
        ) from None


def _model_suite(context: CheckContext) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    from model_tests.test_consumer_model import ConsumerGroupMachine

    # No shrinking: a run of a consumer group shrinks slowly; the run is reported as found.
    run_state_machine_as_test(ConsumerGroupMachine, settings=check_settings(context, shrink=False))


def _decide(function: Callable[..., object], host: ConsumerNode, moment: str) -> Positions | None:
    """Ask the student at ``moment``; set the due time; return the offsets to commit."""
    positions: Positions = {
        (str(t), int(p)): o for (t, p), o in host.subscriptions.all_consumed().items()
    }
    case: Case = (
        moment,
        host.now_ms,
        host.committer.next_auto_commit_ms,
        host.config.auto_commit_interval_ms,
        positions,
    )
    answer = function(
        moment=moment,
        now_ms=case[1],
        next_auto_commit_ms=case[2],
        auto_commit_interval_ms=case[3],
        positions=dict(positions),
    )
    if not (
        isinstance(answer, tuple)
        and len(answer) == 2
        and isinstance(answer[0], Mapping)
        and isinstance(answer[1], int)
        and all(tp in positions and isinstance(o, int) for tp, o in answer[0].items())
    ):
        raise LabFailure(
            inputs=_story(case),
            expected="(offsets, next_auto_commit_ms): offsets for assigned partitions only",
            got=repr(answer),
        )
    offsets, next_ms = answer
    host.committer.next_auto_commit_ms = next_ms
    return dict(offsets)


def _progress_poll_with(student: Student) -> Callable[[ConsumerNode, Any], None]:
    function = student[_NAME]

    def _progress_poll(self: ConsumerNode, call: Any) -> None:
        """The reference's poll step, with the student's rule at poll start and poll return."""
        coordinator = self.coordinator
        fatal = coordinator is not None and coordinator.fatal is not None
        ready = not self.subscriptions.group_managed or bool(coordinator and coordinator.stable)
        asks = ready and not fatal and coordinator is not None and self.config.enable_auto_commit
        if asks:
            _commit(self, _decide(function, self, "poll-start"))
        _REFERENCE_PROGRESS_POLL(self, call)
        result = self.result
        if asks and self.call is None and isinstance(result, PollResult) and result.records:
            _commit(self, _decide(function, self, "poll-return"))

    return _progress_poll


def _commit(host: ConsumerNode, offsets: Positions | None) -> None:
    if offsets:
        commits.send_commit(host, offsets, CommitMode.AUTO, None)  # type: ignore[arg-type]


def _close_with(student: Student) -> Callable[..., list[Output]]:
    function = student[_NAME]

    def close(self: ConsumerNode, now_ms: Millis, timeout_ms: int | None = None) -> list[Output]:
        """The reference's ``close``, committing what the student's rule says."""
        call = self._begin(CallKind.CLOSE, timeout_ms, now_ms)
        if self.config.enable_auto_commit and commits.may_commit(self):
            call.offsets = _decide(function, self, "close") or {}  # type: ignore[assignment]
        if call.offsets:
            call.sent = commits.send_commit(self, call.offsets, CommitMode.AUTO, None)
        return self._step()

    return close


def _silent(student: Student) -> Callable[[Any], None]:
    def maybe_auto_commit(host: Any) -> None:
        """The reference's rule is silent while the student's decides."""

    return maybe_auto_commit


_TIMELINE: tuple[tuple[str, Case], ...] = (
    ("t=0: poll() starts", ("poll-start", 0, 1000, 1000, {})),
    ("t=0: poll() returns offsets 0-2", ("poll-return", 0, 1000, 1000, {_T0: 3})),
    ("t=1500: processed 0-2; poll() starts", ("poll-start", 1500, 1000, 1000, {_T0: 3})),
    ("t=1500: poll() returns offsets 3-5", ("poll-return", 1500, 2500, 1000, {_T0: 6})),
    (
        "t=1600: the application crashes before processing 3-5",
        ("poll-return", 1600, 2500, 1000, {_T0: 6}),
    ),
)


def draw_counterexample(student: Student, directory: Path) -> list[Path]:
    """Draw a poll/process/crash timeline with Kafka's commits and the student's."""
    function = student[_NAME]
    lines = [
        "digraph auto_commit_counterexample {",
        '  rankdir=TB; fontname="Helvetica"; labelloc="t";',
        '  label="auto-commit, auto.commit.interval.ms=1000: Kafka\'s commits and yours";',
        '  node [fontname="Helvetica", fontsize=10, shape=box];',
    ]
    for number, (caption, case) in enumerate(_TIMELINE[:-1]):
        kafka = rule(case)[0] or "nothing"
        got = _ask(function, case)
        yours = got[0] if isinstance(got, tuple) and got and got[0] else "nothing"
        if isinstance(got, str):
            yours = got
        colour = "black" if str(kafka) == str(yours) else "red"
        label = f"{caption}\\nKafka commits: {kafka}\\nyours commits: {yours}"
        lines.append(f'  m{number} [label="{dot_text(label)}", color={colour}];')
        if number:
            lines.append(f"  m{number - 1} -> m{number};")
    last = len(_TIMELINE) - 1
    crash = _TIMELINE[-1][0] + ": a restarted member resumes at the committed offset"
    lines.append(f'  m{last} [label="{dot_text(crash)}", shape=note];')
    lines.append(f"  m{last - 1} -> m{last};")
    lines.append("}")
    return write_picture("\n".join(lines) + "\n", directory, "auto-commit-counterexample")


LAB = Lab(
    name="auto-commit",
    title="The auto-commit rule",
    teaches="Why enable.auto.commit gives at-least-once: it commits the positions of earlier "
    "polls during later ones, never records the application has not processed.",
    minutes=25,
    reference="glasskafka.client.offset_commit.maybe_auto_commit (called from "
    "ConsumerNode._progress_poll) and ConsumerNode.close",
    file_name="auto_commit_lab.py",
    template="auto_commit",
    entry_points=(_NAME,),
    readme="""
## Goal

Write `auto_commit(moment=..., now_ms=..., next_auto_commit_ms=..., auto_commit_interval_ms=...,
positions=...)`: what a consumer with `enable.auto.commit=true` commits at the start of a
`poll()`, when a `poll()` is about to return records, and on `close()`.  While the check runs,
glasskafka's consumers commit exactly what your function says, and two group members that poll,
process, crash and restart show whether a record can be lost.

## Hints

- A position is the next offset to read: committing it says "everything below is processed".
- When has the application processed a poll's records?  When it calls `poll()` again.
- A commit that covers records the application has not processed yet loses them if it crashes
  now: that is at-most-once, not what auto-commit promises.
- Read `ConsumerCoordinator.maybeAutoCommitOffsetsAsync` in Kafka's client, then
  `glasskafka/client/offset_commit.py`.
""",
    substitutions=(
        Substitution(target="glasskafka.client.offset_commit.maybe_auto_commit", build=_silent),
        Substitution(
            target="glasskafka.client.consumer.ConsumerNode._progress_poll",
            build=_progress_poll_with,
        ),
        Substitution(target="glasskafka.client.consumer.ConsumerNode.close", build=_close_with),
    ),
    checks=(
        Check(name="golden moments", kind="unit", run=_golden),
        Check(name="the same commits as Kafka's rule", kind="property", run=_agrees),
        Check(
            name="consumer unit test: earlier polls, committed during later polls",
            kind="unit",
            run=_unit_test,
            needs_source_checkout=True,
        ),
        Check(
            name="model suite: a consumer group that crashes (DELIV-19, DELIV-21)",
            kind="model",
            run=_model_suite,
            needs_source_checkout=True,
        ),
    ),
    picture=draw_counterexample,
)
