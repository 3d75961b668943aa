"""Chapter 5's scripts run, print what the chapter says they print, and the pictures are current.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch05_leader_election.<name>``).  Every listing in ``chapter.md``
that follows a ``% output: <name>`` line must appear in that script's output, its lines in the
listing's order, so the text cannot drift from the code.  Every ``{graphviz}`` file the chapter
shows must be exactly what ``draw_pictures`` prints for it -- drawn from a real simulator run --
and must render.

Spec IDs: none checked here directly; the scripts report the invariants the bench checked
(REPL-7, REPL-10, REPL-11 and, for the unclean election, REPL-4, 5, 6 are the chapter's
subjects).

Simplified from Kafka: Kafka's documentation shows no runnable replication examples to compare
against.
"""

from __future__ import annotations

import pathlib

import pytest

from tutorials.listings import Chapter

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent)
SCRIPTS = ["failover", "unclean_election"]


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return {name: CHAPTER.run(name).stdout for name in SCRIPTS}


def test_the_chapter_shows_every_script(outputs: dict[str, str]) -> None:
    assert {name for name, _ in CHAPTER.listings()} == set(SCRIPTS)


def test_every_listing_is_what_its_script_prints(outputs: dict[str, str]) -> None:
    CHAPTER.check_listings(outputs)


def test_the_outputs_tell_the_chapters_story(outputs: dict[str, str]) -> None:
    """The claims the prose makes, read off the scripts' output."""
    failover = outputs["failover"]
    assert '"isr":[2,3],"leader":2,"leader_epoch":1' in failover
    assert "Leader: 2  Replicas: 1,2,3  Isr: 2,3" in failover
    assert failover.rstrip().endswith("invariants broken: none")
    unclean, safe = outputs["unclean_election"].split("== defaults ==")
    for spec_id in ("REPL-4", "REPL-5", "REPL-6"):
        assert spec_id in unclean.split("invariants broken:")[1]
    assert "m2: acknowledged (acks=all) at offset 1" in unclean
    assert "m3: acknowledged (acks=all) at offset 1" in unclean
    assert "ZooKeeper: leader none, leader epoch 1, ISR 1" in safe
    assert "invariants broken: none" in safe


def test_every_picture_is_what_draw_pictures_prints() -> None:
    CHAPTER.check_every_picture(script="draw_pictures")


def test_the_pictures_render() -> None:
    for name in CHAPTER.pictures():
        CHAPTER.render(name)


@pytest.mark.parametrize("args", [[], ["nonsense"], ["election", "extra"]])
def test_draw_pictures_refuses_a_bad_figure_name(args: list[str]) -> None:
    result = CHAPTER.run("draw_pictures", *args, status=2)
    assert result.stdout == "" and "usage: draw_pictures FIGURE (one of: election" in result.stderr
