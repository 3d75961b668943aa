"""Hand-made histories: a good one, and a bad one for each anomaly kind, with their verdicts.

Each example is a few lines of the history format, built with :class:`Book` so that it reads like
the story it tells.  The checker must report exactly the fatal kinds listed for it, and the plain
predicates of ``specs/delivery.py`` must flag exactly the matching DELIV-n IDs: two independent
readings of one definition.  Other history tests (the command line, the picture, the docs) reuse
these examples.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from glasskafka.history import Kind, Verdict, check_history, parse_history
from glasskafka.history.anomalies import KINDS

from specs import delivery
from specs.catalogue import load_all

SPECS = {spec_id: entry for spec_id, entry in load_all().items() if spec_id.startswith("DELIV-")}


class Book:
    """Writes history lines in order, numbering ``index`` from 0 (so line = index + 1)."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def add(self, op: str, process: int, **fields: Any) -> Book:
        line = {"op": op, "process": process, "client": f"c{process}", "index": len(self.lines)}
        self.lines.append(line | {k: v for k, v in fields.items() if v is not None})
        return self

    def send(
        self,
        process: int,
        value: str,
        *,
        offset: int | None = None,
        partition: int = 0,
        outcome: str = "ok",
        error: str | None = None,
    ) -> Book:
        known = outcome == "ok" or offset is not None
        return self.add(
            "send",
            process,
            topic="t",
            partition=partition if known else None,
            key=None,
            value=value,
            outcome=outcome,
            offset=offset,
            error=error,
        )

    def poll(self, process: int, *records: tuple[int, int, str], outcome: str = "ok") -> Book:
        return self.add("poll", process, outcome=outcome, records=_records(records))

    def process(self, process: int, *records: tuple[int, int, str]) -> Book:
        return self.add("process", process, records=_records(records))

    def assign(self, process: int, *partitions: int) -> Book:
        tps = [{"topic": "t", "partition": p} for p in partitions]
        return self.add("assign", process, partitions=tps, outcome="ok", seek_to_beginning=True)

    def subscribe(self, process: int, group: str = "g", delivery: str = "at-least-once") -> Book:
        return self.add(
            "subscribe", process, group=group, topics=["t"], outcome="ok", delivery=delivery
        )

    def commit(self, process: int, offsets: dict[int, int], *, group: str = "g") -> Book:
        return self.add(
            "commit", process, group=group, mode="sync", offsets=_offsets(offsets), outcome="ok"
        )

    def committed(self, process: int, offsets: dict[int, int], *, group: str = "g") -> Book:
        return self.add("committed", process, group=group, offsets=_offsets(offsets))

    def rebalance(
        self, process: int, event: str, *partitions: int, generation: int | None = None
    ) -> Book:
        tps = [{"topic": "t", "partition": p} for p in partitions]
        return self.add(
            "rebalance", process, group="g", event=event, partitions=tps, generation=generation
        )

    def crash(self, process: int) -> Book:
        return self.add("crash", process)

    def restart(self, process: int) -> Book:
        return self.add("restart", process)

    def text(self) -> str:
        return "".join(json.dumps(line) + "\n" for line in self.lines)


def _records(records: tuple[tuple[int, int, str], ...]) -> list[dict[str, Any]]:
    return [
        {"topic": "t", "partition": p, "offset": o, "key": None, "value": v} for p, o, v in records
    ]


def _offsets(offsets: dict[int, int]) -> list[dict[str, Any]]:
    return [{"topic": "t", "partition": p, "offset": o} for p, o in offsets.items()]


def abc(book: Book | None = None) -> Book:
    """Process 0 writes a, b, c to t-0 at offsets 0, 1, 2, all acknowledged."""
    book = book or Book()
    return book.send(0, "a", offset=0).send(0, "b", offset=1).send(0, "c", offset=2)


def drain(book: Book, *records: tuple[int, int, str]) -> Book:
    """A fresh process 9 assigns t-0 from the beginning and reads ``records``."""
    return book.assign(9, 0).poll(9, *records)


ALL = ((0, 0, "a"), (0, 1, "b"), (0, 2, "c"))


def good() -> Book:
    """A correct run: a group reads, processes and commits; a failed send stays unseen."""
    book = abc().send(0, "d", outcome="error", error="NOT_ENOUGH_REPLICAS")
    book.send(0, "e", outcome="unknown", error="REQUEST_TIMED_OUT")
    book.subscribe(1).rebalance(1, "assigned", 0, generation=1)
    book.poll(1, (0, 0, "a"), (0, 1, "b")).process(1, (0, 0, "a"), (0, 1, "b")).commit(1, {0: 2})
    book.poll(1, (0, 2, "c"), (0, 3, "e")).process(1, (0, 2, "c"), (0, 3, "e")).commit(1, {0: 4})
    return drain(book, *ALL, (0, 3, "e")).committed(9, {0: 4})


EXAMPLES: dict[str, tuple[Book, set[Kind]]] = {
    "good": (good(), set()),
    # b was acknowledged at 1; process 1 read a at 0, process 2 read c at 2; nobody read b.
    "lost-write": (
        abc().assign(1, 0).poll(1, (0, 0, "a")).assign(2, 0).poll(2, (0, 2, "c")),
        {Kind.LOST_WRITE, Kind.UNSEEN},
    ),
    "unseen": (abc().assign(1, 0).poll(1, (0, 0, "a")), {Kind.UNSEEN}),
    "inconsistent-offsets": (
        Book()
        .send(0, "a", offset=0)
        .send(0, "b", outcome="unknown")
        .assign(1, 0)
        .poll(1, (0, 0, "a"))
        .assign(2, 0)
        .poll(2, (0, 0, "b")),
        {Kind.INCONSISTENT_OFFSETS},
    ),
    "duplicate": (
        Book().send(0, "a", offset=0).assign(1, 0).poll(1, (0, 0, "a")).poll(2, (0, 1, "a")),
        {Kind.DUPLICATE},
    ),
    "G1a": (
        Book().send(0, "a", outcome="error", error="NOT_ENOUGH_REPLICAS").poll(1, (0, 0, "a")),
        {Kind.G1A},
    ),
    "poll-skip": (
        drain(abc().assign(1, 0).poll(1, (0, 0, "a")).poll(1, (0, 2, "c")), *ALL),
        {Kind.POLL_SKIP},
    ),
    "nonmonotonic-poll": (
        drain(abc().assign(1, 0).poll(1, (0, 0, "a"), (0, 1, "b")).poll(1, (0, 1, "b")), *ALL),
        {Kind.NONMONOTONIC_POLL},
    ),
    "int-poll-skip": (
        drain(abc().assign(1, 0).poll(1, (0, 0, "a"), (0, 2, "c")), *ALL),
        {Kind.INT_POLL_SKIP},
    ),
    "int-nonmonotonic-poll": (
        drain(abc().assign(1, 0).poll(1, (0, 1, "b"), (0, 0, "a")), *ALL),
        {Kind.INT_NONMONOTONIC_POLL},
    ),
    "nonmonotonic-send": (
        drain(Book().send(0, "a", offset=1).send(0, "b", offset=0), (0, 0, "b"), (0, 1, "a")),
        {Kind.NONMONOTONIC_SEND},
    ),
    # Process 0 read a before it sent a: a read from its own future.
    "G1c-process": (
        Book().assign(0, 0).poll(0, (0, 0, "a")).send(0, "a", offset=0),
        {Kind.G1C_PROCESS},
    ),
    "group-undelivered": (
        drain(
            Book()
            .send(0, "a", offset=0)
            .send(0, "b", offset=1)
            .subscribe(1)
            .poll(1, (0, 0, "a"), (0, 1, "b"))
            .process(1, (0, 0, "a"))
            .commit(1, {0: 2}),
            (0, 0, "a"),
            (0, 1, "b"),
        ).committed(9, {0: 2}),
        {Kind.GROUP_UNDELIVERED},
    ),
    "group-redelivered": (
        Book()
        .send(0, "a", offset=0)
        .subscribe(1, delivery="at-most-once")
        .poll(1, (0, 0, "a"))
        .process(1, (0, 0, "a"))
        .crash(1)
        .subscribe(2, delivery="at-most-once")
        .poll(2, (0, 0, "a"))
        .process(2, (0, 0, "a")),
        {Kind.GROUP_REDELIVERED},
    ),
    "group-double-owner": (
        Book()
        .subscribe(1)
        .subscribe(2)
        .rebalance(1, "assigned", 0, generation=3)
        .rebalance(2, "assigned", 0, 1, generation=3),
        {Kind.GROUP_DOUBLE_OWNER},
    ),
    # Allowed, not fatal: skips in subscribe mode; redelivery in an at-least-once group.
    "poll-skip while subscribed": (
        drain(abc().subscribe(1).poll(1, (0, 0, "a")).poll(1, (0, 2, "c")), *ALL),
        set(),
    ),
    "redelivered at least once": (
        Book()
        .send(0, "a", offset=0)
        .subscribe(1)
        .poll(1, (0, 0, "a"))
        .process(1, (0, 0, "a"))
        .crash(1)
        .restart(1)
        .subscribe(1)
        .poll(1, (0, 0, "a"))
        .process(1, (0, 0, "a"))
        .commit(1, {0: 1}),
        set(),
    ),
    # A timeout on NOT_LEADER_OR_FOLLOWER may still have been written (KAFKA-13574): no G1a.
    "indefinite error read": (
        Book().send(0, "a", outcome="error", error="NOT_LEADER_OR_FOLLOWER").poll(1, (0, 0, "a")),
        set(),
    ),
    # Cooperative rebalancing: process 1 keeps t-0 through generation 2, gives it up, and only
    # then, in generation 3, does process 2 get it.
    "cooperative handover": (
        drain(
            Book()
            .send(0, "a", offset=0)
            .subscribe(1)
            .subscribe(2)
            .rebalance(1, "assigned", 0, generation=1)
            .rebalance(1, "assigned", 1, generation=2)
            .rebalance(1, "revoked", 0, generation=2)
            .rebalance(2, "assigned", 0, generation=3),
            (0, 0, "a"),
        ),
        set(),
    ),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_checker_reports_exactly_the_expected_fatal_kinds(name: str) -> None:
    book, expected = EXAMPLES[name]
    report = check_history(parse_history(book.text()))
    assert set(report.fatal_kinds()) == expected, [c.message for c in report.cases]
    assert report.verdict is (Verdict.INVALID if expected else Verdict.VALID)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_spec_predicates_flag_exactly_the_matching_ids(name: str) -> None:
    book, expected = EXAMPLES[name]
    history = parse_history(book.text())
    flagged = set()
    for spec_id, entry in SPECS.items():
        if getattr(delivery, entry.function)(history):
            flagged.add(spec_id)
    assert flagged == {KINDS[kind].spec_id for kind in expected}


def test_every_kind_has_an_example() -> None:
    covered = set().union(*(kinds for _, kinds in EXAMPLES.values()))
    assert covered == set(Kind)


def test_examples_name_the_lines_that_show_the_anomaly() -> None:
    report = check_history(parse_history(EXAMPLES["lost-write"][0].text()))
    lost = next(c for c in report.cases if c.kind is Kind.LOST_WRITE)
    assert lost.lines == (2, 7)  # the send of b, and the poll that read c beyond it
    assert lost.offsets == (1,)
    assert "value 'b'" in lost.message
    report = check_history(parse_history(EXAMPLES["group-undelivered"][0].text()))
    (case,) = report.cases
    assert case.partition == ("t", 0) and case.offsets == (1,)
    assert case.lines == (9,)  # the committed line of the drain: the group's final offset


def test_allowed_cases_are_reported_but_do_not_fail() -> None:
    report = check_history(parse_history(EXAMPLES["poll-skip while subscribed"][0].text()))
    (finding,) = report.findings
    assert (finding.kind, finding.fatal, finding.allowed) == (Kind.POLL_SKIP, 0, 1)
    report = check_history(parse_history(EXAMPLES["redelivered at least once"][0].text()))
    (finding,) = report.findings
    assert (finding.kind, finding.fatal, finding.allowed) == (Kind.GROUP_REDELIVERED, 0, 1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        Book().send(0, "a", outcome="error", error="INVALID_TOPIC_EXCEPTION").text(),
        Book().subscribe(1).poll(1).text(),
    ],
    ids=["empty", "blank lines", "only a failed send", "an empty poll"],
)
def test_a_history_with_nothing_to_check_is_unknown(text: str) -> None:
    report = check_history(parse_history(text))
    assert report.verdict is Verdict.UNKNOWN
    assert "nothing to check" in report.reason
