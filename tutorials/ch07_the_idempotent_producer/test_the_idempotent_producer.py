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
import subprocess
import sys

import pytest

from model_tests.support import require_tool

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAPTER = pathlib.Path(__file__).resolve().parent
PACKAGE = "tutorials.ch07_the_idempotent_producer"
SCRIPTS = ["lost_response", "sequence_checks", "new_session"]


def run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.{name}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def chapter() -> str:
    return (CHAPTER / "chapter.md").read_text(encoding="utf-8")


def listings() -> list[tuple[str, list[str]]]:
    """``(script, lines)`` for each listing the chapter marks with ``% output: <script>``."""
    found = re.findall(r"^% output: (\w+)\n```text\n(.*?)\n```", chapter(), flags=re.M | re.S)
    return [(name, block.split("\n")) for name, block in found]


def in_order(lines: list[str], output: list[str]) -> bool:
    """Whether ``lines`` appear in ``output`` in the same order (others may come between)."""
    position = 0
    for line in lines:
        try:
            position = output.index(line, position) + 1
        except ValueError:
            return False
    return True


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return {name: run(name).stdout for name in SCRIPTS}


def test_the_chapter_shows_every_script(outputs: dict[str, str]) -> None:
    assert {name for name, _ in listings()} == set(SCRIPTS)


def test_every_listing_is_what_its_script_prints(outputs: dict[str, str]) -> None:
    for script, lines in listings():
        output = outputs[script].splitlines()
        assert in_order(lines, output), f"not in {script}'s output, in order:\n" + "\n".join(lines)


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


def pictures() -> list[str]:
    return re.findall(r"^```\{graphviz\} (\S+)\.dot\n```", chapter(), flags=re.M)


def test_the_picture_is_what_draw_sequence_prints() -> None:
    assert pictures() == ["lost_response"]
    kept = (CHAPTER / "lost_response.dot").read_text(encoding="utf-8")
    assert run("draw_sequence").stdout == kept, "lost_response.dot is out of date"
    # Arrows are named by the body inside the envelope, and the lost answer is drawn.
    assert "ProduceRequest" in kept and "KafkaRequest" not in kept
    assert re.search(r'xlabel="#\d+ dropped \(in flight when the connection broke\)"', kept)


def test_the_picture_renders() -> None:
    dot = require_tool("dot")
    result = subprocess.run(
        [dot, "-Tsvg", str(CHAPTER / "lost_response.dot")], capture_output=True, timeout=60
    )
    assert result.returncode == 0 and b"<svg" in result.stdout, result.stderr
