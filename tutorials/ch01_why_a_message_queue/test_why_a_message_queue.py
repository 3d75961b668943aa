"""Chapter 1's scripts run, print what the chapter says they print, and the picture is current.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch01_why_a_message_queue.<name>``).  Every listing in ``chapter.md`` that
follows a ``% output: <name>`` line must appear in that script's output, its lines in the
listing's order (trailing blanks aside), so the text cannot drift from the code.  The
``{graphviz}`` file the chapter shows must be exactly what ``draw_sequence`` prints, and render.

Spec IDs: none checked here (the simulator's model tests check SIM-1 .. SIM-5).

Simplified from Kafka: Kafka's quickstart page is not run by any test.
"""

from __future__ import annotations

import functools
import os
import pathlib
import re
import subprocess
import sys

import pytest

from model_tests.support import require_tool

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAPTER = pathlib.Path(__file__).resolve().parent
PACKAGE = "tutorials.ch01_why_a_message_queue"
SCRIPTS = (
    "peak_shaving",
    "async_processing",
    "two_models",
    "quickstart_from_python",
    "trace_story",
    "controlled_mode",
)


def run(
    name: str, *args: str, status: int = 0, hash_seed: str = "0"
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.{name}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
    )
    assert result.returncode == status, result.stderr
    return result


@functools.cache
def output(name: str) -> str:
    """What script ``name`` prints with no arguments (run once per test session)."""
    result = run(name)
    assert result.stderr == ""
    return result.stdout


def chapter() -> str:
    return (CHAPTER / "chapter.md").read_text(encoding="utf-8")


def listings() -> list[tuple[str, list[str]]]:
    """``(script, lines)`` for each listing the chapter marks with ``% output: <script>``."""
    found = re.findall(r"^% output: (\w+)\n```text\n(.*?)\n```", chapter(), flags=re.M | re.S)
    return [(name, block.split("\n")) for name, block in found]


def in_order(lines: list[str], printed: list[str]) -> bool:
    """Whether ``lines`` appear in ``printed`` in the same order (others may come between)."""
    position = 0
    wanted = [line.rstrip() for line in lines]
    have = [line.rstrip() for line in printed]
    for line in wanted:
        try:
            position = have.index(line, position) + 1
        except ValueError:
            return False
    return True


def test_the_chapter_shows_every_script() -> None:
    assert {name for name, _ in listings()} == set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_listing_is_what_its_script_prints(name: str) -> None:
    printed = output(name).splitlines()
    for script, lines in listings():
        if script == name:
            assert in_order(lines, printed), f"not in {name}'s output, in order:\n" + "\n".join(
                lines
            )


def test_in_order_refuses_lines_out_of_order_or_missing() -> None:
    assert in_order(["a", "c"], ["a", "b", "c"])
    assert not in_order(["c", "a"], ["a", "b", "c"])
    assert not in_order(["d"], ["a", "b", "c"])


def test_the_peak_is_absorbed_and_drained() -> None:
    """The prose's claims about peak shaving, read off the output."""
    printed = output("peak_shaving")
    rows = [line.split() for line in printed.splitlines() if re.match(r"^\s+\d+\s+\d+", line)]
    arrived = sum(int(row[1]) for row in rows)
    processed = sum(int(row[2]) for row in rows)
    assert arrived == processed == 15_700
    assert max(int(row[2]) for row in rows) == 2000, "the database never takes more than 2000/s"
    assert max(int(row[3]) for row in rows) == 9000 and rows[-1][3] == "0"
    assert "without it: 9000 requests would have hit the database beyond its" in printed


def test_the_two_orders_end_differently() -> None:
    printed = output("controlled_mode")
    order_a, order_b = printed.split("order B")
    assert "the consumer got [] (NONE, high watermark 0)" in order_a
    assert "the consumer got ['hello'] (NONE, high watermark 1)" in order_b


def test_each_group_reads_every_order_and_one_member_each() -> None:
    printed = output("two_models")
    assert "  billing/billing-1 (partition 0): order-1, order-3, order-5" in printed
    assert "  billing/billing-2 (partition 1): order-2, order-4, order-6" in printed
    assert "  analytics: partition 0 at offset 3, partition 1 at offset 3" in printed
    assert "  fraud-check: partition 0 at offset 4, partition 1 at offset 4" in printed


def test_the_quickstart_from_python_is_the_command() -> None:
    cli = "import sys; from glasskafka.cli import main; sys.exit(main())"
    command = subprocess.run(
        [sys.executable, "-c", cli, "quickstart", "--seed", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert command.returncode == 0, command.stderr
    assert command.stdout == output("quickstart_from_python")


def test_the_same_seed_tells_the_same_story_in_any_process() -> None:
    printed = output("trace_story")
    assert "seed 7 again: the same story" in printed
    assert run("trace_story", hash_seed="1").stdout == run("trace_story", hash_seed="2").stdout
    assert run("trace_story", "--seed", "8").stdout != printed


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("trace_story", ["--seed", "seven"]),
        ("trace_story", ["--seed"]),
        ("trace_story", ["--seed", "7", "extra"]),
        ("quickstart_from_python", ["--seed", "1e3"]),
        ("quickstart_from_python", ["--verbose"]),
    ],
)
def test_bad_arguments_are_refused_with_a_usage_message(name: str, args: list[str]) -> None:
    result = run(name, *args, status=2)
    assert result.stdout == ""
    assert f"usage: {name}" in result.stderr and "error:" in result.stderr


def test_the_picture_is_what_draw_sequence_prints() -> None:
    kept = (CHAPTER / "produce_and_fetch.dot").read_text(encoding="utf-8")
    assert re.search(r"^```\{graphviz\} produce_and_fetch\.dot\n```", chapter(), flags=re.M)
    assert run("draw_sequence").stdout == kept, "produce_and_fetch.dot is out of date"
    for label in ("client-1", "broker-1", "call ProduceRequest", "call FetchRequest"):
        assert label in kept


def test_the_picture_renders() -> None:
    dot = require_tool("dot")
    result = subprocess.run(
        [dot, "-Tsvg", str(CHAPTER / "produce_and_fetch.dot")], capture_output=True, timeout=60
    )
    assert result.returncode == 0 and b"<svg" in result.stdout, result.stderr
