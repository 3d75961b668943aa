"""Chapter 2's scripts run, print what the chapter says they print, and the picture is current.

Each script runs as a student would run it (``python -m tutorials.ch02_the_log.<script>`` from
the repository root).  Every listing in ``chapter.md`` that follows a ``% output: <name>`` line
must appear in that script's output, each line in the listing's order, so the text cannot drift from
the code.  ``dump_log`` names the ``glasskafka dump-log`` commands the chapter shows.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAPTER = pathlib.Path(__file__).resolve().parent
SEGMENT = "page_visits-0/00000000000000000000"


def run(*argv: str) -> str:
    result = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def script(name: str, *args: str) -> str:
    return run("-m", f"tutorials.ch02_the_log.{name}", *args)


def dump_log_output(directory: pathlib.Path) -> str:
    script("append_and_look", str(directory))
    cli = [sys.executable, "-c", "import sys; from glasskafka.cli import main; sys.exit(main())"]
    log, index = directory / f"{SEGMENT}.log", directory / f"{SEGMENT}.index"
    return "".join(
        run(*cli[1:], "dump-log", *args) for args in (("--print-data-log", str(log)), (str(index),))
    )


def listings() -> list[tuple[str, list[str]]]:
    """``(script, lines)`` for each listing the chapter marks with ``% output: <script>``."""
    text = (CHAPTER / "chapter.md").read_text(encoding="utf-8")
    found = re.findall(r"^% output: (\w+)\n```text\n(.*?)\n```", text, flags=re.M | re.S)
    return [(name, block.split("\n")) for name, block in found]


def test_the_chapter_has_a_listing_for_every_script() -> None:
    names = {name for name, _ in listings()}
    assert names == {"append_and_look", "find_offset", "roll_and_retain", "dump_log"}


def test_every_listing_is_what_its_script_prints(tmp_path: pathlib.Path) -> None:
    outputs = {
        "append_and_look": script("append_and_look"),
        "find_offset": script("find_offset"),
        "roll_and_retain": script("roll_and_retain"),
        "dump_log": dump_log_output(tmp_path / "ch02"),
    }
    for name, lines in listings():
        remaining = iter(outputs[name].splitlines())
        # Each listed line must be printed, in the listing's order (a listing may skip lines).
        missing = [line for line in lines if not any(line == printed for printed in remaining)]
        assert not missing, f"{name}: the chapter shows lines the script does not print: {missing}"


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
    drawn = script("draw_the_log")
    assert drawn == (CHAPTER / "the_log.dot").read_text(encoding="utf-8")
    for label in ("log start offset = 24", "log end offset = 60", "00000000000000000048.log"):
        assert label in drawn


def test_the_picture_renders() -> None:
    from model_tests.support import require_tool

    dot = require_tool("dot")
    result = subprocess.run(
        [dot, "-Tsvg", str(CHAPTER / "the_log.dot")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "log start offset = 24" in result.stdout


@pytest.mark.parametrize("name", ["append_and_look", "find_offset", "roll_and_retain"])
def test_the_scripts_are_deterministic(name: str) -> None:
    assert script(name) == script(name)
