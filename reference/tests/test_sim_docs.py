"""The simulator's concept page shows code that runs and a story that the code really prints."""

from __future__ import annotations

import contextlib
import io
import pathlib
import re
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "concepts" / "simulator.md"


def blocks(language: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def test_the_example_prints_the_story_shown_on_the_page() -> None:
    module = types.ModuleType("simulator_page_example")
    sys.modules[module.__name__] = module  # dataclasses need a real module
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            for block in blocks("python"):
                exec(compile(block, str(PAGE), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    [shown] = blocks("text")
    assert printed.getvalue() == shown


def test_the_page_explains_every_sim_invariant() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for number in range(1, 6):
        assert f"**SIM-{number}," in text
