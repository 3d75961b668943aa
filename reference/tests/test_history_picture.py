"""The history picture: which colour each offset gets, how long rows fold, and that it renders."""

from __future__ import annotations

import pathlib

import pytest
from glasskafka.errors import GlassKafkaError
from glasskafka.history import check_history, parse_history
from glasskafka.history.offset_view import OffsetStatus, PartitionView, failing_partitions
from glasskafka.viz.history import COLOURS, history_picture, write_picture
from tests.test_history_examples import EXAMPLES, Book

from model_tests.support import require_tool

S = OffsetStatus


def views(name: str) -> list[PartitionView]:
    history = parse_history(EXAMPLES[name][0].text())
    return failing_partitions(history, check_history(history))


@pytest.mark.parametrize(
    ("name", "cells"),
    [
        ("lost-write", ((0, S.ACKED_AND_SEEN), (1, S.ACKED_NEVER_SEEN), (2, S.ACKED_AND_SEEN))),
        ("inconsistent-offsets", ((0, S.REUSED),)),
        ("duplicate", ((0, S.WRITTEN_TWICE), (1, S.WRITTEN_TWICE))),
        ("G1a", ((0, S.FAILED_BUT_SEEN),)),
        ("group-undelivered", ((0, S.ACKED_AND_SEEN), (1, S.GROUP_SKIPPED))),
        ("group-redelivered", ((0, S.GROUP_PROCESSED_TWICE),)),
        ("int-poll-skip", ((0, S.ACKED_AND_SEEN), (1, S.ACKED_AND_SEEN), (2, S.ACKED_AND_SEEN))),
    ],
)
def test_each_offset_is_coloured_by_what_happened(
    name: str, cells: tuple[tuple[int, OffsetStatus], ...]
) -> None:
    (view,) = views(name)
    assert view.partition == ("t", 0)
    assert view.cells == cells


def test_only_failing_partitions_are_drawn() -> None:
    assert views("good") == []
    assert views("poll-skip while subscribed") == []  # allowed cases fail nothing
    assert views("G1c-process") == []  # a cycle names operations, not a partition
    history = parse_history(EXAMPLES["good"][0].text())
    assert (
        "no partition has a fatal anomaly"
        in history_picture(history, check_history(history)).source
    )


def test_the_row_names_the_partition_and_kinds_and_the_legend_the_colours() -> None:
    history = parse_history(EXAMPLES["lost-write"][0].text())
    source = history_picture(history, check_history(history)).source
    assert "t-0: lost-write, unseen" in source
    assert f'BGCOLOR="{COLOURS[S.ACKED_NEVER_SEEN]}"' in source
    assert "acknowledged, never seen" in source
    assert "offset reused" not in source  # the legend shows only colours in use


def test_a_long_row_folds_around_its_bad_cells() -> None:
    book = Book()
    for offset in range(1000):
        book.send(0, f"v{offset}", offset=offset * 1_000_000_000_000)  # huge, sparse offsets
    book.assign(1, 0).poll(
        1, *((0, o * 1_000_000_000_000, f"v{o}") for o in range(1000) if o != 500)
    )
    history = parse_history(book.text())
    report = check_history(history)
    source = history_picture(history, report, max_cells=40).source
    assert ">... 499<" in source and ">... 498<" in source  # the cells before and after
    for offset in (499, 500, 501):
        assert f">{offset * 1_000_000_000_000}<" in source
    assert source.count("<TD BGCOLOR=") < 10


def test_write_picture_refuses_what_it_cannot_write(tmp_path: pathlib.Path) -> None:
    history = parse_history(EXAMPLES["unseen"][0].text())
    graph = history_picture(history, check_history(history))
    with pytest.raises(GlassKafkaError, match=r"suffix must be one of \.svg, \.png, \.dot"):
        write_picture(graph, tmp_path / "x.jpg")
    with pytest.raises(GlassKafkaError, match="cannot write picture"):
        write_picture(graph, tmp_path / "missing" / "x.dot")
    write_picture(graph, tmp_path / "x.dot")
    assert (tmp_path / "x.dot").read_text(encoding="utf-8") == graph.source


def test_the_picture_renders(tmp_path: pathlib.Path) -> None:
    require_tool("dot")
    history = parse_history(EXAMPLES["duplicate"][0].text())
    write_picture(history_picture(history, check_history(history)), tmp_path / "x.svg")
    svg = (tmp_path / "x.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "t&#45;0: duplicate" in svg


def test_a_partition_with_no_offsets_still_renders(tmp_path: pathlib.Path) -> None:
    # group-double-owner's anomaly lies in the assignments: no offset was written or read, and
    # Graphviz refuses an empty table row.
    require_tool("dot")
    history = parse_history(EXAMPLES["group-double-owner"][0].text())
    graph = history_picture(history, check_history(history))
    assert "<TR></TR>" not in graph.source and "no offset written or read" in graph.source
    write_picture(graph, tmp_path / "x.svg")
    assert "<svg" in (tmp_path / "x.svg").read_text(encoding="utf-8")
