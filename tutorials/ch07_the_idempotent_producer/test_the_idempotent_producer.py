"""Chapter 7's scripts run, print what the chapter says they print, and the picture is current.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch07_the_idempotent_producer.<name>``).  Every listing in ``chapter.md``
that follows a ``% output: <name>`` line must appear in that script's output, its lines in the
listing's order, so the text cannot drift from the code.  The ``{graphviz}`` file the chapter
shows must be exactly what ``draw_sequence`` prints -- drawn from a real simulator run, with each
arrow named by the message inside its envelope -- and must render.

Spec IDs: IDEM-1 and IDEM-3 are the chapter's subject; the claims test reads them off the logs
the scripts print.

Simplified from Kafka: Kafka's documentation shows no runnable idempotence example to compare
against.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from tutorials.listings import Chapter

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent)
SCRIPTS = ["lost_response", "sequence_checks", "new_session"]


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return {name: CHAPTER.run(name).stdout for name in SCRIPTS}


def test_the_chapter_shows_every_script(outputs: dict[str, str]) -> None:
    assert {name for name, _ in CHAPTER.listings()} == set(SCRIPTS)


def test_every_listing_is_what_its_script_prints(outputs: dict[str, str]) -> None:
    CHAPTER.check_listings(outputs)


def _log(story: str) -> list[str]:
    return story.split("the log of payments-0:\n", 1)[1].strip().splitlines()


def test_the_outputs_tell_the_chapters_story(outputs: dict[str, str]) -> None:
    """The claims the prose makes, read off the scripts' output."""
    without, with_idempotence = outputs["lost_response"].split("\n\n")[:2]
    # Without idempotence the retry is a second copy, and the producer is told its offset.
    assert [line.split()[2] for line in _log(without)] == ["r0", "r0"]
    assert "stored at offset 1" in without
    assert without.count("ProduceResponse: offset 0, NONE  => LOST") == 1
    # With it, the retry is answered with the original offset and nothing is appended (IDEM-3).
    assert len(_log(with_idempotence)) == 1
    assert "stored at offset 0" in with_idempotence
    assert with_idempotence.count("ProduceRequest r0 (producer id 0, epoch 0, sequence 0)") >= 2
    # The broker's answers, one rule per row.
    checks = outputs["sequence_checks"]
    assert "r2 again (a retry)" in checks and "already at offset 2: NONE, offset 2" in checks
    assert checks.count("OUT_OF_ORDER_SEQUENCE_NUMBER (45)") == 2
    assert checks.count("INVALID_PRODUCER_EPOCH (47)") == 1
    # A new session is a new producer id, and its resend is a second copy (IDEM-1 still holds).
    sessions = _log(outputs["new_session"])
    assert [line.split()[5].rstrip(",") for line in sessions] == ["0", "1"]


def test_the_picture_is_what_draw_sequence_prints() -> None:
    assert CHAPTER.pictures() == ["lost_response"]
    kept = CHAPTER.check_picture("lost_response", script="draw_sequence")
    # Arrows are named by the body inside the envelope, and the lost answer is drawn.
    assert "ProduceRequest" in kept and "KafkaRequest" not in kept
    assert re.search(r'xlabel="#\d+ dropped \(in flight when the connection broke\)"', kept)


def test_the_picture_renders() -> None:
    CHAPTER.render("lost_response")
