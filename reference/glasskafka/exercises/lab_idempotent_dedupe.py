"""Lab ``idempotent-dedupe``: the leader's duplicate / stale-epoch / sequence decision (KIP-98).

Theory of operation
-------------------
The student writes ``check_batch``: given what a partition remembers about an idempotent
producer (its epoch and the ``(first_seq, last_seq)`` of its last five batches) and an incoming
batch's epoch and sequence range, decide: a duplicate of which remembered batch, append, or
refuse with ``INVALID_PRODUCER_EPOCH`` (47) or ``OUT_OF_ORDER_SEQUENCE_NUMBER`` (45).

The substitution point is ``glasskafka.log.producer_state.ProducerStateTable.
check_client_append``, the method the broker's produce path (``broker/idempotence.py``) and the
model suites call before every client append.  During the check it is replaced by
:func:`_check_client_append_with`, which keeps the reference's own preliminaries (a batch
without producer id passes, one without a sequence is INVALID_RECORD, a producer the partition
has no state for is accepted: KIP-360) and asks the student's function for the rest, turning
its answer into what the reference returns (a ``DuplicateBatch`` with the remembered offsets,
``ErrorCode.NONE`` or the error code).

The checks, in order:

1. golden cases, one per rule and the corners: a retry of an older batch in the window, a batch
   overlapping a remembered one, a gap, a new epoch, a fenced epoch, sequences wrapping after
   2**31 - 1, a duplicate of another epoch;
2. a property: the same decision as the reference on random windows and batches;
3. the producer-state unit tests (``reference/tests/test_producer_state.py``) that drive the
   real table through its checks;
4. the producer-state model suite (``model_tests/test_producer_state_model.py``): one producer,
   two replicas, lost answers, retries and epoch bumps, with IDEM-1..6 and ORDER-1/2 after
   every step.  Its failover, snapshot and restart rules are left out, as in the teeth tests,
   so a bounded search reaches the decisions that matter sooner.

When a check fails, :func:`draw_counterexample` draws the remembered window, the incoming batch
and the two decisions (``idempotent-dedupe-counterexample.dot``, and ``.svg`` with Graphviz).

The usual wrong answers are the historical bug flags: matching on the first sequence alone
(``dedupe_first_seq_only``: a new epoch's batch restarting at 0 is taken for an old one and
never written, IDEM-3) and letting an older epoch through (``accept_stale_producer_epoch``,
IDEM-4).

Spec IDs: IDEM-1..6, ORDER-1, ORDER-2 (through the unit tests and the model suite).

Simplified from Kafka: no transactions (Kafka's ``ProducerAppendInfo`` also checks coordinator
epochs and the transactional state).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from glasskafka.errors import ErrorCode
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
from glasskafka.log.producer_state import (
    AppendCheck,
    BatchMetadata,
    DuplicateBatch,
    ProducerStateEntry,
    ProducerStateTable,
    next_sequence,
)
from glasskafka.records.header import BatchHeader

__all__ = ["LAB", "draw_counterexample", "reference_decision"]

_NAME = "check_batch"
_WRAP = 2**31
_ERRORS = {
    "INVALID_PRODUCER_EPOCH": ErrorCode.INVALID_PRODUCER_EPOCH,
    "OUT_OF_ORDER_SEQUENCE_NUMBER": ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
}
_REFERENCE = ProducerStateTable.check_client_append
"""The reference method, taken before any substitution replaces it on the class."""

Case = tuple[int, tuple[tuple[int, int], ...], int, int, int]
"""``(stored_epoch, window, producer_epoch, first_seq, last_seq)``."""

_GOLDEN: tuple[tuple[Case, str | int], ...] = (
    ((0, ((0, 2), (3, 3)), 0, 4, 5), "append"),
    ((0, ((0, 2), (3, 3)), 0, 3, 3), 1),
    ((0, ((0, 2), (3, 3)), 0, 0, 2), 0),
    ((0, ((0, 2), (3, 3)), 0, 0, 1), "OUT_OF_ORDER_SEQUENCE_NUMBER"),
    ((0, ((0, 2), (3, 3)), 0, 6, 6), "OUT_OF_ORDER_SEQUENCE_NUMBER"),
    ((0, ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4)), 0, 0, 0), 0),
    ((2, ((0, 0),), 1, 1, 1), "INVALID_PRODUCER_EPOCH"),
    ((2, ((0, 0),), 1, 0, 0), "INVALID_PRODUCER_EPOCH"),
    ((0, ((0, 0),), 1, 0, 0), "append"),
    ((0, ((0, 0),), 1, 1, 1), "OUT_OF_ORDER_SEQUENCE_NUMBER"),
    ((0, ((_WRAP - 2, _WRAP - 1),), 0, 0, 1), "append"),
    ((0, ((_WRAP - 2, 0),), 0, 1, 1), "append"),
    ((1, ((0, 0), (1, 1)), 2, 0, 0), "append"),
    ((3, ((7, 9),), 3, 10, 10), "append"),
    ((3, (), 3, 0, 0), "append"),
)


def _header(case: Case) -> BatchHeader:
    _, _, epoch, first_seq, last_seq = case
    return BatchHeader(
        base_offset=0,
        batch_length=49,
        partition_leader_epoch=0,
        magic=2,
        crc=0,
        attributes=0,
        last_offset_delta=(last_seq - first_seq) % _WRAP,
        base_timestamp=0,
        max_timestamp=0,
        producer_id=7,
        producer_epoch=epoch,
        base_sequence=first_seq,
        records_count=(last_seq - first_seq) % _WRAP + 1,
    )


def _table(case: Case) -> ProducerStateTable:
    stored_epoch, window, _, _, _ = case
    offset, batches = 0, []
    for first, last in window:
        delta = (last - first) % _WRAP
        offset += delta + 1
        batches.append(
            BatchMetadata(
                first_seq=first,
                last_seq=last,
                last_offset=offset - 1,
                offset_delta=delta,
                timestamp=0,
            )
        )
    entry = ProducerStateEntry(
        producer_id=7, producer_epoch=stored_epoch, batches=tuple(batches), last_timestamp=0
    )
    return ProducerStateTable(entries={7: entry}, map_end_offset=offset)


def reference_decision(case: Case) -> str | int:
    """The reference table's decision on ``case``, in the student's vocabulary."""
    table = _table(case)
    answer = _REFERENCE(table, _header(case))
    if isinstance(answer, DuplicateBatch):
        entry = table.entries[7]
        return next(i for i, b in enumerate(entry.batches) if b.first_offset == answer.first_offset)
    if answer is ErrorCode.NONE:
        return "append"
    return answer.name


def _ask(check: Callable[..., object], case: Case) -> object:
    stored_epoch, window, epoch, first_seq, last_seq = case
    try:
        return check(
            stored_epoch=stored_epoch,
            window=[tuple(pair) for pair in window],
            producer_epoch=epoch,
            first_seq=first_seq,
            last_seq=last_seq,
        )
    except Exception as error:
        return raised(error)


def _story(case: Case) -> str:
    stored_epoch, window, epoch, first_seq, last_seq = case
    return (
        f"{_NAME}(stored_epoch={stored_epoch}, window={list(window)}, "
        f"producer_epoch={epoch}, first_seq={first_seq}, last_seq={last_seq})"
    )


def _judge(check: Callable[..., object], case: Case, expected: str | int) -> None:
    got = _ask(check, case)
    if got != expected or type(got) is not type(expected):
        raise LabFailure(inputs=_story(case), expected=repr(expected), got=shown(got))


def _golden(context: CheckContext) -> None:
    for case, expected in _GOLDEN:
        _judge(context.student[_NAME], case, expected)


@st.composite
def _cases(draw: st.DrawFn) -> Case:
    stored_epoch = draw(st.integers(0, 3))
    start = draw(st.sampled_from([0, 5, _WRAP - 4]))
    window, sequence = [], start
    for count in draw(st.lists(st.integers(1, 3), max_size=5)):
        last = (sequence + count - 1) % _WRAP
        window.append((sequence, last))
        sequence = next_sequence(last)
    interesting = [0, sequence, start, *(first for first, _ in window)]
    first_seq = draw(st.sampled_from(interesting) | st.integers(0, 20))
    last_seq = (first_seq + draw(st.integers(0, 2))) % _WRAP
    epoch = draw(st.integers(max(stored_epoch - 1, 0), stored_epoch + 1))
    return (stored_epoch, tuple(window), epoch, first_seq, last_seq)


def _agrees(context: CheckContext) -> None:
    check = context.student[_NAME]

    @check_settings(context)
    @given(case=_cases())
    def agrees(case: Case) -> None:
        _judge(check, case, reference_decision(case))

    agrees()


_UNIT_TESTS = (
    "test_in_sequence_batches_are_accepted_and_remembered",
    "test_a_retry_is_answered_with_the_original_offsets",
    "test_a_batch_overlapping_a_cached_one_is_not_a_duplicate",
    "test_a_stale_epoch_is_fenced",
    "test_a_new_epoch_must_start_at_zero",
    "test_a_gap_is_refused_not_skipped",
    "test_a_duplicate_wins_over_an_epoch_check",
    "test_sequences_wrap_after_the_largest_int32",
    "test_the_window_keeps_the_last_five_batches",
    "test_after_an_unclean_failover_the_next_batch_reports_the_gap",
)


def _unit_tests(context: CheckContext) -> None:
    from tests import test_producer_state as tests

    for name in _UNIT_TESTS:
        try:
            getattr(tests, name)()
        except AssertionError as error:
            raise LabFailure(
                inputs=f"the unit test {name} (reference/tests/test_producer_state.py)",
                expected="its assertions hold",
                got=f"{error}".strip() or "an assertion failed (read the test to see which)",
            ) from None


def _model_suite(context: CheckContext) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    from model_tests.test_producer_state_model import ProducerStateMachine, with_settings

    # Without the failover, snapshot and restart rules (as in the teeth tests): the leader's
    # decision is judged on sends, lost answers, retries and epoch bumps, which a bounded
    # search then reaches much sooner.  The project's own suite covers the failovers.  No
    # shrinking: these runs shrink slowly, so the run is reported as found.
    machine = with_settings(ProducerStateMachine, restarts=False)
    run_state_machine_as_test(machine, settings=check_settings(context, shrink=False))


def _check_client_append_with(
    student: Student,
) -> Callable[[ProducerStateTable, BatchHeader], AppendCheck]:
    check = student[_NAME]

    def check_client_append(self: ProducerStateTable, header: BatchHeader) -> AppendCheck:
        """The reference's preliminaries, then the student's decision."""
        if header.producer_id < 0:
            return ErrorCode.NONE
        if header.base_sequence < 0:
            return ErrorCode.INVALID_RECORD
        entry = self.entries.get(header.producer_id)
        if entry is None:
            return ErrorCode.NONE  # no state for this producer: accepted (KIP-360)
        window = tuple((b.first_seq, b.last_seq) for b in entry.batches)
        case = (
            entry.producer_epoch,
            window,
            header.producer_epoch,
            header.base_sequence,
            header.last_sequence,
        )
        answer = check(
            stored_epoch=entry.producer_epoch,
            window=[tuple(pair) for pair in window],
            producer_epoch=header.producer_epoch,
            first_seq=header.base_sequence,
            last_seq=header.last_sequence,
        )
        return _as_append_check(answer, entry, case)

    return check_client_append


def _as_append_check(answer: object, entry: ProducerStateEntry, case: Case) -> AppendCheck:
    if isinstance(answer, int) and not isinstance(answer, bool):
        if not 0 <= answer < len(entry.batches):
            raise LabFailure(
                inputs=_story(case),
                expected=f"a window position from 0 to {len(entry.batches) - 1}",
                got=repr(answer),
            )
        cached = entry.batches[answer]
        return DuplicateBatch(
            first_offset=cached.first_offset,
            last_offset=cached.last_offset,
            timestamp=cached.timestamp,
        )
    if answer == "append":
        return ErrorCode.NONE
    if isinstance(answer, str) and answer in _ERRORS:
        return _ERRORS[answer]
    raise LabFailure(
        inputs=_story(case),
        expected="a window position, 'append', 'INVALID_PRODUCER_EPOCH' or "
        "'OUT_OF_ORDER_SEQUENCE_NUMBER'",
        got=repr(answer),
    )


def _first_disagreement(check: Callable[..., object]) -> tuple[Case, str | int, object] | None:
    cases: list[Case] = [case for case, _ in _GOLDEN]
    for epoch in (0, 1):
        for first_seq in range(0, 7):
            cases.append((1, ((0, 1), (2, 2), (3, 5)), epoch, first_seq, first_seq))
            cases.append((1, ((0, 1), (2, 2), (3, 5)), epoch + 1, first_seq, first_seq + 1))
    for case in cases:
        expected = reference_decision(case)
        got = _ask(check, case)
        if got != expected:
            return case, expected, got
    return None


def draw_counterexample(student: Student, directory: Path) -> list[Path]:
    """Draw the remembered window, a batch the student decides wrongly, and both decisions."""
    found = _first_disagreement(student[_NAME])
    if found is None:
        return []
    (stored_epoch, window, epoch, first_seq, last_seq), expected, got = found
    slots = "|".join(f"<w{i}> {i}: seq {a}..{b}" for i, (a, b) in enumerate(window)) or "empty"
    lines = [
        "digraph idempotent_dedupe_counterexample {",
        '  rankdir=LR; fontname="Helvetica"; labelloc="t";',
        '  label="the leader\'s producer state, an incoming batch, and two decisions";',
        '  node [fontname="Helvetica", fontsize=10];',
        f'  state [shape=record, label="{{epoch {stored_epoch}|{{{slots}}}}}"];',
        f'  batch [shape=box, label="incoming batch\\nepoch {epoch}, '
        f'seq {first_seq}..{last_seq}"];',
        f'  kafka [shape=note, label="Kafka: {dot_text(repr(expected))}"];',
        f'  yours [shape=note, color=red, fontcolor=red, label="yours: {dot_text(shown(got))}"];',
        "  batch -> state [style=dotted];",
        "  batch -> kafka;",
        "  batch -> yours [color=red];",
    ]
    for answer, colour in ((expected, "black"), (got, "red")):
        if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(window):
            lines.append(f'  batch -> state:w{answer} [color={colour}, label="duplicate of"];')
    lines.append("}")
    return write_picture("\n".join(lines) + "\n", directory, "idempotent-dedupe-counterexample")


LAB = Lab(
    name="idempotent-dedupe",
    title="The idempotent producer's dedupe check",
    teaches="How five remembered batches, an epoch and sequence numbers let a leader drop a "
    "retried batch, refuse a gap and fence an old producer (KIP-98).",
    minutes=35,
    reference="glasskafka.log.producer_state.ProducerStateTable.check_client_append",
    file_name="idempotent_dedupe_lab.py",
    template="idempotent_dedupe",
    entry_points=(_NAME,),
    readme="""
## Goal

Write `check_batch(...)`: what a partition leader does with a batch from an idempotent
producer, given the producer's epoch and the last five batches it remembers.  While the check
runs, every partition in glasskafka's producer-state suites decides with your function.

## Hints

- The order matters: duplicate first, then the epoch, then the sequence.
- A duplicate has the same epoch and the same first *and* last sequence.  Matching the first
  alone takes a new epoch's batch 0 for an old one (bug flag `dedupe_first_seq_only`).
- A new epoch starts a new session: its first batch has sequence 0.
- After 2147483647 comes 0.
- Why five?  Read "Why 5" in `reference/replication-invariants.md` §6.3, then
  `glasskafka/log/producer_state.py`.
""",
    substitutions=(
        Substitution(
            target="glasskafka.log.producer_state.ProducerStateTable.check_client_append",
            build=_check_client_append_with,
        ),
    ),
    checks=(
        Check(name="golden decisions", kind="unit", run=_golden),
        Check(name="the same decision as the reference", kind="property", run=_agrees),
        Check(
            name="producer-state unit tests (IDEM-1, 3, 4, 6)",
            kind="unit",
            run=_unit_tests,
            needs_source_checkout=True,
        ),
        Check(
            name="model suite: producer state on two replicas (IDEM-1..6, ORDER-1, ORDER-2)",
            kind="model",
            run=_model_suite,
            needs_source_checkout=True,
        ),
    ),
    picture=draw_counterexample,
)
