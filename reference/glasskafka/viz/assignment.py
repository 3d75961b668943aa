"""Pictures of a consumer group's assignment, and of what a rebalance changed.

Theory of operation
-------------------
The course draws an assignment as topics and their partitions on the left, the group's consumers
on the right, and an arrow from each partition to the consumer that reads it.  This file draws
the same picture as Graphviz DOT text:

* :func:`assignment_dot` - one assignment.  Partitions are boxes grouped in a frame per topic;
  consumers are ovals, labelled with how many partitions they read; each consumer has its own
  colour, used for its arrows and its oval, so "who reads what" can be seen at a glance.  A
  partition nobody reads is dashed and grey.
* :func:`rebalance_dot` - two assignments side by side, *before* and *after* a rebalance.  In the
  *after* panel an arrow is drawn thick and labelled ``moved`` when the partition changed owner,
  so range's and round-robin's reshuffles and sticky's few moves are visible; a partition that
  is unassigned because it is being revoked (the first round of a cooperative rebalance) is
  dashed.  :func:`moved_partitions` is the count the picture is about.
* :func:`render` (from ``render.py``) hands DOT text to Graphviz's ``dot`` and returns the
  image bytes.

The DOT is built as text so tests can read it, and the same input always gives the same bytes:
topics, partitions and members are sorted, and node names are positions, not user strings
(labels are escaped), so any topic or member name is safe.

Spec IDs: none maintained; the pictures illustrate ASSIGN-1 (each partition one arrow), ASSIGN-2
(arrow counts) and ASSIGN-3 (few ``moved`` arrows).

Simplified from Kafka: Kafka draws no pictures; ``kafka-consumer-groups --describe`` prints the
same facts as a table (topic, partition, consumer id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from glasskafka.viz.render import render

__all__ = [
    "PALETTE",
    "assignment_dot",
    "moved_partitions",
    "rebalance_dot",
    "render",
]

Partition = tuple[str, int]
Assignment = Mapping[str, Sequence[Partition]]
M = TypeVar("M", bound=str)
T = TypeVar("T", bound=str)

PALETTE = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
)
"""Consumer colours (a colour-blind-safe qualitative palette), reused cyclically."""

_UNASSIGNED = "#9e9e9e"


def _key(text: str) -> bytes:
    # Java's string order, as the assignors sort (glasskafka.assignors.java_order).
    return text.encode("utf-16-be", "surrogatepass")


def _escape(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(c if c.isprintable() else f"\\\\x{ord(c):02x}" for c in escaped)


def _quote(*lines: str) -> str:
    """``lines`` as one DOT double-quoted string: escaped, control characters shown as ``\\xNN``,
    joined by DOT line breaks."""
    return '"' + "\\n".join(_escape(line) for line in lines) + '"'


def _owners(assignment: Assignment) -> dict[Partition, str]:
    return {tp: member for member, tps in assignment.items() for tp in tps}


def moved_partitions(
    before: Mapping[M, Sequence[tuple[str, int]]], after: Mapping[M, Sequence[tuple[str, int]]]
) -> list[Partition]:
    """Partitions that had an owner before and have a different owner after, sorted."""
    old, new = _owners(_plain(before)), _owners(_plain(after))
    moved = [tp for tp, member in new.items() if tp in old and old[tp] != member]
    return sorted(moved, key=lambda tp: (_key(tp[0]), tp[1]))


def _panel(
    prefix: str,
    partitions_per_topic: Mapping[str, int],
    assignment: Assignment,
    members: Sequence[str],
    colour: Mapping[str, str],
    *,
    previous: Assignment | None = None,
) -> list[str]:
    """Statements for one panel; every node is named ``<prefix>...`` by position."""
    owners = _owners(assignment)
    old = _owners(previous) if previous is not None else {}
    lines: list[str] = []
    topics = sorted(partitions_per_topic, key=_key)
    # Emitted last first: with rankdir=LR Graphviz stacks later clusters above earlier ones.
    for t_index, topic in reversed(list(enumerate(topics))):
        lines += [f"subgraph cluster_{prefix}t{t_index} {{", f"  label={_quote(topic)};"]
        lines.append('  style="rounded"; color="#888888"; fontname="Helvetica";')
        for number in range(partitions_per_topic[topic]):
            style = "" if (topic, number) in owners else f', style=dashed, color="{_UNASSIGNED}"'
            label = _quote(f"{topic}-{number}")
            lines.append(f"  {prefix}t{t_index}p{number} [label={label}, shape=box{style}];")
        if partitions_per_topic[topic] > 1:
            # Invisible edges inside one rank keep partitions in number order; with rankdir=LR
            # Graphviz stacks such a chain upwards, so it runs from the last partition.
            chain = " -> ".join(
                f"{prefix}t{t_index}p{n}" for n in reversed(range(partitions_per_topic[topic]))
            )
            lines.append(f"  {{rank=same; {chain} [style=invis];}}")
        lines.append("}")
    for m_index, member in enumerate(members):
        count = len(assignment.get(member, ()))
        label = _quote(member, f"{count} partition{'s' if count != 1 else ''}")
        lines.append(
            f'{prefix}c{m_index} [label={label}, shape=ellipse, color="{colour[member]}", '
            "penwidth=2];"
        )
    if len(members) > 1:
        chain = " -> ".join(f"{prefix}c{i}" for i in reversed(range(len(members))))
        lines.append(f"{{rank=same; {chain} [style=invis];}}")
    topic_index = {t: i for i, t in enumerate(sorted(partitions_per_topic, key=_key))}
    member_index = {m: i for i, m in enumerate(members)}
    for tp, member in sorted(owners.items(), key=lambda item: (_key(item[0][0]), item[0][1])):
        if tp[0] not in topic_index or not 0 <= tp[1] < partitions_per_topic[tp[0]]:
            continue  # a partition the metadata does not know is not drawn
        source = f"{prefix}t{topic_index[tp[0]]}p{tp[1]}"
        moved = previous is not None and tp in old and old[tp] != member
        extra = ', penwidth=3, label="moved", fontcolor="#b2182b"' if moved else ""
        lines.append(
            f'{source} -> {prefix}c{member_index[member]} [color="{colour[member]}"{extra}];'
        )
    return lines


def _header(name: str, title: str) -> list[str]:
    lines = [
        f"digraph {name} {{",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.15, ranksep=1.2];',
        '  node [fontname="Helvetica", fontsize=10, height=0.3];',
        '  edge [arrowsize=0.6, fontname="Helvetica", fontsize=9];',
    ]
    if title:
        lines.append(f"  label={_quote(title)}; labelloc=t;")
    return lines


def _members(*assignments: Assignment) -> list[str]:
    return sorted({member for a in assignments for member in a}, key=_key)


def _colours(members: Sequence[str]) -> dict[str, str]:
    return {member: PALETTE[i % len(PALETTE)] for i, member in enumerate(members)}


def _plain(assignment: Mapping[M, Sequence[tuple[str, int]]]) -> dict[str, list[Partition]]:
    return {str(m): [(str(t), int(p)) for t, p in parts] for m, parts in assignment.items()}


def assignment_dot(
    partitions_per_topic: Mapping[T, int],
    assignment: Mapping[M, Sequence[tuple[str, int]]],
    *,
    title: str = "",
) -> str:
    """DOT text for one assignment: partitions grouped by topic, arrows to their consumers."""
    counts = {str(t): c for t, c in partitions_per_topic.items()}
    plain = _plain(assignment)
    members = _members(plain)
    body = _panel("a", counts, plain, members, _colours(members))
    return "\n".join([*_header("assignment", title), *("  " + line for line in body), "}", ""])


def rebalance_dot(
    partitions_per_topic: Mapping[T, int],
    before: Mapping[M, Sequence[tuple[str, int]]],
    after: Mapping[M, Sequence[tuple[str, int]]],
    *,
    title: str = "",
    captions: tuple[str, str] = ("before", "after"),
) -> str:
    """DOT text for a rebalance: the ``before`` and ``after`` assignments side by side.

    Arrows in the *after* panel whose partition changed owner are thick and labelled ``moved``.
    A member present on one side only is drawn on that side only.
    """
    counts = {str(t): c for t, c in partitions_per_topic.items()}
    old, new = _plain(before), _plain(after)
    lines = _header("rebalance", title)
    colours = _colours(_members(old, new))
    # The "after" panel is emitted first so that Graphviz stacks "before" above it.
    for prefix, caption, assignment, previous in (
        ("a", captions[1], new, old),
        ("b", captions[0], old, None),
    ):
        lines += [f"  subgraph cluster_{prefix} {{", f"    label={_quote(caption)};"]
        lines.append('    style="rounded,filled"; fillcolor="#fafafa"; color="#555555";')
        members = _members(assignment)
        body = _panel(prefix, counts, assignment, members, colours, previous=previous)
        lines += ["    " + line for line in body]
        lines.append("  }")
    return "\n".join([*lines, "}", ""])
