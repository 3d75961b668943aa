"""Lab ``truncation``: the KIP-279 truncation point from leader epochs.

Theory of operation
-------------------
The student writes ``truncation_point`` on plain data: the follower's leader-epoch cache and
log end offset, the leader's OffsetForLeaderEpoch answer, and the follower's high watermark.
The substitution points are the two names through which glasskafka calls the reference:
``glasskafka.broker.truncation.truncation_point`` and ``glasskafka.broker.fetcher.truncation_point``
(the follower's fetcher imports it by name).  Both are replaced by an adapter that reads the
plain data out of the ``PartitionLog`` and asks the student's function.

The checks, in order:

1. a property: the same answer as the reference on random epoch caches and leader answers;
2. the log-divergence cases A-G of Vanlightly/kafka-tlaplus (``3_log_divergence.md``), each a
   leader and a follower log built by ``reference/tests/test_broker_truncation.py``, reconciled
   round by round through the substituted function;
3. the property of the same test file: on histories a three-broker cluster can reach, the
   rounds stop exactly at ``specs.replication_steps.divergence_offset`` (REPL-14);
4. the replication model suite, where followers truncate with the student's function after
   every leader change (REPL-1 agreement, REPL-14 through the bench).

Common wrong answers: KIP-101's rule (trust the leader's offset without comparing epochs, case
F), or truncating to the follower's own high watermark (pre-KIP-101, S1), which can cut a
record the leader has already acknowledged.

Spec IDs: REPL-1, REPL-14.

Simplified from Kafka: no KIP-595 diverging-epoch Fetch responses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st

from glasskafka.broker import truncation as _truncation
from glasskafka.broker.effects import Effects
from glasskafka.broker.truncation import truncation_point as _reference
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
from glasskafka.ids import Millis
from glasskafka.log import LeaderEpochCache, PartitionLog

__all__ = ["LAB"]

_NAME = "truncation_point"
Adapter = Callable[..., tuple[int, bool]]


@dataclass(slots=True, kw_only=True)
class _PlainLog:
    """Just what ``truncation_point`` reads from a log: its end and its epoch cache."""

    log_end_offset: int
    epoch_cache: LeaderEpochCache = field(default_factory=LeaderEpochCache)

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        return self.epoch_cache.end_offset_for(epoch, log_end_offset=self.log_end_offset)


def _adapter(student: Student) -> Adapter:
    write = student[_NAME]

    def truncation_point(
        log: PartitionLog, *, leader_epoch: int, end_offset: int, high_watermark: int
    ) -> tuple[int, bool]:
        """The reference's signature, answered by the student's function on plain data."""
        arguments: dict[str, Any] = dict(
            epochs=tuple(log.epoch_cache.entries),
            log_end_offset=log.log_end_offset,
            leader_epoch=leader_epoch,
            end_offset=end_offset,
            high_watermark=high_watermark,
        )
        answer = write(**arguments)
        if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], int)):
            raise LabFailure(
                inputs=_call(arguments), expected="a pair (offset, done)", got=repr(answer)
            )
        return answer[0], bool(answer[1])

    return truncation_point


def _call(arguments: dict[str, Any]) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"{_NAME}({shown})"


@st.composite
def _situations(draw: st.DrawFn) -> dict[str, Any]:
    """A follower's epoch cache and LEO, and a leader's answer (possibly undefined)."""
    epochs = sorted(draw(st.sets(st.integers(0, 8), max_size=4)))
    starts = sorted(draw(st.sets(st.integers(0, 20), min_size=len(epochs), max_size=len(epochs))))
    entries = tuple(zip(epochs, starts, strict=True))
    log_end_offset = draw(st.integers(starts[-1] if starts else 0, 24))
    undefined = draw(st.integers(0, 5)) == 0
    return dict(
        epochs=entries,
        log_end_offset=log_end_offset,
        leader_epoch=-1 if undefined else draw(st.integers(-1, 9)),
        end_offset=-1 if undefined else draw(st.integers(0, 26)),
        high_watermark=draw(st.integers(0, log_end_offset)),
    )


def _agrees(context: CheckContext) -> None:
    write = context.student[_NAME]

    @check_settings(context)
    @given(situation=_situations())
    def agrees(situation: dict[str, Any]) -> None:
        log = _PlainLog(
            log_end_offset=situation["log_end_offset"],
            epoch_cache=LeaderEpochCache(entries=list(situation["epochs"])),
        )
        expected = _reference(
            cast(PartitionLog, log),
            leader_epoch=situation["leader_epoch"],
            end_offset=situation["end_offset"],
            high_watermark=situation["high_watermark"],
        )
        try:
            got: object = write(**situation)
        except Exception as error:
            got = raised(error)
        if got != expected:
            raise LabFailure(inputs=_call(situation), expected=repr(expected), got=shown(got))

    agrees()


def _reconcile(follower: Any, leader: PartitionLog) -> int:
    """OffsetForLeaderEpoch rounds, through the substituted function; the follower's LEO."""
    for _ in range(20):
        log = follower.partition.log
        if log.latest_epoch < 0:
            return int(log.log_end_offset)
        answer_epoch, end_offset = leader.end_offset_for_epoch(log.latest_epoch)
        offset, done = _truncation.truncation_point(
            log, leader_epoch=answer_epoch, end_offset=end_offset, high_watermark=0
        )
        _truncation.truncate_partition(
            follower.partition,
            follower.manager,
            offset,
            reason="lab",
            now_ms=Millis(0),
            effects=Effects(),
        )
        if done:
            return int(follower.partition.log_end_offset)
    raise LabFailure(
        inputs=f"follower epochs {follower.partition.log.epoch_cache.entries}",
        expected="the rounds to end",
        got="20 rounds of OffsetForLeaderEpoch without done=True",
    )


def _divergence_cases(context: CheckContext) -> None:
    from tests.test_broker_truncation import DIVERGENCE_CASES, epochs_of, replica

    for name, (leader_epochs, current, follower_epochs, expected) in DIVERGENCE_CASES.items():
        leader = replica(leader_epochs, leader_epoch=current)
        follower = replica(follower_epochs)
        end = _reconcile(follower, leader.partition.log)
        if end != expected or epochs_of(follower) != leader_epochs[:expected]:
            raise LabFailure(
                inputs=f"case {name}: leader record epochs {leader_epochs} (current epoch "
                f"{current}), follower record epochs {follower_epochs}",
                expected=f"the follower keeps {expected} records, epochs "
                f"{leader_epochs[:expected]}",
                got=f"it kept {end}, epochs {epochs_of(follower)}",
            )


def _stops_at_divergence(context: CheckContext) -> None:
    from tests.test_broker_truncation import epochs_of, histories, replica, spec_replica

    from specs.replication_steps import divergence_offset

    @check_settings(context)
    @given(history=histories())
    def stops(history: tuple[list[int], int, list[int]]) -> None:
        leader_epochs, current, follower_epochs = history
        leader = replica(leader_epochs, leader_epoch=current)
        follower = replica(follower_epochs)
        expected = divergence_offset(
            spec_replica(follower_epochs, list(follower.partition.log.epoch_cache.entries)),
            spec_replica(leader_epochs, list(leader.partition.log.epoch_cache.entries)),
        )
        end = _reconcile(follower, leader.partition.log)
        if end != expected:
            raise LabFailure(
                inputs=f"leader record epochs {leader_epochs} (current epoch {current}), "
                f"follower record epochs {follower_epochs}",
                expected=f"truncation at the divergence point, offset {expected} (REPL-14)",
                got=f"the follower's log ends at {end}, epochs {epochs_of(follower)}",
            )

    stops()


LAB = Lab(
    name="truncation",
    title="The truncation point from leader epochs (KIP-279)",
    teaches="How a follower finds where its log diverges from the new leader's using leader "
    "epochs, and why truncating to the high watermark loses acknowledged data.",
    minutes=45,
    reference="glasskafka.broker.truncation.truncation_point",
    file_name="truncation_lab.py",
    template="truncation_point",
    entry_points=(_NAME,),
    readme="""
## Goal

Write `truncation_point(...)`: after a leader change, a follower asks the new leader where its
latest epoch ends (OffsetForLeaderEpoch) and cuts its log there -- not one record more, not one
less.  While the check runs, every follower in glasskafka's simulated cluster truncates where
your function says.

## Hints

- Read KIP-101 and KIP-279; the docstring's rules are in the order the code checks them.
- First write "where does epoch F end in my log" from `epochs` and `log_end_offset`.
- Draw the divergence cases A-G (leader and follower logs as rows of epochs) before coding.
- Case F: the leader answers epoch 1 ending at 2, but the follower's epoch 1 ends at 1.
""",
    substitutions=(
        Substitution(target="glasskafka.broker.truncation.truncation_point", build=_adapter),
        Substitution(target="glasskafka.broker.fetcher.truncation_point", build=_adapter),
    ),
    checks=(
        Check(name="the same answer as the reference", kind="property", run=_agrees),
        Check(
            name="log divergence cases A-G (kafka-tlaplus)",
            kind="unit",
            run=_divergence_cases,
            needs_source_checkout=True,
        ),
        Check(
            name="rounds stop at the divergence point (REPL-14)",
            kind="property",
            run=_stops_at_divergence,
            needs_source_checkout=True,
        ),
        replication_model_check(),
    ),
)
