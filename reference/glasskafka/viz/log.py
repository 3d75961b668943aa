"""A picture of one partition log: its segments, their index entries, and its offsets.

Theory of operation
-------------------
The course draws a partition directory as a row of segment files, each named by its base offset,
with a sparse index beside each one pointing into it.  :func:`log_picture` draws exactly that
from a live :class:`~glasskafka.log.PartitionLog`:

* one box per segment, headed by its ``.log`` file name, with one row per batch
  (``offsets 12-15 @ 396``: the batch's offsets and its byte position in the file);
* under each segment, its ``.index`` entries (``+15 -> 396``: relative offset, position), each
  with a dashed arrow to the batch it points at.  An entry must name the last offset of that
  batch; one that does not (bug flag ``index_entry_off_by_one``) gets a red arrow;
* markers for the log start offset (the first readable offset), the log end offset (where the
  next batch goes) and, if given, the high watermark.

Only batch headers are read, never the records.  The result is a ``graphviz.Digraph``: its
``source`` is DOT text (no Graphviz needed), and ``pipe`` or ``render`` turn it into a picture
(those need the ``dot`` program).

Spec IDs: LOG-3 (what the dashed arrows show).

Simplified from Kafka: Kafka has no pictures; this follows the course's figure of a partition
directory ("log-segment").
"""

from __future__ import annotations

import html
from typing import Any

import graphviz

from glasskafka.log import LOG_SUFFIX, LogSegment, PartitionLog, segment_file

__all__ = ["log_picture"]

_FONT = "Helvetica"


def log_picture(
    log: PartitionLog, *, high_watermark: int | None = None, max_batches: int = 8
) -> Any:
    """A ``graphviz.Digraph`` of ``log``'s segments, index entries and offsets.

    At most ``max_batches`` batch rows are drawn per segment (the rest are summarised).
    """
    graph = graphviz.Digraph(name=f"{log.topic}-{log.partition}")
    graph.attr(rankdir="TB", fontname=_FONT, label=f"partition {log.topic}-{log.partition}")
    graph.attr("node", fontname=_FONT, fontsize="10", shape="plaintext")
    graph.attr("edge", fontname=_FONT, fontsize="9")
    with graph.subgraph(name="segments") as row:
        row.attr(rank="same")
        for number, segment in enumerate(log.segments):
            row.node(f"segment{number}", label=_segment_label(segment, max_batches))
    for number in range(1, len(log.segments)):
        graph.edge(f"segment{number - 1}", f"segment{number}", style="invis")
    for number, segment in enumerate(log.segments):
        _draw_index(graph, number, segment, max_batches)
    markers = [("log start offset", log.log_start_offset, "darkgreen")]
    markers.append(("log end offset", log.log_end_offset, "firebrick"))
    if high_watermark is not None:
        markers.append(("high watermark", high_watermark, "royalblue"))
    for name, offset, color in markers:
        _draw_offset(graph, log, name, offset, color, max_batches)
    return graph


def _headers(segment: LogSegment, max_batches: int) -> tuple[list[tuple[int, int, int]], int]:
    """``(position, base, last)`` of the first ``max_batches`` batches, and how many follow."""
    shown: list[tuple[int, int, int]] = []
    more = 0
    for position, header in segment.batches_from(0):
        if len(shown) < max_batches:
            shown.append((position, header.base_offset, header.last_offset))
        else:
            more += 1
    return shown, more


def _segment_label(segment: LogSegment, max_batches: int) -> str:
    name = segment_file("", segment.base_offset, LOG_SUFFIX).lstrip("/")
    rows = [
        f'<TR><TD BGCOLOR="lightgrey"><B>{html.escape(name)}</B></TD></TR>',
        f"<TR><TD>base offset {segment.base_offset}, {segment.size} bytes</TD></TR>",
    ]
    shown, more = _headers(segment, max_batches)
    for position, base, last in shown:
        offsets = f"{base}" if base == last else f"{base}-{last}"
        rows.append(
            f'<TR><TD PORT="p{position}" ALIGN="LEFT">offsets {offsets} @ {position}</TD></TR>'
        )
    if more:
        rows.append(f"<TR><TD>... {more} more batches</TD></TR>")
    if not shown:
        rows.append("<TR><TD>(empty)</TD></TR>")
    rows.append(f'<TR><TD PORT="end">next offset {segment.next_offset}</TD></TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">{"".join(rows)}</TABLE>>'


def _draw_index(graph: Any, number: int, segment: LogSegment, max_batches: int) -> None:
    index = segment.offset_index
    if index.entries == 0:
        return
    shown, _ = _headers(segment, max_batches)
    last_offset_at = {position: last for position, _, last in shown}
    rows = ['<TR><TD BGCOLOR="lightyellow"><B>.index</B></TD></TR>']
    for entry in range(min(index.entries, max_batches)):
        relative, position = index.relative_offsets[entry], index.positions[entry]
        rows.append(f'<TR><TD PORT="e{entry}">+{relative} -&gt; {position}</TD></TR>')
    label = f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">{"".join(rows)}</TABLE>>'
    graph.node(f"index{number}", label=label)
    graph.edge(f"segment{number}", f"index{number}", style="invis")
    for entry in range(min(index.entries, max_batches)):
        offset, position = index.entry(entry)
        if position not in last_offset_at:
            graph.edge(f"index{number}:e{entry}", f"segment{number}:end", color="red")
        elif last_offset_at[position] != offset:
            # Kafka's index entry names the last offset of the batch it points at; an entry
            # that does not (DumpLogSegments calls it a mismatch) is drawn red.
            target = f"segment{number}:p{position}"
            graph.edge(f"index{number}:e{entry}", target, color="red", constraint="false")
        else:
            target = f"segment{number}:p{position}"
            graph.edge(f"index{number}:e{entry}", target, style="dashed", constraint="false")


def _draw_offset(
    graph: Any, log: PartitionLog, name: str, offset: int, color: str, max_batches: int
) -> None:
    """A marker node for ``offset``, pointing at the segment (and batch) where it falls."""
    node = name.replace(" ", "_")
    graph.node(node, label=f"{name} = {offset}", shape="box", color=color, fontcolor=color)
    number = next(
        (n for n, segment in enumerate(log.segments) if offset < segment.next_offset),
        len(log.segments) - 1,
    )
    segment = log.segments[number]
    found = segment.find_batch(offset) if offset < segment.next_offset else None
    shown = {position for position, _, _ in _headers(segment, max_batches)[0]}
    port = f"p{found[0]}" if found is not None and found[0] in shown else "end"
    graph.edge(node, f"segment{number}:{port}", color=color)
