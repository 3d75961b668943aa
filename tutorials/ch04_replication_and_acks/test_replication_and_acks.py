"""Chapter 4's scripts run, print what the chapter says they print, and the pictures are current.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch04_replication_and_acks.<name>``).  Every listing in ``chapter.md``
that follows a ``% output: <name>`` line must appear in that script's output, its lines in the
listing's order, so the text cannot drift from the code.  Every ``{graphviz}`` file the chapter
shows must be exactly what ``draw_pictures`` prints for it -- drawn from a real simulator run --
and must render.

Spec IDs: none checked here directly; the scripts report the invariants the bench checked
(REPL-5, REPL-6, REPL-16 are the chapter's subjects).

Simplified from Kafka: Kafka's documentation shows no runnable replication examples to compare
against.
"""

from __future__ import annotations

import pathlib

import pytest

from tutorials.listings import Chapter

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent)
SCRIPTS = ["losing_a_broker", "not_enough_replicas", "high_watermark"]


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return {name: CHAPTER.run(name).stdout for name in SCRIPTS}


def test_the_chapter_shows_every_script(outputs: dict[str, str]) -> None:
    assert {name for name, _ in CHAPTER.listings()} == set(SCRIPTS)


def test_every_listing_is_what_its_script_prints(outputs: dict[str, str]) -> None:
    CHAPTER.check_listings(outputs)


def test_the_outputs_tell_the_chapters_story(outputs: dict[str, str]) -> None:
    """The claims the prose makes, read off the scripts' output."""
    stories = outputs["losing_a_broker"].split("\n\n")
    assert "m2: acknowledged (acks=1) at offset 1" in stories[0]
    assert "  broker 2  leader   log m1/0             HW 1" in stories[0]
    assert "m2: error NETWORK_EXCEPTION" in stories[1]
    assert "m2: acknowledged (acks=all) at offset 1" in stories[2]
    for output in outputs.values():
        assert output.count("invariants broken: none") == output.count("invariants broken:")
    refused = outputs["not_enough_replicas"]
    assert "m1: error NOT_ENOUGH_REPLICAS_AFTER_APPEND" in refused
    assert "m2: error NOT_ENOUGH_REPLICAS" in refused
    assert "consumer has read: m1@0\n" in outputs["high_watermark"]


def test_every_picture_is_what_draw_pictures_prints() -> None:
    CHAPTER.check_every_picture(script="draw_pictures")


def test_the_pictures_render() -> None:
    for name in CHAPTER.pictures():
        CHAPTER.render(name)


@pytest.mark.parametrize("args", [[], ["nonsense"], ["acks_1_loss", "extra"]])
def test_draw_pictures_refuses_a_bad_figure_name(args: list[str]) -> None:
    result = CHAPTER.run("draw_pictures", *args, status=2)
    assert (
        result.stdout == "" and "usage: draw_pictures FIGURE (one of: acks_1_loss" in result.stderr
    )
