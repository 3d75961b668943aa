"""Chapter 10's scripts run, print what the chapter says they print, and check their histories.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch10_delivery_semantics.<name> --out DIR``).  Every listing in
``chapter.md`` that follows a ``% output: <name>`` line must appear in that script's output, its
lines in the listing's order, so the text cannot drift from the code.  The history files the
scripts write are read back and judged again here, and ``glasskafka check-history`` is run on
them as a separate process, so the verdicts the chapter prints are the command's own.  Hostile
input: a bad ``--out`` is refused with a clear message and writes nothing.

Spec IDs: DELIV-19 (at most once, the hand-off and the bug flag break it), DELIV-20 (at least once
and the idempotent consumer redeliver, allowed).

Simplified from Kafka: Kafka's documentation shows no runnable delivery examples to compare
against.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest
from glasskafka.history import Verdict, check_history, read_history

from tutorials.listings import Chapter

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent)
SCRIPTS = ["at_most_once", "at_least_once", "auto_commit_pitfall", "idempotent_consumer"]
VERDICTS = {
    "at_most_once.jsonl": Verdict.INVALID,
    "at_most_once_declared.jsonl": Verdict.VALID,
    "at_least_once.jsonl": Verdict.VALID,
    "auto_commit.jsonl": Verdict.VALID,
    "auto_commit_hand_off.jsonl": Verdict.INVALID,
    "auto_commit_bug.jsonl": Verdict.INVALID,
    "idempotent_consumer.jsonl": Verdict.VALID,
}


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("histories")


@pytest.fixture(scope="module")
def outputs(histories: pathlib.Path) -> dict[str, str]:
    return {name: CHAPTER.run(name, "--out", str(histories)).stdout for name in SCRIPTS}


def test_the_chapter_shows_every_script(outputs: dict[str, str]) -> None:
    assert {name for name, _ in CHAPTER.listings()} == set(SCRIPTS)


def test_every_listing_is_what_its_script_prints(outputs: dict[str, str]) -> None:
    CHAPTER.check_listings(outputs)


def test_every_history_gets_the_verdict_the_chapter_gives(
    outputs: dict[str, str], histories: pathlib.Path
) -> None:
    assert sorted(p.name for p in histories.glob("*.jsonl")) == sorted(VERDICTS)
    for name, verdict in VERDICTS.items():
        report = check_history(read_history(histories / name))
        assert report.verdict is verdict, name
        printed = "\n".join(o for o in outputs.values() if f"check-history {name}\n" in o)
        assert f"{name}: " in printed and f"verdict: {verdict.value} " in printed


def test_the_command_itself_agrees(outputs: dict[str, str], histories: pathlib.Path) -> None:
    """``glasskafka check-history`` as a separate process: exit 0 for valid, 1 for invalid (one
    history of each kind; the verdicts of all of them are checked in-process above)."""
    command = shutil.which("glasskafka", path=str(pathlib.Path(sys.executable).parent))
    assert command is not None, "the glasskafka command is not installed in the venv"
    for name in ("at_least_once.jsonl", "auto_commit_bug.jsonl"):
        verdict = VERDICTS[name]
        result = subprocess.run(
            [command, "check-history", name],
            cwd=histories,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == (0 if verdict is Verdict.VALID else 1), result.stderr
        assert result.stdout.startswith(f"{name}: ")


def test_the_outputs_tell_the_chapters_story(outputs: dict[str, str]) -> None:
    """The claims the prose makes, read off the scripts' output."""
    auto = outputs["auto_commit_pitfall"].split("\n\n")
    kafka = next(part for part in auto if part.startswith("1. "))
    bug = next(part for part in auto if part.startswith("3. "))
    assert "auto  orders-0:3 " in kafka and "auto  orders-0:6 " in bug
    assert "payments table: 6 rows" in outputs["idempotent_consumer"]
    assert "3 duplicates skipped" in outputs["idempotent_consumer"]
    assert "group-redelivered [DELIV-20]: 0 fatal, 3 allowed" in outputs["at_least_once"]


@pytest.mark.parametrize("args", [["--out", "/no/such/directory"], ["--bogus"], ["--out"]])
def test_a_bad_command_line_is_refused_clearly(args: list[str], tmp_path: pathlib.Path) -> None:
    result = CHAPTER.run("at_least_once", *args, status=2)
    assert result.stdout == ""
    assert "usage: at_least_once" in result.stderr
    assert "Traceback" not in result.stderr
