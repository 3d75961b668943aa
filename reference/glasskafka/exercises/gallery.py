"""The counterexample gallery: every replication scenario and delivery anomaly, drawn and told.

Theory of operation
-------------------
``docs/guide/counterexamples.md`` is written by :func:`gallery_markdown`, never by hand, and a
test compares the checked-in page with a fresh run, so the page cannot drift from the code:

* **Replication scenarios S1-S10** (``reference/replication-invariants.md`` §5).  Each scripted
  scenario of ``model_tests/replication_scenarios.py`` is played on the simulated cluster with
  its bug flag (or unsafe setting) on, the same scripts the replay tests run; each script is
  minimal (drop a step and the anomaly goes).  The page tells the steps, lists the first
  violation of each invariant the scenario breaks with the step it appeared after, and draws
  the cluster before it broke, when it broke and at the end (``viz.cluster.counterexample_dot``).
* **Delivery anomalies** (``reference/delivery-semantics.md`` §4, §7).  For each anomaly kind
  the history checker reports, the smallest history of the checker's example suite
  (``reference/tests/test_history_examples.py``) is told as sentences, checked again, and drawn
  with ``viz.history.history_picture``.

The plain-words explanations are this module's own prose (:data:`_SCENARIO_NOTES`,
:data:`_ANOMALY_NOTES`).  Regenerate the page with
``python -m glasskafka.exercises.gallery --write docs/guide/counterexamples.md``.

Spec IDs: the REPL, IDEM and DELIV IDs the scenarios and histories break.

Simplified from Kafka: the traces are glasskafka's simulated ones (epochs start at 0; leadership
moves only when a broker dies), as ``replication_scenarios.py`` explains.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from glasskafka.errors import GlassKafkaError
from glasskafka.exercises.runner import source_checkout

__all__ = ["gallery_markdown", "main"]

_SCENARIO_NOTES = {
    "S1": "A follower that restarts cuts its log back to its own high watermark, which lags "
    "the leader's by one fetch. It drops m2, which the leader had already acknowledged, and "
    "stays in the ISR. When the leader dies, a clean election picks this follower, and m2 is "
    "gone for good. Leader epochs (KIP-101) fix it: the follower asks the leader where its "
    "epoch ends instead of trusting its own high watermark.",
    "S3": "After two quick leader changes, the returning replica asks where its last epoch "
    "ends and gets the start of the next epoch the leader knows, which is past the record "
    "they disagree on. Nothing is truncated, and two replicas hold different records at the "
    "same offset. KIP-279 answers with the largest epoch at or below the one asked, and its "
    "end.",
    "S4": "A follower misses a whole epoch while cut off; when it hears of the next one, the "
    "leader is the broker it followed before, so it assumes nothing changed and keeps a "
    "record written in an epoch nobody else remembers. KAFKA-7164: reconcile on every epoch "
    "change, whoever leads.",
    "S5": "A follower of an old epoch keeps fetching. Without the current leader epoch in the "
    "fetch (KIP-320), the leader serves it and counts it toward the ISR and the high "
    "watermark, though its log may differ from the leader's.",
    "S6": "A new leader whose high watermark still lags admits a follower that reached that "
    "stale high watermark, though the follower lacks a record the old leader committed. "
    "KIP-320's rule asks for the leader-epoch start offset too, and a fetch in this epoch.",
    "S7": "While its ISR change is not yet confirmed by ZooKeeper, the leader advances the "
    "high watermark over the smaller, proposed ISR. A replica still in ZooKeeper's ISR lacks "
    "an acknowledged record and can be elected. The maximal ISR (KIP-497) counts current and "
    "proposed members until the write is confirmed.",
    "ack_before_hw": "acks=all is answered as soon as the leader has the record, before the "
    "followers do, so it behaves like acks=1: the leader dies and a clean election loses an "
    "acknowledged record.",
    "S8": "No ISR member is alive, and unclean election is on: a replica that never had the "
    "acknowledged records is made leader, and offsets consumers already read are written "
    "again with other records. KIP-106 turned unclean election off by default.",
    "S9": "acks=1 means the leader alone has the record when the producer hears 'stored'. "
    "If it dies before a follower copies it, a perfectly clean election loses the record. "
    "This is permitted: REPL-5 protects only acks=all records.",
    "S9 (acks=0)": "acks=0 means nobody answers at all; the producer never learns that the "
    "record was lost with the leader. Permitted, and invisible to the producer.",
    "S10": "The last ISR member loses its unsynced tail in a power loss, comes back as the only "
    "electable replica, and the others truncate to its shorter log: one broker's local loss "
    "becomes everyone's. KIP-966's eligible leader replicas (KRaft only) prevent it.",
}

_S2_NOTE = (
    "S2 (both replicas lose power and diverge) needs a lossy crash and the HW-truncation bug "
    "at once. glasskafka does not script it: S1 shows the truncation half and S10 the lossy "
    "crash half (see ``model_tests/replication_scenarios.py``)."
)

_ANOMALY_NOTES = {
    "lost-write": "Readers moved past an acknowledged record: something after it was read, "
    "but nobody ever read it.",
    "unseen": "An acknowledged record was never read by anyone, even by the final read from "
    "the beginning. Either it was lost or the reads stopped too early.",
    "inconsistent-offsets": "Two readers saw different records at the same offset: the log "
    "was rewritten under them (as after S8's unclean election).",
    "duplicate": "One record sits at two offsets: a retry was written twice (idempotence off "
    "or broken).",
    "G1a": "A reader saw a record whose send was definitely refused: an aborted write leaked.",
    "poll-skip": "A consumer's next poll started past records it had not read; fine after a "
    "rebalance in subscribe mode, an error for an assigned consumer.",
    "nonmonotonic-poll": "A consumer's next poll went back to records it had already read.",
    "int-poll-skip": "Inside one poll, two consecutive records of a partition are not "
    "neighbours in the log.",
    "int-nonmonotonic-poll": "Inside one poll, a partition's records go backwards.",
    "nonmonotonic-send": "A process's later send landed before its earlier one.",
    "G1c-process": "A process read a value before it sent it: information flowed backwards.",
    "group-undelivered": "The group's committed offset covers a record no member processed: "
    "at-least-once is broken (a commit before processing, or a resume one past the commit).",
    "group-redelivered": "A record was processed twice by one group; allowed for at-least-once, "
    "an error for an at-most-once group.",
    "group-double-owner": "Two members owned one partition in the same generation.",
}


def _scenario_section(scenario: Any) -> list[str]:
    from glasskafka.viz.cluster import counterexample_dot
    from model_tests.replication_bench import ReplicationBench
    from model_tests.replication_script import perform

    bench = ReplicationBench(scenario.configured(flag_on=True), seed=0, strict=False)
    snapshots = [("start", bench.latest)]
    first: dict[str, int] = {}
    for number, (caption, step) in enumerate(scenario.steps, start=1):
        perform(bench, step)
        snapshots.append((caption, bench.latest))
        for spec_id in bench.violations:
            first.setdefault(spec_id, number)
    enable = f"bug flag `{scenario.flag}`" if scenario.flag else "an unsafe setting, no bug flag"
    breaks = ", ".join(scenario.breaks) or "nothing (permitted)"
    lines = [f"### {scenario.name}: {scenario.title}", ""]
    lines += [f"**Enable:** {enable}.  **Breaks:** {breaks}.", ""]
    lines += [f"{_SCENARIO_NOTES[scenario.name]}", "", "The run, step by step:", ""]
    lines += [f"{n}. {caption}" for n, (caption, _) in enumerate(scenario.steps, start=1)]
    lines += ["", "What the checkers saw:", ""]
    seen = [i for i in scenario.breaks if i in first]
    if not seen:
        lines.append("- no invariant broke: the loss is within what the settings promise.")
    for spec_id in seen:
        message = bench.violations[spec_id][0]
        lines.append(f"- **{spec_id}**, after step {first[spec_id]}: {message}")
    turning = min((first[i] for i in seen), default=len(snapshots) - 2)
    chosen = sorted({max(turning - 1, 0), turning, len(snapshots) - 1})
    panels = [(f"step {i}: {snapshots[i][0]}", snapshots[i][1]) for i in chosen]
    dot = counterexample_dot(panels, title=f"{scenario.name}: {scenario.title}")
    return [*lines, "", "```{graphviz}", dot.rstrip(), "```", ""]


def _sentence(line: dict[str, Any]) -> str:
    who, op = f"process {line['process']}", line["op"]

    def records(key: str) -> str:
        items = [f"{r['value']!r} at t-{r['partition']}:{r['offset']}" for r in line[key]]
        return ", ".join(items) or "nothing"

    def offsets() -> str:
        return ", ".join(f"t-{o['partition']} at {o['offset']}" for o in line["offsets"])

    match op:
        case "send":
            told = {
                "ok": f"is told offset {line.get('offset')}",
                "error": f"is told it failed ({line.get('error')})",
            }.get(line["outcome"], f"hears nothing certain ({line.get('error')})")
            return f"{who} sends {line['value']!r} and {told}"
        case "poll":
            return f"{who} polls and gets {records('records')}"
        case "process":
            return f"{who} processes {records('records')}"
        case "assign":
            return f"{who} assigns itself t-0 and seeks to the beginning"
        case "subscribe":
            return f"{who} joins group {line['group']!r} ({line['delivery']})"
        case "commit":
            return f"{who} commits {offsets()} for group {line['group']!r}"
        case "committed":
            return f"{who} reads the committed offsets of group {line['group']!r}: {offsets()}"
        case "rebalance":
            parts = ", ".join(f"t-{p['partition']}" for p in line["partitions"])
            return f"{who} is {line['event']} {parts} in generation {line['generation']}"
        case _:
            return f"{who} {op}es" if op == "crash" else f"{who} {op}s"


def _anomaly_section(name: str, book: Any) -> list[str]:
    from glasskafka.history import KINDS, Kind, check_history, parse_history
    from glasskafka.viz.history import history_picture

    kind = Kind(name)
    history = parse_history(book.text())
    report = check_history(history)
    lines = [f"### {KINDS[kind].spec_id} `{name}`", "", f"{_ANOMALY_NOTES[name]}", ""]
    lines += ["The history (one line per operation):", ""]
    lines += [f"{n}. {_sentence(line)}" for n, line in enumerate(book.lines, start=1)]
    lines += ["", f"The checker's verdict: **{report.verdict.value}**.", ""]
    for case in report.cases:
        if case.kind is kind:
            lines.append(f"- {case.spec_id} `{case.kind.value}`: {case.message}")
    picture = history_picture(history, report).source
    return [*lines, "", "```{graphviz}", picture.rstrip(), "```", ""]


_HEADER = """\
# Counterexample gallery

Every anomaly glasskafka's suites know, as the shortest run that shows it: what happened, in
plain words; what the checkers saw; and a picture.  The replication scenarios are
`reference/replication-invariants.md` §5 played on the simulated cluster with their bug flag
(or unsafe setting) on; the delivery anomalies are the smallest histories the history checker's
example suite holds.  The [bug hunt](labs.md) shows the same invariants breaking under a hidden
flag, and the [curriculum](curriculum.md) says which chapter each belongs to.

This page is generated by `glasskafka.exercises.gallery` and kept current by a test
(`reference/tests/test_exercises_gallery.py`); regenerate it with
`python -m glasskafka.exercises.gallery --write docs/guide/counterexamples.md`.

In the cluster pictures each step is a panel: ZooKeeper's partition state, each broker's log
(record@offset/epoch) with its high watermark, and the ghost state the checkers keep (the true
high watermark and the acknowledged records).  In the history pictures each cell is an offset,
coloured by what happened to it.

## Replication scenarios

"""

_TRANSACTIONS = """\
### The anomalies that need transactions

`precommitted-read` (DELIV-4), `int-send-skip` (DELIV-11), `int-nonmonotonic-send` (DELIV-12),
`G0` (DELIV-14), `G1c` (DELIV-15), the `PL-` cycle reports (DELIV-16, 17) and
`empty-transaction-graph` (DELIV-18, the checker's `unknown` verdict) cannot happen in a history
without transactions, whose sends carry one record each.  They arrive with transactions.
"""


def gallery_markdown() -> str:
    """The whole gallery page (Markdown with graphviz blocks), ending with a newline.

    Raises :class:`GlassKafkaError` without a source checkout.
    """
    if source_checkout() is None:
        raise GlassKafkaError("the gallery needs a glasskafka source checkout")
    from tests.test_history_examples import EXAMPLES

    from glasskafka.history import KINDS
    from model_tests.replication_scenarios import SCENARIOS

    lines = [_HEADER.rstrip(), ""]
    for scenario in SCENARIOS.values():
        lines += _scenario_section(scenario)
        if scenario.name == "S1":
            lines += ["### S2: divergence after both replicas crash", "", _S2_NOTE, ""]
    lines += ["## Delivery anomalies", ""]
    for kind in KINDS:
        book, _ = EXAMPLES[kind.value]
        lines += _anomaly_section(kind.value, book)
    lines.append(_TRANSACTIONS.rstrip())
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m glasskafka.exercises.gallery [--write PATH]``: print or write the page."""
    parser = argparse.ArgumentParser(prog="python -m glasskafka.exercises.gallery")
    parser.add_argument("--write", type=Path, help="write the page here instead of printing it")
    args = parser.parse_args(argv)
    text = gallery_markdown()
    if args.write is None:
        sys.stdout.write(text)
    else:
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
