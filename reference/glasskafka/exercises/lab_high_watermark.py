"""Lab ``high-watermark``: the rule that makes a record committed.

Theory of operation
-------------------
The student writes the pure rule: the smallest log end offset over the leader and the followers
of the maximal ISR, an unknown follower holding it back.  In glasskafka the rule is written
inline in ``Partition.maybe_increment_high_watermark`` (``broker/partition.py``), together with
the bookkeeping around it; there is no separate function to replace.  So the substitution point
is that method itself, ``glasskafka.broker.partition.Partition.maybe_increment_high_watermark``,
replaced by :func:`_maybe_increment_with`, which gathers the same inputs the reference reads
(the leader's LEO; each other member of the maximal ISR with its last counted fetch offset, or
``UNKNOWN_OFFSET``), asks the student's rule, and then does exactly what the reference does
with the candidate: raise the HW only upwards, kept within the log (REPL-9).

The checks, in order:

1. golden cases (alone in the ISR, a lagging follower, an unknown follower, an empty log);
2. a property: the student's rule equals the smallest LEO on random ISRs;
3. the broker's own replication unit tests (``reference/tests/test_broker_replication.py``),
   which drive a real broker with fake peers: the HW is the smallest LEO over the ISR, waits
   for a follower whose ISR removal is unconfirmed (REPL-8), and follows ISR shrinks;
4. the replication model suite: three simulated brokers, crashes and partitions, REPL-1..9
   after every step.  It runs without shrinking (shrinking a cluster run can take minutes), so
   its counterexample is the run as found.

The classic wrong answer is the *largest* LEO (or the leader's own): records count as committed
before the followers have them, and a leader crash then loses acknowledged data (REPL-5, S1).

Spec IDs: REPL-5, REPL-8, REPL-9 (through the tests and the model suite).

Simplified from Kafka: Kafka's ``maybeIncrementLeaderHW`` also counts a follower that is not
in the ISR but has caught up to the HW (for ISR expansion, KIP-497's follow-up); glasskafka's
reference does not, so neither does the lab.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from glasskafka.broker.partition import UNKNOWN_OFFSET, Partition
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
from glasskafka.exercises.runner import check_settings
from glasskafka.exercises.suites import replication_model_check

__all__ = ["LAB"]

_NAME = "high_watermark"
_GOLDEN: tuple[tuple[int, dict[int, int], int], ...] = (
    (5, {}, 5),
    (0, {2: 0, 3: 0}, 0),
    (5, {2: 3, 3: 5}, 3),
    (5, {2: 5, 3: 4}, 4),
    (5, {2: -1, 3: 5}, -1),
    (9, {2: 9, 3: 9}, 9),
)
_BROKER_TESTS = (
    "test_the_hw_is_the_smallest_leo_over_the_isr",
    "test_a_lagging_follower_leaves_the_isr_by_a_conditional_write",
    "test_a_lost_answer_keeps_the_proposal_pending_until_the_znode_is_read",
    "test_a_fetch_from_another_epoch_moves_neither_hw_nor_isr",
)


def _ask(rule: Callable[..., object], leader: int, followers: dict[int, int]) -> object:
    try:
        return rule(leader_log_end_offset=leader, follower_log_end_offsets=dict(followers))
    except Exception as error:
        return raised(error)


def _story(leader: int, followers: dict[int, int]) -> str:
    return f"{_NAME}(leader_log_end_offset={leader}, follower_log_end_offsets={followers})"


def _golden(context: CheckContext) -> None:
    for leader, followers, expected in _GOLDEN:
        got = _ask(context.student[_NAME], leader, followers)
        if got != expected:
            raise LabFailure(
                inputs=_story(leader, followers), expected=str(expected), got=shown(got)
            )


def _agrees(context: CheckContext) -> None:
    rule = context.student[_NAME]
    offsets = st.integers(0, 50)

    @check_settings(context)
    @given(
        leader=offsets,
        followers=st.dictionaries(st.integers(2, 6), offsets | st.just(UNKNOWN_OFFSET), max_size=4),
    )
    def agrees(leader: int, followers: dict[int, int]) -> None:
        expected = min([leader, *followers.values()])
        got = _ask(rule, leader, followers)
        if got != expected:
            raise LabFailure(
                inputs=_story(leader, followers), expected=str(expected), got=shown(got)
            )

    agrees()


def _broker_tests(context: CheckContext) -> None:
    from tests import test_broker_replication as tests
    from tests.test_broker_harness import Bench

    for name in _BROKER_TESTS:
        try:
            getattr(tests, name)(Bench())
        except AssertionError as error:
            raise LabFailure(
                inputs=f"the broker unit test {name} (reference/tests/test_broker_replication.py)",
                expected="its assertions hold",
                got=f"{error}".strip() or "an assertion failed (read the test to see which)",
            ) from None


def _maybe_increment_with(student: Student) -> Callable[[Partition], bool]:
    rule = student[_NAME]

    def maybe_increment_high_watermark(self: Partition) -> bool:
        """The reference's method, with the student's rule computing the candidate."""
        if not self.is_leader:
            return False
        followers: dict[int, int] = {}
        for broker in sorted(self.maximal_isr - {self.local_broker_id}):
            remote = self.remote_replicas.get(broker)
            followers[int(broker)] = remote.log_end_offset if remote is not None else UNKNOWN_OFFSET
        leader = int(self.log_end_offset)
        candidate = rule(leader_log_end_offset=leader, follower_log_end_offsets=dict(followers))
        if not isinstance(candidate, int):
            raise LabFailure(
                inputs=_story(leader, followers), expected="an int", got=repr(candidate)
            )
        if candidate <= self.high_watermark:
            return False
        self.high_watermark = self._bounded(candidate)
        return True

    return maybe_increment_high_watermark


LAB = Lab(
    name="high-watermark",
    title="The high-watermark rule",
    teaches="What 'committed' means in Kafka: a record is committed once every in-sync "
    "replica has it, and why the HW is a minimum, never a maximum.",
    minutes=20,
    reference="glasskafka.broker.partition.Partition.maybe_increment_high_watermark",
    file_name="high_watermark_lab.py",
    template="high_watermark",
    entry_points=(_NAME,),
    readme="""
## Goal

Write `high_watermark(leader_log_end_offset=..., follower_log_end_offsets=...)`: the offset
below which every in-sync replica holds the log.  Consumers read only below it, and acks=all
producers are answered when it passes their record.  While the check runs, every partition
leader in glasskafka's simulated cluster uses your rule.

## Hints

- It is one line; the lab is knowing which line, and why.
- Which replicas count?  The leader itself and each follower in the (maximal) ISR.
- A follower whose LEO is unknown (-1) has not fetched in this epoch: can you commit anything?
- Then read `Partition.maybe_increment_high_watermark` and `isr.py`: who decides the ISR?
""",
    substitutions=(
        Substitution(
            target="glasskafka.broker.partition.Partition.maybe_increment_high_watermark",
            build=_maybe_increment_with,
        ),
    ),
    checks=(
        Check(name="golden cases", kind="unit", run=_golden),
        Check(name="the smallest LEO over the ISR", kind="property", run=_agrees),
        Check(
            name="broker replication unit tests (REPL-8, REPL-9)",
            kind="unit",
            run=_broker_tests,
            needs_source_checkout=True,
        ),
        replication_model_check(),
    ),
)
