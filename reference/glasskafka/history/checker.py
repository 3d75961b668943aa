"""The delivery checker: a history in, a verdict with counted and exemplified anomalies out.

Theory of operation
-------------------
:func:`check_history` analyses a history once (``analysis.py``: writers, readers, sessions,
version orders) and runs every check:

==========================  =========================================  ========
check                       kinds                                      spec
==========================  =========================================  ========
``group_checks``            group-undelivered, group-redelivered,      DELIV-19, 20, 21
                            group-double-owner
``partition_checks``        lost-write, unseen, inconsistent-offsets,  DELIV-1, 2, 3, 5
                            duplicate, G1a
``order_checks``            poll-skip, nonmonotonic-poll,              DELIV-7, 13
                            int-poll-skip, int-nonmonotonic-poll,
                            nonmonotonic-send
``cycles``                  G1c-process                                DELIV-15
==========================  =========================================  ========

The **verdict** is ``invalid`` if any case is fatal; otherwise ``unknown`` if the history gave
nothing to check (no acknowledged send and no ``ok`` poll: Jepsen calls an empty history invalid,
glasskafka says ``unknown`` so the reason is plain, and the command still fails on it); otherwise
``valid``.  Per kind the report keeps the count of fatal and allowed cases and the first few as
examples, each naming the lines of the operations involved.  The informational outputs of
``info.py`` ride along.

The checker is deterministic: every dictionary it iterates was filled in history order or sorted,
so the same file gives the same report, byte for byte.

Spec IDs: every DELIV id of ``specs/delivery.py`` (``specs/delivery.py`` states each).

Simplified from Kafka: nothing to simplify; see ``anomalies.py`` for the kinds that wait for
transactions.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from glasskafka.history import cycles, group_checks, order_checks, partition_checks
from glasskafka.history.analysis import Analysis, analyse
from glasskafka.history.anomalies import Case, Kind
from glasskafka.history.group_checks import FinalCommit
from glasskafka.history.info import (
    Lag,
    PartitionSummary,
    double_consumption,
    partition_summaries,
    realtime_lags,
    unknown_causes,
)
from glasskafka.history.model import History, Outcome, Poll, Send

__all__ = ["CHECKS", "EXAMPLES_PER_KIND", "Finding", "Report", "Verdict", "check_history"]

EXAMPLES_PER_KIND = 3
"""How many cases of each kind a report shows in full."""

CHECKS: tuple[Callable[[Analysis], list[Case]], ...] = (
    group_checks.undelivered,
    group_checks.redelivered,
    partition_checks.lost_writes,
    partition_checks.unseen,
    partition_checks.inconsistent_offsets,
    partition_checks.duplicates,
    partition_checks.g1a,
    order_checks.poll_order,
    order_checks.internal_poll_order,
    order_checks.send_order,
    cycles.g1c_process,
    group_checks.double_owners,
)
"""Every check, in the order the report lists its kinds."""


class Verdict(enum.Enum):
    """The checker's answer."""

    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """All cases of one kind: how many were fatal, how many allowed, and a few examples."""

    kind: Kind
    fatal: int
    allowed: int
    examples: tuple[Case, ...]

    @property
    def spec_id(self) -> str:
        """The DELIV-n invariant of this kind."""
        return self.examples[0].spec_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What the checker found in one history."""

    verdict: Verdict
    reason: str
    operations: int
    processes: int
    findings: tuple[Finding, ...]
    cases: tuple[Case, ...]
    partitions: tuple[PartitionSummary, ...]
    committed: tuple[FinalCommit, ...]
    unknown_causes: tuple[tuple[str, int], ...]
    double_consumption: tuple[tuple[int, int], ...]
    realtime_lags: tuple[Lag, ...]

    def fatal_kinds(self) -> tuple[Kind, ...]:
        """The kinds with at least one fatal case, in report order."""
        return tuple(f.kind for f in self.findings if f.fatal)

    def spec_violations(self, spec_id: str) -> list[str]:
        """The fatal cases that break ``spec_id``, as sentences (for ``specs.catalogue.check``)."""
        return [
            f"{c.kind.value}: {c.message}" for c in self.cases if c.fatal and c.spec_id == spec_id
        ]


def check_history(history: History) -> Report:
    """Check ``history`` for every delivery anomaly and return the report."""
    analysis = analyse(history)
    cases = tuple(case for check in CHECKS for case in check(analysis))
    findings = _findings(cases)
    verdict, reason = _verdict(history, findings)
    return Report(
        verdict=verdict,
        reason=reason,
        operations=len(history.operations),
        processes=len({op.process for op in history.operations}),
        findings=findings,
        cases=cases,
        partitions=tuple(partition_summaries(analysis)),
        committed=tuple(group_checks.final_commits(analysis)),
        unknown_causes=tuple(unknown_causes(analysis)),
        double_consumption=tuple(double_consumption(analysis)),
        realtime_lags=tuple(realtime_lags(analysis)),
    )


def _findings(cases: tuple[Case, ...]) -> tuple[Finding, ...]:
    by_kind: dict[Kind, list[Case]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    findings = []
    for kind in Kind:
        found = by_kind.get(kind, [])
        if not found:
            continue
        fatal = [c for c in found if c.fatal]
        # Show fatal cases first: they are the ones that decide the verdict.
        shown = (fatal + [c for c in found if not c.fatal])[:EXAMPLES_PER_KIND]
        findings.append(
            Finding(
                kind=kind, fatal=len(fatal), allowed=len(found) - len(fatal), examples=tuple(shown)
            )
        )
    return tuple(findings)


def _verdict(history: History, findings: tuple[Finding, ...]) -> tuple[Verdict, str]:
    fatal = [f for f in findings if f.fatal]
    if fatal:
        names = ", ".join(f"{f.kind.value} ({f.fatal})" for f in fatal)
        return Verdict.INVALID, f"anomalies found: {names}"
    observed = any(
        (isinstance(op, Send) and op.acknowledged)
        or (isinstance(op, Poll) and op.outcome is Outcome.OK and op.records)
        for op in history.operations
    )
    if not observed:
        return (
            Verdict.UNKNOWN,
            "nothing to check: no acknowledged send and no poll returned records",
        )
    return Verdict.VALID, "no anomalies found"
