"""Pictures of a replicated cluster: one snapshot, or a counterexample as a row of snapshots.

Theory of operation
-------------------
A :class:`~glasskafka.sim.kafka_snapshot.ClusterSnapshot` is drawn as Graphviz DOT text:

* the **coordination service** on top: each partition's znode (leader, leader epoch, ISR,
  ``zk_version``, controller epoch);
* one **box per broker**, grey when the broker is down, holding one small table per partition
  replica.  Its header says what the replica believes (leader, follower of whom, or no role; its
  epoch; a leader's ISR view and any proposed ISR) and what the truth is (``ZK ISR`` if the
  znode lists it, ``zombie`` for a presumed leader that is not the true leader, ``dirty`` after a
  lossy restart).  Below it the **log** is a row of cells, one per offset, each with the record
  id and the epoch of its batch; cells below the replica's HW are shaded as visible to
  consumers; a row of marks shows where the HW and the LEO are;
* acknowledged records that are **missing** are flagged red: on the ZooKeeper leader and on
  every ZooKeeper ISR member, the two kinds of replica that must hold every acks=all record
  (REPL-2, REPL-4, REPL-5), each offset where such a record should be and is not gets a red cell
  naming the record;
* the **ghost state** at the bottom: the true HW, the committed log, every acknowledgement, what
  consumers read, who is dirty.

:func:`counterexample_dot` draws a short sequence of snapshots (a shrunk Hypothesis run, or one
of the scenarios S1-S10) as numbered panels, side by side or stacked.  :func:`render_svg` hands
DOT text to Graphviz's ``dot``.  The DOT is built as text, not through a library, so a test can
read it, and the same snapshot always gives the same bytes (everything is sorted).

Spec IDs: none maintained; the red flags show where REPL-2, REPL-4 and REPL-5 are at stake.

Simplified from Kafka: Kafka has no such picture; its tools print the same facts as text
(``kafka-topics --describe`` for leader and ISR, ``kafka-dump-log`` for a log, the
``kafka.log:type=Log`` metrics for LEO).  Segments, indexes and record payloads are left out.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from glasskafka.errors import GlassKafkaError
from glasskafka.sim.kafka_snapshot import (
    BrokerSnapshot,
    ClusterSnapshot,
    PartitionSnapshot,
    ReplicaRole,
    ReplicaState,
    describe_brokers,
)
from glasskafka.viz.render import html_text, render

__all__ = ["COLOURS", "Layout", "cluster_dot", "counterexample_dot", "render_svg"]

COLOURS = {
    "visible": "#cfe8cf",
    "missing": "#f6c6c6",
    "down": "#d9d9d9",
    "up": "#ffffff",
    "ghost": "#eef2fb",
    "zookeeper": "#fdf3d6",
}
"""Fill colours: records below the HW, missing acknowledged records, brokers, the side boxes."""


class Layout(enum.StrEnum):
    """How :func:`counterexample_dot` arranges its panels."""

    SIDE_BY_SIDE = "side-by-side"
    STACKED = "stacked"

    def __repr__(self) -> str:
        return f"Layout.{self.name}"


def cluster_dot(snapshot: ClusterSnapshot, *, title: str = "") -> str:
    """DOT text for one snapshot, with ``title`` as the caption (none if empty)."""
    lines = _graph_header("cluster_snapshot", title)
    lines += _panel(snapshot, prefix="s")
    return "\n".join([*lines, "}", ""])


def counterexample_dot(
    steps: Sequence[tuple[str, ClusterSnapshot]],
    *,
    title: str = "",
    layout: Layout = Layout.SIDE_BY_SIDE,
) -> str:
    """DOT text for a sequence of ``(caption, snapshot)`` steps, numbered from 1.

    Raises ``GlassKafkaError`` if ``steps`` is empty (there is nothing to draw).
    """
    if not steps:
        raise GlassKafkaError("counterexample_dot needs at least one (caption, snapshot) step")
    lines = _graph_header("counterexample", title)
    previous_last = ""
    for number, (caption, snapshot) in enumerate(steps, start=1):
        prefix = f"s{number}"
        lines += [
            f"  subgraph cluster_step_{number} {{",
            f"    label=<<B>{number}.</B> {html_text(caption)}>;",
            '    style="rounded"; color="#888888"; labeljust="l";',
        ]
        lines += ["  " + line for line in _panel(snapshot, prefix=prefix)]
        lines.append("  }")
        if layout is Layout.STACKED and previous_last:
            lines.append(f"  {previous_last} -> {prefix}_zk;")
        previous_last = f"{prefix}_ghost"
    return "\n".join([*lines, "}", ""])


def render_svg(dot_source: str) -> bytes:
    """Run Graphviz's ``dot`` on ``dot_source`` and return the SVG.

    Raises ``GlassKafkaError`` if ``dot`` is not installed or rejects the text (``render.py``).
    """
    return render(dot_source, image_format="svg")


# ---------------------------------------------------------------------------------------------
# The parts of one panel


def _graph_header(name: str, title: str) -> list[str]:
    lines = [
        f"digraph {name} {{",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=0.2];',
        '  node [shape=plain, fontname="Helvetica", fontsize=10];',
        "  edge [style=invis];",
    ]
    if title:
        lines.append(f"  label=<<B>{html_text(title)}</B>>; labelloc=t;")
    return lines


def _panel(snapshot: ClusterSnapshot, *, prefix: str) -> list[str]:
    """Node statements for one snapshot, every node named ``<prefix>_...``."""
    brokers = sorted(snapshot.brokers, key=lambda broker: broker.broker_id)
    nodes = [f"{prefix}_zk [label=<{_zookeeper_table(snapshot)}>];"]
    names = [f"{prefix}_zk"]
    for broker in brokers:
        name = f"{prefix}_broker_{broker.broker_id}".replace("-", "m")
        nodes.append(f"{name} [label=<{_broker_table(broker, snapshot)}>];")
        names.append(name)
    nodes.append(f"{prefix}_ghost [label=<{_ghost_table(snapshot)}>];")
    names.append(f"{prefix}_ghost")
    return [*nodes, " -> ".join(names) + ";"]


def _table(rows: Iterable[str], *, fill: str, border_colour: str = "black") -> str:
    return (
        f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2" BGCOLOR="{fill}" '
        f'COLOR="{border_colour}">' + "".join(rows) + "</TABLE>"
    )


def _row(*cells: str) -> str:
    return "<TR>" + "".join(cells) + "</TR>"


def _cell(content: str, *, fill: str = "", align: str = "LEFT", border: int = 0) -> str:
    colour = f' BGCOLOR="{fill}"' if fill else ""
    return f'<TD ALIGN="{align}" BORDER="{border}"{colour}>{content}</TD>'


def _zookeeper_table(snapshot: ClusterSnapshot) -> str:
    rows = [_row(_cell("<B>ZooKeeper</B> (partition state znodes)"))]
    for p in snapshot.partitions:
        state = p.zk_state
        leader = "none" if state.leader is None else str(state.leader)
        rows.append(
            _row(
                _cell(
                    f"<B>{html_text(p.name)}</B>: leader {leader}, epoch {state.leader_epoch}, "
                    f"ISR {describe_brokers(state.isr)}, zk_version {state.zk_version}, "
                    f"controller epoch {state.controller_epoch}"
                )
            )
        )
    return _table(rows, fill=COLOURS["zookeeper"])


def _broker_table(broker: BrokerSnapshot, snapshot: ClusterSnapshot) -> str:
    status = "" if broker.running else " (down)"
    rows = [_row(_cell(f"<B>broker {broker.broker_id}</B>{status}"))]
    for p in snapshot.partitions:
        replica = p.replica(broker.broker_id)
        if replica is not None:
            rows.append(_row(_cell(_replica_header(replica, p))))
            rows.append(_row(_cell(_replica_table(replica, p))))
    fill = COLOURS["up"] if broker.running else COLOURS["down"]
    return _table(rows, fill=fill, border_colour="black" if broker.running else "#777777")


def _replica_header(replica: ReplicaState, p: PartitionSnapshot) -> str:
    match replica.role:
        case ReplicaRole.LEADER:
            role = f"<B>leader</B> in epoch {replica.leader_epoch}, ISR view "
            role += describe_brokers(replica.isr)
            if replica.pending_isr is not None:
                role += f", proposed {describe_brokers(replica.pending_isr)}"
        case ReplicaRole.FOLLOWER:
            role = f"follower of {replica.leader} in epoch {replica.leader_epoch}"
        case ReplicaRole.NONE:
            role = "no role"
    marks = [
        mark
        for mark, applies in (
            ("ZK ISR", replica.broker_id in p.zk_state.isr),
            ("zombie", replica.is_presumed_leader and p.true_leader() != replica),
            ("dirty", replica.broker_id in p.ghost.dirty),
            ("log cut by a lossy crash", not replica.log_intact),
        )
        if applies
    ]
    extra = f" [{', '.join(marks)}]" if marks else ""
    return f"<B>{html_text(p.name)}</B>: {role}{extra}"


def _width(p: PartitionSnapshot) -> int:
    """The number of offset columns drawn for ``p``: room for every log, ack and the LEO mark."""
    ends: list[int] = [replica.log_end_offset for replica in p.replicas]
    ends += [ack.offset + 1 for ack in p.ghost.acked]
    ends.append(len(p.ghost.committed_log))
    return max(ends) + 1


def _missing(replica: ReplicaState, p: PartitionSnapshot) -> dict[int, str]:
    """Offset -> acks=all record that ``replica`` should hold there and does not."""
    if replica.broker_id != p.zk_state.leader and replica.broker_id not in p.zk_state.isr:
        return {}
    return {
        ack.offset: ack.record
        for ack in p.ghost.acked_all
        if not replica.holds(ack.record, ack.offset)
    }


def _replica_table(replica: ReplicaState, p: PartitionSnapshot) -> str:
    """The replica's log: offsets, one cell per record, and where the HW and the LEO are."""
    missing = _missing(replica, p)
    offsets = range(_width(p))
    small = '<FONT POINT-SIZE="8">{}</FONT>'
    numbers = [_cell(small.format("offset"), align="RIGHT")]
    numbers += [_cell(small.format(offset), align="CENTER") for offset in offsets]
    log_cells = [_cell("log", align="RIGHT")]
    log_cells += [_log_cell(replica, offset, missing.get(offset)) for offset in offsets]
    marks = [_cell("", align="RIGHT")]
    for offset in offsets:
        here = [
            name
            for name, value in (("HW", replica.high_watermark), ("LEO", replica.log_end_offset))
            if value == offset
        ]
        marks.append(_cell(small.format(" ".join(here)) if here else "", align="CENTER"))
    return (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="2" ALIGN="LEFT">'
        + _row(*numbers)
        + _row(*log_cells)
        + _row(*marks)
        + "</TABLE>"
    )


def _log_cell(replica: ReplicaState, offset: int, missing: str | None) -> str:
    entry = replica.entry_at(offset)
    if offset < replica.log_start_offset:
        return _cell('<FONT COLOR="#777777">deleted</FONT>', align="CENTER", border=1)
    if entry is None and missing is None:
        return _cell(" ", align="CENTER")
    if entry is None:
        assert missing is not None
        content = f'<FONT COLOR="red">{html_text(missing)}<BR/>missing</FONT>'
        return _cell(content, fill=COLOURS["missing"], align="CENTER", border=1)
    record, epoch = entry
    content = f"{html_text(record)}<BR/>e{epoch}"
    if missing is not None:
        content += f'<BR/><FONT COLOR="red">not {html_text(missing)}</FONT>'
        return _cell(content, fill=COLOURS["missing"], align="CENTER", border=1)
    visible = offset < replica.high_watermark
    return _cell(content, fill=COLOURS["visible"] if visible else "", align="CENTER", border=1)


def _ghost_table(snapshot: ClusterSnapshot) -> str:
    rows = [_row(_cell("<B>ghost state</B> (kept by observers; no node sees it)"))]
    for p in snapshot.partitions:
        ghost = p.ghost
        committed = " ".join(
            html_text(f"{record}/{epoch}") for record, epoch in ghost.committed_log
        )
        acked = ", ".join(
            html_text(
                f"{ack.record}@{ack.offset} (acks={ack.acks.value}, epoch {ack.leader_epoch})"
            )
            for ack in ghost.acked
        )
        consumed = ", ".join(html_text(f"{record}@{offset}") for offset, record in ghost.consumed)
        facts = [
            f"<B>{html_text(p.name)}</B>: true HW {ghost.true_high_watermark}",
            f"committed: {committed or 'nothing'}",
            f"acknowledged: {acked or 'nothing'}",
            f"consumed: {consumed or 'nothing'}",
        ]
        if ghost.dirty:
            facts.append(f"dirty: {describe_brokers(ghost.dirty)}")
        rows += [_row(_cell(fact)) for fact in facts]
    return _table(rows, fill=COLOURS["ghost"])
