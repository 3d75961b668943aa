"""Rendering a checker report as text for people or JSON for programs.

Theory of operation
-------------------
:func:`format_text` prints the verdict first, then each anomaly kind with its spec ID, its fatal
and allowed counts and up to ``EXAMPLES_PER_KIND`` examples (each naming history lines), then the
informational outputs.  :func:`report_json` gives the same content as a JSON-ready dictionary
with a stable shape, documented in ``docs/concepts/history-checker.md``.  Both are pure functions
of the report, so the same history always prints the same bytes.

Spec IDs: shows every DELIV id of ``specs/delivery.py`` beside the kinds that break them.

Simplified from Kafka: nothing; Kafka has no such report.  Jepsen's is an EDN map with similar
content (``:bad-error-types``, ``:error-types`` and one entry per kind).
"""

from __future__ import annotations

from typing import Any

from glasskafka.history.anomalies import KINDS, Case
from glasskafka.history.checker import Report
from glasskafka.ids import TopicPartition

__all__ = ["format_text", "report_json"]


def _name(tp: TopicPartition) -> str:
    return f"{tp[0]}-{tp[1]}"


def format_text(report: Report, *, source: str = "history") -> str:
    """The report as lines of text, ending in a newline."""
    out = [
        f"{source}: {report.operations} operations by {report.processes} processes",
        f"verdict: {report.verdict.value} ({report.reason})",
    ]
    for finding in report.findings:
        counts = f"{finding.fatal} fatal" + (
            f", {finding.allowed} allowed" if finding.allowed else ""
        )
        out.append(f"{finding.kind.value} [{finding.spec_id}]: {counts}")
        for case in finding.examples:
            marker = "-" if case.fatal else "~"
            lines = ", ".join(str(line) for line in case.lines)
            out.append(f"  {marker} {case.message} [lines {lines}]")
        hidden = finding.fatal + finding.allowed - len(finding.examples)
        if hidden > 0:
            out.append(f"  ... and {hidden} more")
    out.extend(_information(report))
    return "\n".join(out) + "\n"


def _information(report: Report) -> list[str]:
    out = ["information:"]
    for summary in report.partitions:
        out.append(
            f"  partition {_name(summary.partition)}: {summary.offsets_seen} offsets seen,"
            f" {summary.first_offset}..{summary.last_offset},"
            f" {summary.conflicting_offsets} conflicting"
        )
    for final in report.committed:
        out.append(
            f"  committed: group {final.group!r} {_name(final.partition)} -> {final.offset}"
            f" (line {final.line})"
        )
    for error, count in report.unknown_causes:
        out.append(f"  unknown outcome: {error} x{count}")
    for process, count in report.double_consumption:
        out.append(f"  double consumption: process {process} polled {count} records twice or more")
    if report.realtime_lags:
        worst = max(report.realtime_lags, key=lambda lag: lag.lag_ms)
        out.append(
            f"  worst realtime lag: {worst.lag_ms} ms, process {worst.process} on"
            f" {_name(worst.partition)} (line {worst.line})"
        )
    return out if len(out) > 1 else []


def _case_json(case: Case) -> dict[str, Any]:
    return {
        "kind": case.kind.value,
        "spec": case.spec_id,
        "fatal": case.fatal,
        "message": case.message,
        "lines": list(case.lines),
        "partition": None
        if case.partition is None
        else {"topic": case.partition[0], "partition": case.partition[1]},
        "offsets": list(case.offsets),
    }


def report_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dictionary."""
    return {
        "verdict": report.verdict.value,
        "reason": report.reason,
        "operations": report.operations,
        "processes": report.processes,
        "anomalies": [
            {
                "kind": f.kind.value,
                "spec": f.spec_id,
                "meaning": KINDS[f.kind].meaning,
                "fatal": f.fatal,
                "allowed": f.allowed,
                "examples": [_case_json(c) for c in f.examples],
            }
            for f in report.findings
        ],
        "information": {
            "partitions": [
                {
                    "topic": s.partition[0],
                    "partition": s.partition[1],
                    "offsets_seen": s.offsets_seen,
                    "first_offset": s.first_offset,
                    "last_offset": s.last_offset,
                    "conflicting_offsets": s.conflicting_offsets,
                }
                for s in report.partitions
            ],
            "committed": [
                {
                    "group": c.group,
                    "topic": c.partition[0],
                    "partition": c.partition[1],
                    "offset": c.offset,
                    "line": c.line,
                }
                for c in report.committed
            ],
            "unknown_causes": [{"error": e, "count": n} for e, n in report.unknown_causes],
            "double_consumption": [
                {"process": p, "records": n} for p, n in report.double_consumption
            ],
            "realtime_lags": [
                {
                    "process": lag.process,
                    "topic": lag.partition[0],
                    "partition": lag.partition[1],
                    "lag_ms": lag.lag_ms,
                    "line": lag.line,
                }
                for lag in report.realtime_lags
            ],
        },
    }
