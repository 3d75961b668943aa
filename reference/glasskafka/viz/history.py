"""A picture of where a history went wrong: each failing partition's offsets as a coloured row.

Theory of operation
-------------------
Jepsen's Kafka checker draws, for every key with ``inconsistent-offsets``, ``duplicate``,
``lost-write`` or ``unseen``, how each operation saw that key's log
(``render-order-viz!`` in ``jepsen/src/jepsen/tests/kafka.clj``).  This is the classroom version:
one row per partition that a fatal anomaly names, one cell per offset anyone saw, coloured by
what happened there (``glasskafka.history.offset_view`` decides; this module only draws):

* green, acknowledged and seen; grey, seen but never acknowledged (an ``unknown`` send, or a
  writer the history did not record);
* red, acknowledged and never seen (lost-write, unseen); dark red, read though its send failed
  (G1a); orange, the record also sits at another offset (duplicate); purple, two records at one
  offset (inconsistent-offsets);
* yellow, below a group's commit but never processed by it (group-undelivered); blue, processed
  twice by an at-most-once group (group-redelivered).

A long row keeps every coloured-as-wrong cell with one neighbour on each side and folds each run
of other cells into one ``...`` cell that says how many it hides, so a history with offsets in the
millions still draws a readable picture.  :func:`history_picture` returns a
``graphviz.Digraph`` (its ``source`` is DOT text, no Graphviz needed); :func:`write_picture`
writes ``.dot`` text or renders ``.svg`` / ``.png`` with Graphviz's ``dot``.

Spec IDs: shows DELIV-1, 2, 3, 5, 19 and 20 per offset.

Simplified from Kafka: Kafka has no pictures; Jepsen's draws one row per operation, this one
row per partition, which fits a slide.
"""

from __future__ import annotations

import pathlib
from typing import Any

import graphviz

from glasskafka.errors import GlassKafkaError
from glasskafka.history.checker import Report
from glasskafka.history.model import History
from glasskafka.history.offset_view import OffsetStatus, PartitionView, failing_partitions
from glasskafka.viz.render import html_text

__all__ = ["COLOURS", "PICTURE_SUFFIXES", "history_picture", "write_picture"]

COLOURS: dict[OffsetStatus, str] = {
    OffsetStatus.REUSED: "#b07cd8",
    OffsetStatus.FAILED_BUT_SEEN: "#a93226",
    OffsetStatus.ACKED_NEVER_SEEN: "#f1948a",
    OffsetStatus.WRITTEN_TWICE: "#f5b041",
    OffsetStatus.GROUP_SKIPPED: "#f7dc6f",
    OffsetStatus.GROUP_PROCESSED_TWICE: "#85c1e9",
    OffsetStatus.ACKED_AND_SEEN: "#82e0aa",
    OffsetStatus.SEEN: "#d5d8dc",
}
"""The fill colour of each status (light enough that the offset printed on it stays legible)."""

PICTURE_SUFFIXES = (".svg", ".png", ".dot")
"""The picture formats :func:`write_picture` writes, by file suffix."""

_FONT = "Helvetica"
_GOOD = frozenset({OffsetStatus.ACKED_AND_SEEN, OffsetStatus.SEEN})


def history_picture(history: History, report: Report, *, max_cells: int = 40) -> Any:
    """A ``graphviz.Digraph`` of every partition that a fatal case of ``report`` names.

    Rows longer than ``max_cells`` are folded around their bad cells (see the module docstring).
    """
    graph = graphviz.Digraph(name="history")
    title = f"history: {report.verdict.value}"
    graph.attr(rankdir="TB", fontname=_FONT, labelloc="t", label=title)
    graph.attr("node", fontname=_FONT, fontsize="10", shape="plaintext")
    views = failing_partitions(history, report)
    if not views:
        graph.node("none", label="no partition has a fatal anomaly")
        return graph
    used: set[OffsetStatus] = set()
    for number, view in enumerate(views):
        graph.node(f"partition{number}", label=_row_label(view, max_cells))
        used.update(status for _, status in view.cells)
        if number:
            graph.edge(f"partition{number - 1}", f"partition{number}", style="invis")
    graph.node("legend", label=_legend_label(used))
    graph.edge(f"partition{len(views) - 1}", "legend", style="invis")
    return graph


def _folded(view: PartitionView, max_cells: int) -> list[tuple[str, OffsetStatus | None]]:
    """The cells to draw: ``(text, status)``, with ``None`` for a fold of hidden cells."""
    cells = view.cells
    if len(cells) <= max_cells:
        return [(str(offset), status) for offset, status in cells]
    keep = set()
    for index, (_, status) in enumerate(cells):
        if status not in _GOOD:
            keep.update({index - 1, index, index + 1})
    shown: list[tuple[str, OffsetStatus | None]] = []
    hidden = 0
    for index, (offset, status) in enumerate(cells):
        if index in keep and len(shown) < max_cells:
            if hidden:
                shown.append((f"... {hidden}", None))
                hidden = 0
            shown.append((str(offset), status))
        else:
            hidden += 1
    if hidden:
        shown.append((f"... {hidden}", None))
    return shown


def _row_label(view: PartitionView, max_cells: int) -> str:
    topic, partition = view.partition
    kinds = ", ".join(kind.value for kind in view.kinds)
    cells = []
    for text, status in _folded(view, max_cells):
        colour = "white" if status is None else COLOURS[status]
        tip = "offsets not drawn" if status is None else status.value
        cells.append(f'<TD BGCOLOR="{colour}" TITLE="{html_text(tip)}">{html_text(text)}</TD>')
    if not cells:
        # No offset of the partition was written or read (the anomaly lies in the group's
        # assignments); Graphviz refuses an empty table row, so say so in one cell.
        cells.append('<TD BGCOLOR="white">no offset written or read</TD>')
    heading = html_text(f"{topic}-{partition}: {kinds}")
    # The row sits in a table of its own, so a long heading cannot stretch its first cells.
    row = (
        '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
        f"<TR>{''.join(cells)}</TR></TABLE>"
    )
    return (
        '<<TABLE BORDER="0" CELLSPACING="0">'
        f'<TR><TD ALIGN="LEFT"><B>{heading}</B></TD></TR>'
        f'<TR><TD ALIGN="LEFT">{row}</TD></TR></TABLE>>'
    )


def _legend_label(used: set[OffsetStatus]) -> str:
    rows = [
        f'<TR><TD BGCOLOR="{COLOURS[status]}">   </TD>'
        f'<TD ALIGN="LEFT">{html_text(status.value)}</TD></TR>'
        for status in OffsetStatus
        if status in used
    ] or ['<TR><TD ALIGN="LEFT">no offsets drawn</TD></TR>']
    return f'<<TABLE BORDER="0" CELLSPACING="2">{"".join(rows)}</TABLE>>'


def write_picture(graph: Any, path: str | pathlib.Path) -> None:
    """Write ``graph`` to ``path``: DOT text for ``.dot``, rendered by ``dot`` otherwise.

    Raises :class:`~glasskafka.errors.GlassKafkaError` for another suffix, a missing ``dot``
    program, or a file that cannot be written.
    """
    target = pathlib.Path(path)
    suffix = target.suffix.lower()
    if suffix not in PICTURE_SUFFIXES:
        allowed = ", ".join(PICTURE_SUFFIXES)
        raise GlassKafkaError(f"picture {str(target)!r}: the suffix must be one of {allowed}")
    try:
        if suffix == ".dot":
            target.write_text(graph.source, encoding="utf-8")
        else:
            target.write_bytes(graph.pipe(format=suffix[1:]))
    except graphviz.ExecutableNotFound:
        raise GlassKafkaError(
            f"picture {str(target)!r}: Graphviz's dot program is needed for {suffix} pictures"
            " (Debian: apt-get install graphviz); a .dot file needs nothing"
        ) from None
    except OSError as error:
        raise GlassKafkaError(f"cannot write picture {str(target)!r}: {error.strerror}") from None
