"""Chapter 8's scripts run, print what the chapter says they print, and the pictures are current.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch08_consumer_groups_and_rebalancing.<name>``).  Every listing in
``chapter.md`` that follows a ``% output: <name>`` line must appear in that script's output, its
lines in the listing's order, so the text cannot drift from the code.  Every ``{graphviz}`` file
the chapter shows must be exactly what ``draw_pictures`` prints for it -- drawn from a real
simulator run -- and must render.  The lab's own helpers are checked directly as well: the
transitions it reports follow the coordinator's table, and the history it writes parses.

Spec IDs: GROUP-4 (the reported transitions are legal), DELIV-19 (the runs' histories are valid).

Simplified from Kafka: Kafka's documentation shows no runnable group examples to compare against.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from glasskafka.group import is_valid_transition
from glasskafka.history import Verdict, check_history, read_history

from tutorials.ch08_consumer_groups_and_rebalancing.second_consumer import second_join
from tutorials.listings import Chapter

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent)
SCRIPTS = ["two_models", "second_consumer", "consumer_dies", "slow_poller"]


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return {name: CHAPTER.run(name).stdout for name in SCRIPTS}


def test_the_chapter_shows_every_script(outputs: dict[str, str]) -> None:
    assert {name for name, _ in CHAPTER.listings()} == set(SCRIPTS)


def test_every_listing_is_what_its_script_prints(outputs: dict[str, str]) -> None:
    CHAPTER.check_listings(outputs)


def number(pattern: str, text: str) -> int:
    """The integer the first group of ``pattern`` matches in ``text`` (the test fails if none)."""
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in the output"
    return int(found[1])


def test_the_outputs_tell_the_chapters_story(outputs: dict[str, str]) -> None:
    """The claims the prose makes, read off the scripts' output."""
    assert "records processed by both members: 0; by the group: 6 of 6" in outputs["two_models"]
    joined = outputs["second_consumer"]
    assert "error MEMBER_ID_REQUIRED" in joined and "error REBALANCE_IN_PROGRESS" in joined
    assert "now: Stable, generation 2, 2 members" in joined
    died = outputs["consumer_dies"]
    last = number(r"last heartbeat reached the coordinator at (\d+) ms", died)
    expired = number(r"(\d+) ms  broker \d  group billing: Stable -> Prep", died)
    assert expired == last + 6000  # session.timeout.ms after the last heartbeat
    assert "history checker: valid" in died
    slow = outputs["slow_poller"]
    assert "c2 -> broker-2      LeaveGroup" in slow
    assert "c2's commit_sync(): commit of 1 offset(s) failed: REBALANCE_IN_PROGRESS" in slow


def test_the_lab_reports_legal_transitions_and_a_valid_history(tmp_path: pathlib.Path) -> None:
    run_ = second_join()
    transitions = run_.lab.transitions
    assert len(transitions) == 6
    assert all(is_valid_transition(t.source, t.target) for t in transitions), "GROUP-4"
    path = tmp_path / "second.jsonl"
    lines = run_.lab.recording.write(path)
    history = read_history(path)
    assert len(history.operations) == lines > 0
    assert check_history(history).verdict is Verdict.VALID


def test_every_picture_is_what_draw_pictures_prints() -> None:
    CHAPTER.check_every_picture(script="draw_pictures")


def test_the_pictures_render() -> None:
    for name in CHAPTER.pictures():
        CHAPTER.render(name)


@pytest.mark.parametrize("args", [[], ["nonsense"], ["group_states", "extra"], ["--LIST"]])
def test_draw_pictures_refuses_a_bad_figure_name(args: list[str]) -> None:
    result = CHAPTER.run("draw_pictures", *args, status=2)
    assert result.stdout == ""
    assert "usage: draw_pictures FIGURE (one of: group_states" in result.stderr
