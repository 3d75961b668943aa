"""Checks per consumer group: what did the group as a whole process, and who owned what?

Theory of operation
-------------------
Jepsen's checker follows processes, not groups, and its final drain seeks to the beginning, so a
commit that skips a record or a partition given to two members passes it unnoticed
(``reference/delivery-semantics.md`` §7).  glasskafka adds three checks per group ``g``:

* ``group-undelivered`` (DELIV-19, at-least-once).  Let ``C`` be ``g``'s committed offset for a
  partition at the end of the history: the last ``committed`` line for it (an OffsetFetch after
  the drain), else the last ``ok`` commit.  Kafka's meaning: the next offset to read.  Every
  offset below ``C`` at which the inferred log holds a record must have been *processed* by a
  member of ``g`` in subscribe mode, at some time, by some member, across crashes and rebalances.
  Assign-mode reads (the final drain among them) never count.  Only for groups that promise
  at-least-once, i.e. commit after processing; an at-most-once group may lose records.
* ``group-redelivered`` (DELIV-20, at-most-once).  A record processed twice by members of ``g``.
  An error in a group that promises at-most-once (commit before processing); in an at-least-once
  group the same cases are reported as allowed, the measure of its redelivery.
* ``group-double-owner`` (DELIV-21).  Two members owned one partition during the same generation,
  by their rebalance callbacks (``assigned`` adds, ``revoked``/``lost`` remove, a crash clears).
  Ownership *during* a generation counts partitions held at any point of it, so cooperative
  rebalancing (KIP-429), where a member keeps partitions across generations, is judged right.
  Callbacks without a ``generation`` move ownership but are not compared.

*Processed* means named by a ``process`` line, never merely returned by a poll: the delivery
guarantees are about the application's work, and a poll's records can be lost between the poll
and that work (a crash after an early commit is exactly the at-least-once bug).

Spec IDs: DELIV-19, DELIV-20, DELIV-21.

Simplified from Kafka: offsets below the log start offset (deleted by retention) and aborted
transactional records are not excluded, because the history does not record them yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.history.analysis import Analysis
from glasskafka.history.anomalies import Case, Kind
from glasskafka.history.model import (
    Commit,
    Committed,
    Crash,
    Delivery,
    History,
    Outcome,
    Process,
    Rebalance,
    RebalanceEvent,
    Restart,
    Subscribe,
)
from glasskafka.history.sessions import Mode
from glasskafka.ids import Offset, TopicPartition

__all__ = [
    "FinalCommit",
    "deliveries",
    "double_owners",
    "final_commits",
    "group_delivery",
    "redelivered",
    "undelivered",
]


def _name(tp: TopicPartition) -> str:
    return f"{tp[0]}-{tp[1]}"


def group_delivery(history: History) -> dict[str, Delivery]:
    """Each group's declared guarantee (at-least-once unless a subscribe says otherwise)."""
    groups: dict[str, Delivery] = {}
    for op in history.operations:
        if isinstance(op, Subscribe):
            groups[op.group] = op.delivery
        elif isinstance(op, Commit | Committed | Rebalance):
            groups.setdefault(op.group, Delivery.AT_LEAST_ONCE)
    return dict(sorted(groups.items()))


def deliveries(analysis: Analysis) -> dict[str, dict[tuple[TopicPartition, Offset], list[int]]]:
    """For each group, the positions of the operations that processed each (partition, offset)."""
    found: dict[str, dict[tuple[TopicPartition, Offset], list[int]]] = {}
    for position, op in enumerate(analysis.history.operations):
        session = analysis.sessions[position]
        if not isinstance(op, Process) or session.mode is not Mode.SUBSCRIBED:
            continue
        assert session.group is not None, "a subscribed session names its group"
        processed = found.setdefault(session.group, {})
        for record in op.records:
            key = ((record.topic, record.partition), record.offset)
            processed.setdefault(key, []).append(position)
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalCommit:
    """A group's committed offset for a partition at the end, and the line that set it."""

    group: str
    partition: TopicPartition
    offset: Offset
    line: int


def final_commits(analysis: Analysis) -> list[FinalCommit]:
    """Each (group, partition)'s final committed offset: last ``committed``, else last ok commit."""
    fetched: dict[tuple[str, TopicPartition], FinalCommit] = {}
    committed: dict[tuple[str, TopicPartition], FinalCommit] = {}
    for position, op in enumerate(analysis.history.operations):
        if isinstance(op, Committed):
            target = fetched
        elif isinstance(op, Commit) and op.outcome is Outcome.OK:
            target = committed
        else:
            continue
        for item in op.offsets:
            tp = (item.topic, item.partition)
            target[(op.group, tp)] = FinalCommit(
                group=op.group, partition=tp, offset=item.offset, line=analysis.line(position)
            )
    chosen = committed | fetched
    return [chosen[key] for key in sorted(chosen)]


def undelivered(analysis: Analysis) -> list[Case]:
    """Records below an at-least-once group's committed offset it never processed (DELIV-19)."""
    delivery = group_delivery(analysis.history)
    processed = deliveries(analysis)
    cases = []
    for final in final_commits(analysis):
        if delivery.get(final.group) is not Delivery.AT_LEAST_ONCE:
            continue
        order = analysis.orders.get(final.partition)
        done = processed.get(final.group, {})
        # A common recording mistake gets named: processing must be written as 'process' lines.
        hint = "" if done else " (no member of the group recorded a 'process' line)"
        for offset in order.log if order is not None else ():
            if offset >= final.offset or (final.partition, offset) in done:
                continue
            cases.append(
                Case(
                    kind=Kind.GROUP_UNDELIVERED,
                    fatal=True,
                    message=f"group {final.group!r}: {_name(final.partition)} offset {offset}"
                    f" is below the committed offset {final.offset} (line {final.line}) but no"
                    f" member of the group processed it{hint}",
                    lines=(final.line,),
                    partition=final.partition,
                    offsets=(offset,),
                )
            )
    return cases


def redelivered(analysis: Analysis) -> list[Case]:
    """Records a group processed more than once; fatal for at-most-once groups (DELIV-20)."""
    delivery = group_delivery(analysis.history)
    cases = []
    for group, processed in sorted(deliveries(analysis).items()):
        at_most_once = delivery.get(group) is Delivery.AT_MOST_ONCE
        for (tp, offset), positions in processed.items():
            if len(positions) < 2:
                continue
            shown = ", ".join(str(analysis.line(p)) for p in positions)
            cases.append(
                Case(
                    kind=Kind.GROUP_REDELIVERED,
                    fatal=at_most_once,
                    message=f"group {group!r} ({delivery[group].value}) processed"
                    f" {_name(tp)} offset {offset} {len(positions)} times, at lines {shown}",
                    lines=tuple(analysis.line(p) for p in positions),
                    partition=tp,
                    offsets=(offset,),
                )
            )
    return cases


def double_owners(analysis: Analysis) -> list[Case]:
    """Partitions owned by two members of a group in one generation (DELIV-21)."""
    owned: dict[int, set[TopicPartition]] = {}
    # (group, generation) -> process -> (partitions owned during it, line of the last callback)
    during: dict[tuple[str, int], dict[int, tuple[set[TopicPartition], int]]] = {}
    for position, op in enumerate(analysis.history.operations):
        if isinstance(op, Crash | Restart):
            owned.pop(op.process, None)
        if not isinstance(op, Rebalance):
            continue
        mine = owned.setdefault(op.process, set())
        before = set(mine)
        if op.event is RebalanceEvent.ASSIGNED:
            mine.update(op.partitions)
        else:
            mine.difference_update(op.partitions)
        if op.generation is not None:
            members = during.setdefault((op.group, op.generation), {})
            held, _ = members.get(op.process, (set(), 0))
            members[op.process] = (held | before | mine, analysis.line(position))
    cases = []
    for (group, generation), members in sorted(during.items()):
        owners: dict[TopicPartition, list[int]] = {}
        for process in sorted(members):
            for tp in members[process][0]:
                owners.setdefault(tp, []).append(process)
        for tp, processes in sorted(owners.items()):
            if len(processes) < 2:
                continue
            cases.append(
                Case(
                    kind=Kind.GROUP_DOUBLE_OWNER,
                    fatal=True,
                    message=f"group {group!r} generation {generation}: {_name(tp)} was owned by"
                    f" processes {', '.join(str(p) for p in processes)}",
                    lines=tuple(sorted(members[p][1] for p in processes)),
                    partition=tp,
                )
            )
    return cases
