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
import re
import subprocess
import sys

import pytest

from model_tests.support import require_tool

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAPTER = pathlib.Path(__file__).resolve().parent
PACKAGE = "tutorials.ch05_leader_election"
SCRIPTS = ["failover", "unclean_election"]


def run(name: str, *args: str, status: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.{name}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == status, result.stderr
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


def pictures() -> list[str]:
    return re.findall(r"^```\{graphviz\} (\S+)\.dot\n```", chapter(), flags=re.M)


def test_every_picture_is_what_draw_pictures_prints() -> None:
    figures = run("draw_pictures", "--list").stdout.split()
    assert sorted(pictures()) == sorted(figures)
    for name in figures:
        kept = (CHAPTER / f"{name}.dot").read_text(encoding="utf-8")
        assert run("draw_pictures", name).stdout == kept, f"{name}.dot is out of date"


def test_the_pictures_render() -> None:
    dot = require_tool("dot")
    for name in pictures():
        result = subprocess.run(
            [dot, "-Tsvg", str(CHAPTER / f"{name}.dot")], capture_output=True, timeout=60
        )
        assert result.returncode == 0 and b"<svg" in result.stdout, result.stderr


@pytest.mark.parametrize("args", [[], ["nonsense"], ["election", "extra"]])
def test_draw_pictures_refuses_a_bad_figure_name(args: list[str]) -> None:
    result = run("draw_pictures", *args, status=2)
    assert result.stdout == "" and "usage: draw_pictures FIGURE (one of: election" in result.stderr
