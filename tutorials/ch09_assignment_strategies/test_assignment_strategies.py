"""Chapter 9's scripts run, print what the chapter says they print, and the pictures are current.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch09_assignment_strategies.<name>``).  Every listing in ``chapter.md``
that follows a ``% output: <name>`` line must appear in that script's output, its lines in the
listing's order, so the text cannot drift from the code.  Every ``{graphviz}`` file the chapter
shows must be exactly what ``draw_assignments`` prints for it, and must render.

Spec IDs: none checked here (the model tests check ASSIGN-1 .. ASSIGN-6).

Simplified from Kafka: Kafka's documentation shows no runnable assignment examples to compare
against.
"""

from __future__ import annotations

import pathlib

import pytest

from tutorials.listings import Chapter

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent, timeout_s=120.0)


def test_the_chapter_shows_both_scripts() -> None:
    assert {name for name, _ in CHAPTER.listings()} == {"strategies", "rebalances"}


@pytest.mark.parametrize("name", ["strategies", "rebalances"])
def test_every_listing_is_what_its_script_prints(name: str) -> None:
    CHAPTER.check_listings({name: CHAPTER.printed(name)})


def test_the_outputs_tell_the_chapters_story() -> None:
    """The claims the prose makes, read off the scripts' output."""
    strategies = CHAPTER.run("strategies").stdout
    assert "C0: orders-0, orders-1, payments-0, payments-1  (4)" in strategies
    rebalances = CHAPTER.run("rebalances").stdout
    assert "sticky: 3 partitions changed owner, 0 between stayers" in rebalances
    assert "roundrobin: 5 partitions changed owner, 2 between stayers" in rebalances
    assert "round 1: revoked topic-6, topic-7" in rebalances
    assert rebalances.rstrip().endswith("in all: 2 partitions changed owner, 0 between stayers")


def test_every_picture_is_what_draw_assignments_prints() -> None:
    CHAPTER.check_every_picture(script="draw_assignments")


def test_the_pictures_render() -> None:
    for name in CHAPTER.pictures():
        CHAPTER.render(name)


@pytest.mark.parametrize("args", [[], ["nonsense"], ["range", "extra"]])
def test_draw_assignments_refuses_a_bad_figure_name(args: list[str]) -> None:
    result = CHAPTER.run("draw_assignments", *args, status=2)
    assert result.stdout == "" and "usage: draw_assignments FIGURE (one of: range" in result.stderr
