"""A simulator trace drawn as a sequence diagram: who sent what to whom, and what went wrong.

Theory of operation
-------------------
A sequence diagram is how distributed protocols are drawn in papers and on whiteboards: one
vertical *lifeline* per node, time flowing down, one arrow per message.  :func:`sequence_diagram`
draws a ``glasskafka.sim`` trace that way, with Graphviz:

* **Lifelines.**  Each node is a column, headed by a box with its name.  The diagram has one *row*
  per drawn trace event; every lifeline has one small point per row, and the points of a column
  are chained by dashed edges of a high weight, which keeps the column straight.  Each row's
  points share a rank (``rank=same``) and are tied left to right by invisible edges, which keeps
  the columns in order.  While a node is down its lifeline is dotted.
* **Time** is the leftmost column: each row is labelled with the simulated time of its event, and
  network events (partitions, heals) are written there.
* **Messages.**  One arrow per delivery, from the sender's point at the row where the message was
  sent to the receiver's point at the row where it arrived.  The arrows are not layout
  constraints (``constraint=false``), so a slow message is a long slanted arrow.  Its label is the
  message's sequence number and class (``#7 FetchRequest``); for a request or response envelope
  (``KafkaRequest``, ``KafkaResponse``) it is the class of the body inside, since the envelope is
  the same for every API and the body is what the arrow means.
* **Faults.**  A dropped message is a red dashed arrow ending in a bar (``arrowhead=tee``) at the
  row of the drop; a crash is a red box on the lifeline, a restart a green one, and timers,
  loss notices and API calls are small grey notes.

The result is a ``graphviz.Digraph``: its ``source`` is DOT text (no Graphviz needed), and
``pipe`` or ``render`` turn it into SVG or PNG (those need Graphviz's ``dot`` program).  Long
traces are cut at ``max_events`` rows, with a note saying how many were left out.

Spec IDs: none (a picture of SIM-1..3's subject: arrows never cross on one connection, and none
crosses a partition).

Simplified from Kafka: Kafka draws nothing; the pictures follow the sequence diagrams of Kafka's
KIPs (for example KIP-101's leader-epoch exchange) and of the Raft paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import assert_never

import graphviz

from glasskafka.errors import GlassKafkaError
from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.sim import (
    Called,
    ConnectionLost,
    Crashed,
    Delivered,
    Dropped,
    Healed,
    Partitioned,
    Restarted,
    Sent,
    Started,
    TimerFired,
    TraceEvent,
)

__all__ = ["sequence_diagram"]

_FONT = "Helvetica"
_TIME = "time"


@dataclass(slots=True)
class _Layout:
    """Rows and lanes decided before drawing: which event sits where."""

    lanes: dict[NodeId, int]
    rows: list[TraceEvent] = field(default_factory=list)
    sent_row: dict[int, int] = field(default_factory=dict)
    notes: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    down: set[tuple[int, int]] = field(default_factory=set)


def sequence_diagram(
    events: Sequence[TraceEvent],
    *,
    node_ids: Sequence[NodeId] | None = None,
    max_events: int = 200,
    title: str = "",
) -> graphviz.Digraph:
    """A ``graphviz.Digraph`` drawing ``events`` as a sequence diagram.

    ``node_ids`` fixes the columns and their order (default: every node in the trace, sorted).
    At most ``max_events`` events are drawn.  Raises ``GlassKafkaError`` for a ``max_events``
    below 1 or a trace that names a node missing from ``node_ids``.
    """
    if not isinstance(max_events, int) or isinstance(max_events, bool) or max_events < 1:
        raise GlassKafkaError(f"max_events={max_events!r}: it must be an integer of 1 or more")
    names = sorted(_nodes_in(events)) if node_ids is None else list(node_ids)
    missing = sorted(_nodes_in(events) - set(names))
    if missing:
        raise GlassKafkaError(f"the trace names nodes {missing} that node_ids={names} leaves out")
    layout = _lay_out(events[:max_events], names)
    graph = graphviz.Digraph(name="sequence")
    graph.attr(rankdir="TB", splines="line", nodesep="0.9", ranksep="0.12", fontname=_FONT)
    graph.attr(label=title, labelloc="t")
    graph.attr("node", fontname=_FONT, fontsize="10")
    graph.attr("edge", fontname=_FONT, fontsize="9")
    _draw_grid(graph, layout, names)
    _draw_messages(graph, layout)
    left_out = len(events) - len(layout.rows)
    if left_out > 0:
        graph.node("more", label=f"... {left_out} more events not drawn", shape="plaintext")
        graph.edge(_point(_TIME, len(layout.rows) - 1), "more", style="invis")
    return graph


def _nodes_in(events: Sequence[TraceEvent]) -> set[NodeId]:
    found: set[NodeId] = set()
    for event in events:
        match event:
            case Sent(sender=a, receiver=b) | Delivered(sender=a, receiver=b):
                found.update((a, b))
            case Dropped(sender=a, receiver=b):
                found.update((a, b))
            case Partitioned(groups=groups):
                found.update(node for group in groups for node in group)
            case Healed():
                pass
            case (
                Started(node_id=node)
                | Restarted(node_id=node)
                | Crashed(node_id=node)
                | TimerFired(node_id=node)
                | Called(node_id=node)
            ):
                found.add(node)
            case ConnectionLost(node_id=node, peer=peer):
                found.update((node, peer))
            case _:
                assert_never(event)
    return found


def _lay_out(events: Sequence[TraceEvent], names: list[NodeId]) -> _Layout:
    """Give each event a row, remember where messages left, and note what happens on lanes."""
    layout = _Layout(lanes={name: lane for lane, name in enumerate(names)})
    down: set[int] = set()
    for row, event in enumerate(events):
        layout.rows.append(event)
        match event:
            case Sent(sequence=sequence):
                layout.sent_row[sequence] = row
            case Crashed(node_id=node, disk=disk):
                layout.notes[(row, layout.lanes[node])] = (f"crash ({disk.value})", "firebrick")
                down.add(layout.lanes[node])
            case Restarted(node_id=node):
                layout.notes[(row, layout.lanes[node])] = ("restart", "darkgreen")
                down.discard(layout.lanes[node])
            case Started(node_id=node):
                layout.notes[(row, layout.lanes[node])] = ("start", "darkgreen")
            case TimerFired(node_id=node, name=name):
                layout.notes[(row, layout.lanes[node])] = (f"timer {name}", "grey40")
            case Called(node_id=node, label=label):
                layout.notes[(row, layout.lanes[node])] = (f"call {label}", "grey40")
            case ConnectionLost(node_id=node, peer=peer):
                layout.notes[(row, layout.lanes[node])] = (f"lost {peer}", "grey40")
            case Delivered() | Dropped() | Partitioned() | Healed():
                pass
            case _:
                assert_never(event)
        layout.down.update((row, lane) for lane in down)
    return layout


def _point(lane: int | str, row: int) -> str:
    """The name of a lane's point at ``row`` (row -1 is the column's head)."""
    where = "head" if row < 0 else str(row)
    return f"{lane}_{where}" if isinstance(lane, str) else f"lane{lane}_{where}"


def _time_label(event: TraceEvent) -> str:
    match event:
        case Partitioned(groups=groups):
            sides = " | ".join("{" + ", ".join(group) + "}" for group in groups)
            return f"{event.time_ms} ms  partition {sides}"
        case Healed():
            return f"{event.time_ms} ms  heal"
        case _:
            return f"{event.time_ms} ms"


def _draw_grid(graph: graphviz.Digraph, layout: _Layout, names: list[NodeId]) -> None:
    """Heads, time labels and the points of every lifeline, row by row."""
    with graph.subgraph(name="heads") as heads:
        heads.attr(rank="same")
        heads.node(_point(_TIME, -1), label="simulated time", shape="plaintext")
        for name, lane in layout.lanes.items():
            heads.node(
                _point(lane, -1), label=name, shape="box", style="filled", fillcolor="lightyellow"
            )
    for row, event in enumerate(layout.rows):
        with graph.subgraph(name=f"row{row}") as rank:
            rank.attr(rank="same")
            partitioned = isinstance(event, Partitioned | Healed)
            rank.node(
                _point(_TIME, row),
                label=_time_label(event),
                shape="plaintext",
                fontcolor="firebrick" if partitioned else "black",
            )
            for lane in range(len(names)):
                note = layout.notes.get((row, lane))
                if note is None:
                    rank.node(_point(lane, row), label="", shape="point", width="0.04")
                else:
                    text, color = note
                    rank.node(
                        _point(lane, row),
                        label=text,
                        shape="box",
                        fontsize="8",
                        color=color,
                        fontcolor=color,
                    )
    for lane in [_TIME, *range(len(names))]:
        _draw_lifeline(graph, layout, lane)
    for row in range(-1, len(layout.rows)):
        for left, right in zip([_TIME, *range(len(names))], range(len(names)), strict=False):
            graph.edge(_point(left, row), _point(right, row), style="invis")


def _draw_lifeline(graph: graphviz.Digraph, layout: _Layout, lane: int | str) -> None:
    for row in range(len(layout.rows)):
        if isinstance(lane, str):
            graph.edge(_point(lane, row - 1), _point(lane, row), style="invis", weight="100")
            continue
        # The stretch above this row is dotted if the node was down after the row above.
        was_down = (row - 1, lane) in layout.down
        style = "dotted" if was_down else "dashed"
        color = "firebrick" if was_down else "grey40"
        graph.edge(
            _point(lane, row - 1),
            _point(lane, row),
            arrowhead="none",
            style=style,
            color=color,
            weight="100",
        )


def _message_name(message: Message) -> str:
    """The name an arrow shows: the body's class for an envelope, else the message's class."""
    if isinstance(message, KafkaRequest | KafkaResponse):
        return type(message.body).__name__
    return type(message).__name__


def _draw_messages(graph: graphviz.Digraph, layout: _Layout) -> None:
    """One arrow per delivery and one barred arrow per drop."""
    for row, event in enumerate(layout.rows):
        match event:
            case Delivered(sender=sender, receiver=receiver, sequence=sequence, message=message):
                start = layout.sent_row.get(sequence, -1)
                graph.edge(
                    _point(layout.lanes[sender], start),
                    _point(layout.lanes[receiver], row),
                    id=f"delivery-{sequence}",
                    # An external label does not bend a long arrow as a layout label would.
                    xlabel=f"#{sequence} {_message_name(message)}",
                    constraint="false",
                    color="navy",
                )
            case Dropped(sender=sender, receiver=receiver, sequence=sequence, reason=reason):
                start = layout.sent_row.get(sequence, -1)
                graph.edge(
                    _point(layout.lanes[sender], start),
                    _point(layout.lanes[receiver], row),
                    id=f"drop-{sequence}",
                    xlabel=f"#{sequence} dropped ({reason.value})",
                    constraint="false",
                    color="firebrick",
                    fontcolor="firebrick",
                    style="dashed",
                    arrowhead="tee",
                )
            case _:
                pass
