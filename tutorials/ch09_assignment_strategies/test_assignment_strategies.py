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
import re
import subprocess
import sys

import pytest

from model_tests.support import require_tool

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAPTER = pathlib.Path(__file__).resolve().parent
PACKAGE = "tutorials.ch09_assignment_strategies"


def run(name: str, *args: str, status: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.{name}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
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


def test_the_chapter_shows_both_scripts() -> None:
    assert {name for name, _ in listings()} == {"strategies", "rebalances"}


@pytest.mark.parametrize("name", ["strategies", "rebalances"])
def test_every_listing_is_what_its_script_prints(name: str) -> None:
    result = run(name)
    assert result.stderr == ""
    output = result.stdout.splitlines()
    for script, lines in listings():
        if script == name:
            assert in_order(lines, output), f"not in {name}'s output, in order:\n" + "\n".join(
                lines
            )


def test_the_outputs_tell_the_chapters_story() -> None:
    """The claims the prose makes, read off the scripts' output."""
    strategies = run("strategies").stdout
    assert "C0: orders-0, orders-1, payments-0, payments-1  (4)" in strategies
    rebalances = run("rebalances").stdout
    assert "sticky: 3 partitions changed owner, 0 between stayers" in rebalances
    assert "roundrobin: 5 partitions changed owner, 2 between stayers" in rebalances
    assert "round 1: revoked topic-6, topic-7" in rebalances
    assert rebalances.rstrip().endswith("in all: 2 partitions changed owner, 0 between stayers")


def pictures() -> list[str]:
    return re.findall(r"^```\{graphviz\} (\S+)\.dot\n```", chapter(), flags=re.M)


def test_every_picture_is_what_draw_assignments_prints() -> None:
    figures = run("draw_assignments", "--list").stdout.split()
    assert sorted(pictures()) == sorted(figures)
    for name in figures:
        kept = (CHAPTER / f"{name}.dot").read_text(encoding="utf-8")
        assert run("draw_assignments", name).stdout == kept, f"{name}.dot is out of date"


def test_the_pictures_render() -> None:
    dot = require_tool("dot")
    for name in pictures():
        result = subprocess.run(
            [dot, "-Tsvg", str(CHAPTER / f"{name}.dot")], capture_output=True, timeout=60
        )
        assert result.returncode == 0 and b"<svg" in result.stdout, result.stderr


@pytest.mark.parametrize("args", [[], ["nonsense"], ["range", "extra"]])
def test_draw_assignments_refuses_a_bad_figure_name(args: list[str]) -> None:
    result = run("draw_assignments", *args, status=2)
    assert result.stdout == "" and "usage: draw_assignments FIGURE (one of: range" in result.stderr
