"""``docs/concepts/controller.md`` stays true to the code: its state diagram is the transition
table's, its example runs, its pictures render, and it explains the controller's spec IDs."""

from __future__ import annotations

import pathlib
import re
import subprocess
import types

import pytest
from glasskafka.controller.states import transitions_dot

from model_tests.support import require_tool

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts" / "controller.md"


def blocks(kind: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{re.escape(kind)}\n(.*?)^```", text, re.M | re.S)


def test_the_state_diagram_is_the_transition_table() -> None:
    states = [b for b in blocks("{graphviz}") if "controller_states" in b]
    assert states == [transitions_dot() + "\n"]


def test_the_python_example_runs() -> None:
    [example] = blocks("python")
    module = types.ModuleType("controller_docs_example")
    exec(compile(example, str(PAGE), "exec"), module.__dict__)


def test_every_picture_is_valid_graphviz() -> None:
    dot = require_tool("dot")
    pictures = blocks("{graphviz}")
    assert len(pictures) >= 3
    for source in pictures:
        result = subprocess.run(
            [dot, "-Tsvg"], input=source, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("spec_id", ["CTRL-1", "REPL-7", "REPL-10", "REPL-11", "LIVE-3"])
def test_the_page_explains_the_controllers_spec_ids(spec_id: str) -> None:
    assert spec_id in PAGE.read_text(encoding="utf-8")
