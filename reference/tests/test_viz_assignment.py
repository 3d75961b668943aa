"""The assignment pictures: what their DOT says, that Graphviz draws them, and odd names are safe.

The DOT text is read as text (one arrow per assigned partition, consumer labels with counts,
``moved`` marks, dashed unassigned partitions), then rendered with Graphviz's ``dot``.  Names
with quotes, backslashes, newlines and markup must still give a valid picture.

Spec IDs: none checked here; the pictures illustrate ASSIGN-1 .. ASSIGN-3.

Simplified from Kafka: Kafka draws no pictures, so there is nothing to compare against; the tests
check the picture's content and that Graphviz accepts it.
"""

from __future__ import annotations

import re

import pytest
from glasskafka.assignors import AssignmentStrategy, Subscription, assign, partition_counts
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import MemberId
from glasskafka.viz.assignment import (
    PALETTE,
    assignment_dot,
    moved_partitions,
    rebalance_dot,
    render,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from model_tests.support import require_tool

COUNTS = {"orders": 3, "payments": 2}
BEFORE = {
    "c1": [("orders", 0), ("orders", 1), ("payments", 0)],
    "c2": [("orders", 2), ("payments", 1)],
}
AFTER = {
    "c1": [("orders", 0), ("orders", 1)],
    "c2": [("orders", 2), ("payments", 1)],
    "c3": [("payments", 0)],
}

ARROW = re.compile(r"^\s*(\w+) -> (\w+) \[([^\]]*)\];$", re.MULTILINE)


def label(dot: str, node: str) -> str:
    match = re.search(rf"^\s*{node} \[label=\"((?:[^\"\\]|\\.)*)\"", dot, flags=re.MULTILINE)
    assert match, f"no node {node} in:\n{dot}"
    return match.group(1)


def test_one_arrow_per_assigned_partition_to_its_consumer() -> None:
    dot = assignment_dot(COUNTS, BEFORE, title="two consumers")
    arrows = [(a, b) for a, b, style in ARROW.findall(dot) if "invis" not in style]
    assert sorted(arrows) == [
        ("at0p0", "ac0"),
        ("at0p1", "ac0"),
        ("at0p2", "ac1"),
        ("at1p0", "ac0"),
        ("at1p1", "ac1"),
    ]
    assert label(dot, "ac0") == "c1\\n3 partitions" and label(dot, "ac1") == "c2\\n2 partitions"
    assert label(dot, "at1p1") == "payments-1"
    assert f'color="{PALETTE[0]}"' in dot and 'label="two consumers"' in dot


def test_an_unassigned_partition_is_dashed_and_has_no_arrow() -> None:
    dot = assignment_dot(COUNTS, {"c1": [("orders", 0)]})
    assert re.search(r"at0p1 \[label=\"orders-1\", shape=box, style=dashed", dot)
    assert not re.search(r"^\s*at0p1 ->", dot, flags=re.MULTILINE)


def test_the_after_panel_marks_moved_partitions() -> None:
    dot = rebalance_dot(COUNTS, BEFORE, AFTER, title="c3 joins")
    moved = [a for a, _, style in ARROW.findall(dot) if 'label="moved"' in style]
    assert moved == ["at1p0"]
    assert moved_partitions(BEFORE, AFTER) == [("payments", 0)]
    assert 'label="before"' in dot and 'label="after"' in dot


def test_a_consumer_keeps_its_colour_across_the_panels() -> None:
    dot = rebalance_dot(COUNTS, BEFORE, AFTER)
    colour = {
        node: re.search(r'color="(#\w+)"', line).group(1)  # type: ignore[union-attr]
        for node, line in re.findall(r"^\s*(\w+c\d) (\[.*)$", dot, flags=re.MULTILINE)
    }
    assert colour["bc0"] == colour["ac0"] and colour["bc1"] == colour["ac1"]


def test_the_same_input_gives_the_same_bytes() -> None:
    assert rebalance_dot(COUNTS, BEFORE, AFTER) == rebalance_dot(
        dict(reversed(COUNTS.items())), dict(reversed(BEFORE.items())), AFTER
    )


def test_a_real_assignment_renders() -> None:
    require_tool("dot")
    counts = partition_counts({"orders": 8})
    members = {MemberId(m): Subscription.of(["orders"]) for m in ("C0", "C1", "C2")}
    result = assign(AssignmentStrategy.RANGE, counts, members)
    svg = render(assignment_dot(counts, result, title="range"))
    assert b"<svg" in svg and b"orders&#45;7" in svg and b"3 partitions" in svg
    png = render(rebalance_dot(counts, result, result), image_format="png")
    assert png.startswith(b"\x89PNG")


names = st.text(min_size=1, max_size=8)


@settings(max_examples=25)
@given(topic=names, member=names)
def test_hostile_names_still_give_a_picture(topic: str, member: str) -> None:
    require_tool("dot")
    dot = rebalance_dot({topic: 2}, {member: [(topic, 0)]}, {member: [(topic, 1)], "other": []})
    assert render(dot).startswith(b"<?xml")


def test_an_unknown_image_format_is_refused() -> None:
    with pytest.raises(GlassKafkaError, match="image format 'gif' is not supported; allowed"):
        render("digraph {}", image_format="gif")


def test_text_that_is_not_dot_is_refused_clearly() -> None:
    require_tool("dot")
    with pytest.raises(GlassKafkaError, match="dot rejected the picture"):
        render("this is not { dot")


def test_partitions_outside_the_metadata_are_not_drawn() -> None:
    dot = assignment_dot({"t": 1}, {"c": [("t", 0), ("t", 5), ("gone", 0)]})
    assert [a for a, _, style in ARROW.findall(dot) if "invis" not in style] == ["at0p0"]
