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
import pathlib
import re

import pytest

from tutorials.listings import Chapter, glasskafka_cli, in_order

CHAPTER = Chapter(
    directory=pathlib.Path(__file__).resolve().parent,
    timeout_s=120.0,
    environment={"PYTHONHASHSEED": "0"},
)
SCRIPTS = (
    "peak_shaving",
    "async_processing",
    "two_models",
    "quickstart_from_python",
    "trace_story",
    "controlled_mode",
)


@functools.cache
def output(name: str) -> str:
    """What script ``name`` prints with no arguments (run once per test session)."""
    return CHAPTER.printed(name)


def test_the_chapter_shows_every_script() -> None:
    assert {name for name, _ in CHAPTER.listings()} == set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_listing_is_what_its_script_prints(name: str) -> None:
    CHAPTER.check_listings({name: output(name)}, key=str.rstrip)  # trailing blanks aside


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
    command = glasskafka_cli("quickstart", "--seed", "0")
    assert command.stdout == output("quickstart_from_python")


def test_the_same_seed_tells_the_same_story_in_any_process() -> None:
    printed = output("trace_story")
    assert "seed 7 again: the same story" in printed
    assert (
        CHAPTER.run("trace_story", environment={"PYTHONHASHSEED": "1"}).stdout
        == CHAPTER.run("trace_story", environment={"PYTHONHASHSEED": "2"}).stdout
    )
    assert CHAPTER.run("trace_story", "--seed", "8").stdout != printed


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
    result = CHAPTER.run(name, *args, status=2)
    assert result.stdout == ""
    assert f"usage: {name}" in result.stderr and "error:" in result.stderr


def test_the_picture_is_what_draw_sequence_prints() -> None:
    kept = CHAPTER.check_picture("produce_and_fetch", script="draw_sequence")
    for label in ("client-1", "broker-1", "call ProduceRequest", "call FetchRequest"):
        assert label in kept


def test_the_picture_renders() -> None:
    CHAPTER.render("produce_and_fetch")
