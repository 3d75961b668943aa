"""Chapter 2's scripts run, print what the chapter says they print, and the picture is current.

Each script runs as a student would run it (``python -m tutorials.ch02_the_log.<script>`` from
the repository root).  Every listing in ``chapter.md`` that follows a ``% output: <name>`` line
must appear in that script's output, each line in the listing's order, so the text cannot drift from
the code.  ``dump_log`` names the ``glasskafka dump-log`` commands the chapter shows.
"""

from __future__ import annotations

import pathlib

import pytest

from tutorials.listings import Chapter, glasskafka_cli

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent, timeout_s=120.0)
SEGMENT = "page_visits-0/00000000000000000000"


def script(name: str, *args: str) -> str:
    """What chapter 2's script ``name`` prints (it must succeed and write nothing to stderr)."""
    return CHAPTER.printed(name, *args)


def dump_log_output(directory: pathlib.Path) -> str:
    script("append_and_look", str(directory))
    log, index = directory / f"{SEGMENT}.log", directory / f"{SEGMENT}.index"
    printed = [
        glasskafka_cli("dump-log", *args, timeout_s=CHAPTER.timeout_s)
        for args in (("--print-data-log", str(log)), (str(index),))
    ]
    assert all(result.stderr == "" for result in printed)
    return "".join(result.stdout for result in printed)


def test_the_chapter_has_a_listing_for_every_script() -> None:
    names = {name for name, _ in CHAPTER.listings()}
    assert names == {"append_and_look", "find_offset", "roll_and_retain", "dump_log"}


def test_every_listing_is_what_its_script_prints(tmp_path: pathlib.Path) -> None:
    outputs = {
        "append_and_look": script("append_and_look"),
        "find_offset": script("find_offset"),
        "roll_and_retain": script("roll_and_retain"),
        "dump_log": dump_log_output(tmp_path / "ch02"),
    }
    # Each listed line must be printed, in the listing's order (a listing may skip lines).
    CHAPTER.check_listings(outputs)


def test_append_and_look_keeps_its_files_when_given_a_directory(tmp_path: pathlib.Path) -> None:
    script("append_and_look", str(tmp_path))
    names = sorted(path.name for path in (tmp_path / "page_visits-0").iterdir())
    assert names[:3] == [f"{0:020d}.index", f"{0:020d}.log", f"{0:020d}.timeindex"]
    assert f"{24:020d}.log" in names


def test_find_offset_agrees_with_the_log() -> None:
    output = script("find_offset")
    assert "log.read(17) returns the batch 15-17, the same one" in output
    assert "log.read(30) returns the batch 30-32, the same one" in output


def test_the_picture_in_the_chapter_is_what_the_script_draws() -> None:
    drawn = CHAPTER.check_picture("the_log", script="draw_the_log")
    for label in ("log start offset = 24", "log end offset = 60", "00000000000000000048.log"):
        assert label in drawn


def test_the_picture_renders() -> None:
    assert "log start offset = 24" in CHAPTER.render("the_log")


@pytest.mark.parametrize("name", ["append_and_look", "find_offset", "roll_and_retain"])
def test_the_scripts_are_deterministic(name: str) -> None:
    assert script(name) == script(name)
