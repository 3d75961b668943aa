"""Delivery: what Kafka promises producers and consumer groups, stated over client histories.

Specification
-------------
The snapshot is a :class:`glasskafka.history.model.History`: what clients saw, one completed
operation at a time (sends with their acknowledged offsets, polls with the records returned,
processing, commits, rebalance callbacks, crashes).  Nothing here reads a broker.  Definitions
follow ``reference/delivery-semantics.md``; the names in brackets are the anomaly kinds that
``glasskafka.history`` reports for each invariant (Jepsen's names where Jepsen has them).

A *member* of group ``g`` is a process whose last ``subscribe`` that took effect named ``g``
(and which has not since assigned, crashed or restarted).  A record is *processed* when a
``process`` line of a member names it; being returned by a poll is not enough.  ``C(g, p)``,
the group's committed offset for partition ``p``, is the last ``committed`` line's value (an
OffsetFetch, usually after the final drain), else the last ``ok`` commit's; as in Kafka it is
the next offset to read.  A record is *known* at an offset if an
``ok`` send was acknowledged there or any poll returned it there.

* DELIV-19 At-least-once per group [group-undelivered].  In a group that commits after processing,
  every record known below ``C(g, p)`` was processed by some member of ``g``, at some time,
  across crashes and rebalances.
* DELIV-20 At-most-once per group [group-redelivered].  In a group that commits before processing,
  no record is processed twice by its members.
* DELIV-5 No acknowledged write lost [lost-write, unseen].  Every ``ok`` send is returned by
  some ``ok`` poll at its acknowledged partition and offset (a complete final drain makes this
  decidable).
* DELIV-1 No offset reused [inconsistent-offsets].  No offset of a partition is known with two
  different records.
* DELIV-2 No record written twice [duplicate].  No record is known at two offsets of a partition.
* DELIV-3 No read of a failed write [G1a].  No ``ok`` poll returns a record whose send definitely
  failed.
* DELIV-7 Consumers read in log order [poll-skip, nonmonotonic-poll, int-poll-skip,
  int-nonmonotonic-poll].  Within one poll, consecutive records of a partition are neighbours in
  the partition's known log; between a process's polls of a partition in assign mode, the next
  poll starts right after where its last ``ok`` poll ended.
* DELIV-13 A producer's sends land in order [nonmonotonic-send].  Each send of a process to a
  partition lands after that process's previous send to it.
* DELIV-15 No circular information flow [G1c-process].  Process order plus write-read edges (a send
  precedes every ``ok`` poll that returned its record) form no cycle.
* DELIV-21 One owner per partition per generation [group-double-owner].  No partition is owned by
  two members of a group during one generation; a member owns a partition from its ``assigned``
  callback to its ``revoked`` or ``lost`` callback or its crash.

These predicates are deliberately plain, written apart from the checker, so that the model tests
can compare the two on every generated history.  Offsets stand in for dense positions here (the
checker's dense order differs only where offsets conflict, which DELIV-1 already condemns).
"""

from __future__ import annotations

import graphlib
import itertools
from collections.abc import Iterator

from glasskafka.history.model import (
    Assign,
    Commit,
    Committed,
    Crash,
    Delivery,
    History,
    Operation,
    Outcome,
    Poll,
    Process,
    Rebalance,
    RebalanceEvent,
    Record,
    Restart,
    Send,
    Subscribe,
)

from specs.catalogue import spec

__all__ = [
    "acknowledged_writes_kept",
    "at_least_once_per_group",
    "at_most_once_per_group",
    "consumers_read_in_order",
    "no_circular_information_flow",
    "no_duplicate_records",
    "no_offset_reuse",
    "no_read_of_failed_write",
    "one_owner_per_generation",
    "producer_sends_in_order",
]

Where = tuple[str, int, int]  # (topic, partition, offset)


def _numbered(history: History) -> Iterator[tuple[int, Operation]]:
    return zip(history.lines, history.operations, strict=True)


def _member_of(history: History) -> list[str | None]:
    """For each operation, the group its process was a subscribed member of, if any."""
    group: dict[int, str | None] = {}
    found = []
    for op in history.operations:
        if isinstance(op, Subscribe) and op.outcome is not Outcome.ERROR:
            group[op.process] = op.group
        elif isinstance(op, Crash | Restart) or (
            isinstance(op, Assign) and op.outcome is not Outcome.ERROR
        ):
            group[op.process] = None
        found.append(group.get(op.process))
    return found


def _processed(history: History) -> dict[str, list[tuple[Where, int]]]:
    """Per group, every (record position, line) its members processed, repeats included."""
    found: dict[str, list[tuple[Where, int]]] = {}
    for (line, op), group in zip(_numbered(history), _member_of(history), strict=True):
        if group is not None and isinstance(op, Process):
            found.setdefault(group, []).extend(
                ((r.topic, r.partition, r.offset), line) for r in op.records
            )
    return found


def _delivery(history: History) -> dict[str, Delivery]:
    return {op.group: op.delivery for op in history.operations if isinstance(op, Subscribe)}


def _committed(history: History) -> dict[tuple[str, str, int], tuple[int, int]]:
    """(group, topic, partition) -> (final committed offset, line): last fetch, else last commit."""
    fetched: dict[tuple[str, str, int], tuple[int, int]] = {}
    committed: dict[tuple[str, str, int], tuple[int, int]] = {}
    for line, op in _numbered(history):
        target = fetched if isinstance(op, Committed) else committed
        if isinstance(op, Committed) or (isinstance(op, Commit) and op.outcome is Outcome.OK):
            for item in op.offsets:
                target[(op.group, item.topic, item.partition)] = (item.offset, line)
    return committed | fetched


def _known(history: History) -> dict[Where, set[tuple[object, object]]]:
    """Every (topic, partition, offset) known to hold a record, with the records known there."""
    known: dict[Where, set[tuple[object, object]]] = {}
    for op in history.operations:
        if isinstance(op, Send) and op.outcome is Outcome.OK:
            assert op.partition is not None and op.offset is not None
            known.setdefault((op.topic, op.partition, op.offset), set()).add((op.key, op.value))
        elif isinstance(op, Poll):
            for r in op.records:
                known.setdefault((r.topic, r.partition, r.offset), set()).add((r.key, r.value))
    return known


@spec("DELIV-19", "At-least-once per group")
def at_least_once_per_group(history: History) -> list[str]:
    """In a group that commits after processing, every record below the group's final committed
    offset of a partition was processed by some member of the group, across crashes and
    rebalances."""
    delivery = _delivery(history)
    processed = {g: {where for where, _ in items} for g, items in _processed(history).items()}
    known = sorted(_known(history))
    violations: list[str] = []
    for (group, topic, partition), (committed, line) in sorted(_committed(history).items()):
        if delivery.get(group, Delivery.AT_LEAST_ONCE) is not Delivery.AT_LEAST_ONCE:
            continue
        violations.extend(
            f"group {group!r}: {topic}-{partition} offset {offset} is below the committed"
            f" offset {committed} (line {line}) but no member processed it"
            for t, p, offset in known
            if (t, p) == (topic, partition)
            and offset < committed
            and (t, p, offset) not in processed.get(group, set())
        )
    return violations


@spec("DELIV-20", "At-most-once per group")
def at_most_once_per_group(history: History) -> list[str]:
    """In a group that commits before processing, no record is processed twice by its members."""
    delivery = _delivery(history)
    violations = []
    for group, items in sorted(_processed(history).items()):
        if delivery.get(group) is not Delivery.AT_MOST_ONCE:
            continue
        lines_of: dict[Where, list[int]] = {}
        for where, line in items:
            lines_of.setdefault(where, []).append(line)
        for (topic, partition, offset), lines in sorted(lines_of.items()):
            if len(lines) > 1:
                violations.append(
                    f"group {group!r} processed {topic}-{partition} offset {offset}"
                    f" {len(lines)} times (lines {', '.join(map(str, lines))})"
                )
    return violations


@spec("DELIV-5", "No acknowledged write lost")
def acknowledged_writes_kept(history: History) -> list[str]:
    """Every acknowledged send is returned by some ok poll at its acknowledged partition and
    offset; a complete final drain makes this decidable."""
    read = {
        (r.topic, r.partition, r.offset, r.key, r.value)
        for op in history.operations
        if isinstance(op, Poll) and op.outcome is Outcome.OK
        for r in op.records
    }
    return [
        f"line {line}: {op.topic}-{op.partition} offset {op.offset} value {op.value!r} was"
        " acknowledged but no poll returned it there"
        for line, op in _numbered(history)
        if isinstance(op, Send)
        and op.outcome is Outcome.OK
        and (op.topic, op.partition, op.offset, op.key, op.value) not in read
    ]


@spec("DELIV-1", "No offset reused")
def no_offset_reuse(history: History) -> list[str]:
    """No offset of a partition is known to hold two different records."""
    return [
        f"{topic}-{partition} offset {offset} held {len(records)} different records"
        for (topic, partition, offset), records in sorted(_known(history).items())
        if len(records) > 1
    ]


@spec("DELIV-2", "No record written twice")
def no_duplicate_records(history: History) -> list[str]:
    """No record is known at two different offsets of one partition."""
    offsets: dict[tuple[str, int, object, object], list[int]] = {}
    for (topic, partition, offset), records in sorted(_known(history).items()):
        for key, value in records:
            offsets.setdefault((topic, partition, key, value), []).append(offset)
    return [
        f"{topic}-{partition} value {value!r} sits at offsets {', '.join(map(str, found))}"
        for (topic, partition, _, value), found in offsets.items()
        if len(found) > 1
    ]


@spec("DELIV-3", "No read of a failed write")
def no_read_of_failed_write(history: History) -> list[str]:
    """No ok poll returns a record whose send definitely failed."""
    failed = {
        (op.topic, op.key, op.value): line
        for line, op in _numbered(history)
        if isinstance(op, Send) and op.definitely_failed
    }
    return [
        f"poll at line {line} returned value {r.value!r}, whose send failed at line"
        f" {failed[(r.topic, r.key, r.value)]}"
        for line, op in _numbered(history)
        if isinstance(op, Poll) and op.outcome is Outcome.OK
        for r in op.records
        if (r.topic, r.key, r.value) in failed
    ]


def _rank(history: History) -> dict[Where, int]:
    """Each known offset's position among the known offsets of its partition."""
    ranks: dict[Where, int] = {}
    counters: dict[tuple[str, int], int] = {}
    for topic, partition, offset in sorted(_known(history)):
        ranks[(topic, partition, offset)] = counters.get((topic, partition), 0)
        counters[(topic, partition)] = ranks[(topic, partition, offset)] + 1
    return ranks


def _forget(marks: dict[tuple[str, int], Where], op: Operation) -> None:
    if isinstance(op, Crash | Restart):
        marks.clear()
    elif isinstance(op, Assign | Subscribe) and op.outcome is not Outcome.ERROR:
        for tp in list(marks):
            kept = tp in op.partitions if isinstance(op, Assign) else tp[0] in op.topics
            if not kept:
                del marks[tp]
    elif isinstance(op, Rebalance):
        for tp in op.partitions:
            marks.pop(tp, None)


def _step(rank: dict[Where, int], before: Record | Where, after: Record) -> int:
    first = before if isinstance(before, tuple) else (before.topic, before.partition, before.offset)
    return rank[(after.topic, after.partition, after.offset)] - rank[first]


@spec("DELIV-7", "Consumers read in log order")
def consumers_read_in_order(history: History) -> list[str]:
    """Within one poll, consecutive records of a partition are neighbours in its known log; in
    assign mode, a process's next poll of a partition starts right after its last ok poll ended."""
    rank = _rank(history)
    violations = []
    marks: dict[int, dict[tuple[str, int], Where]] = {}
    for (line, op), group in zip(_numbered(history), _member_of(history), strict=True):
        mine = marks.setdefault(op.process, {})
        if not isinstance(op, Poll):
            _forget(mine, op)
            continue
        by_tp: dict[tuple[str, int], list[Record]] = {}
        for r in op.records:
            by_tp.setdefault((r.topic, r.partition), []).append(r)
        for tp, records in by_tp.items():
            steps = [_step(rank, a, b) for a, b in itertools.pairwise(records)]
            if any(step != 1 for step in steps):
                violations.append(f"poll at line {line} read {tp[0]}-{tp[1]} out of order")
            if tp in mine and group is None and _step(rank, mine[tp], records[0]) != 1:
                violations.append(
                    f"poll at line {line} began {tp[0]}-{tp[1]} at offset {records[0].offset},"
                    f" not right after offset {mine[tp][2]}"
                )
            if op.outcome is Outcome.OK:
                mine[tp] = (tp[0], tp[1], records[-1].offset)
    return violations


@spec("DELIV-13", "A producer's sends land in order")
def producer_sends_in_order(history: History) -> list[str]:
    """Each send of a process to a partition lands after that process's previous send to it."""
    known = _known(history)
    # A record at an offset that holds two records has no position (DELIV-1 condemns it).
    seen_at = {
        (r.topic, r.key, r.value): (r.partition, r.offset)
        for op in history.operations
        if isinstance(op, Poll)
        for r in reversed(op.records)
        if len(known[(r.topic, r.partition, r.offset)]) == 1
    }
    last: dict[int, dict[tuple[str, int], int]] = {}
    violations = []
    for line, op in _numbered(history):
        mine = last.setdefault(op.process, {})
        if isinstance(op, Crash | Restart):
            mine.clear()
        if not isinstance(op, Send) or op.definitely_failed:
            continue
        if op.outcome is Outcome.OK:
            assert op.partition is not None and op.offset is not None
            landed: tuple[int, int] | None = (op.partition, op.offset)
            if len(known[(op.topic, op.partition, op.offset)]) > 1:
                landed = None
        else:
            landed = seen_at.get((op.topic, op.key, op.value))
        if landed is None:
            continue
        tp = (op.topic, landed[0])
        if tp in mine and landed[1] <= mine[tp]:
            violations.append(
                f"line {line}: send landed at {tp[0]}-{tp[1]} offset {landed[1]}, not after"
                f" the process's previous send at offset {mine[tp]}"
            )
        mine[tp] = landed[1]
    return violations


@spec("DELIV-15", "No circular information flow")
def no_circular_information_flow(history: History) -> list[str]:
    """Process order together with write-read edges (each send precedes every ok poll that
    returned its record) forms no cycle."""
    writer = {
        (op.topic, op.key, op.value): position
        for position, op in enumerate(history.operations)
        if isinstance(op, Send)
    }
    graph: dict[int, set[int]] = {}  # node -> its predecessors
    previous: dict[int, int] = {}
    for position, op in enumerate(history.operations):
        before = graph.setdefault(position, set())
        if op.process in previous:
            before.add(previous[op.process])
        previous[op.process] = position
        if isinstance(op, Poll) and op.outcome is Outcome.OK:
            before.update(
                writer[(r.topic, r.key, r.value)]
                for r in op.records
                if writer.get((r.topic, r.key, r.value), position) != position
            )
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as cycle:
        lines = ", ".join(str(history.line(p)) for p in cycle.args[1])
        return [f"the operations at lines {lines} form a cycle"]
    return []


@spec("DELIV-21", "One owner per partition per generation")
def one_owner_per_generation(history: History) -> list[str]:
    """No partition is owned by two members of a group during one generation; a member owns a
    partition from its assigned callback until its revoked or lost callback or its crash."""
    owned: dict[int, set[tuple[str, int]]] = {}
    during: dict[tuple[str, int], dict[tuple[str, int], set[int]]] = {}
    for op in history.operations:
        if isinstance(op, Crash | Restart):
            owned[op.process] = set()
        if not isinstance(op, Rebalance):
            continue
        mine = owned.setdefault(op.process, set())
        held_before = set(mine)
        if op.event is RebalanceEvent.ASSIGNED:
            mine |= set(op.partitions)
        else:
            mine -= set(op.partitions)
        if op.generation is not None:
            owners = during.setdefault((op.group, op.generation), {})
            for tp in held_before | mine:
                owners.setdefault(tp, set()).add(op.process)
    return [
        f"group {group!r} generation {generation}: {tp[0]}-{tp[1]} owned by processes"
        f" {sorted(processes)}"
        for (group, generation), owners in sorted(during.items())
        for tp, processes in sorted(owners.items())
        if len(processes) > 1
    ]
