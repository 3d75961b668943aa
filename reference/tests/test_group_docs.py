"""The group coordinator's docs page: its state picture is the transition table, and it runs.

The ``{graphviz}`` block of ``docs/concepts/group-coordinator.md`` must be exactly what
:func:`glasskafka.group.state.transition_dot` draws from ``VALID_PREVIOUS_STATES``, so the
picture cannot drift from the code; Graphviz must accept it; the page's Python examples run;
and the page names every GROUP invariant and the coordinator's bug flag.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

from glasskafka.group import GroupState, transition_dot, transition_edges

from model_tests.support import require_tool
from specs.catalogue import load_all

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts" / "group-coordinator.md"


def _blocks(kind: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{re.escape(kind)}\n(.*?)^```", text, re.M | re.S)


def test_the_state_picture_is_the_transition_table() -> None:
    (picture,) = _blocks("{graphviz}")
    assert picture == transition_dot()
    drawn = set(re.findall(r"^\s+(\w+) -> (\w+)", picture, re.M))
    table = {(s.name, t.name) for s, t in transition_edges() if t is not GroupState.DEAD}
    assert drawn == table | {("ANY", "DEAD")}


def test_graphviz_renders_the_picture(tmp_path: pathlib.Path) -> None:
    dot = require_tool("dot")
    source = tmp_path / "states.dot"
    source.write_text(transition_dot(), encoding="utf-8")
    result = subprocess.run(
        [dot, "-Tsvg", str(source)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    for state in GroupState:
        assert state.value in result.stdout


def test_the_pages_examples_run() -> None:
    blocks = _blocks("python")
    assert blocks
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), {})


def test_the_page_explains_every_group_invariant_and_the_bug_flag() -> None:
    text = PAGE.read_text(encoding="utf-8")
    ids = [spec_id for spec_id in load_all() if spec_id.startswith("GROUP-")]
    assert ids == [f"GROUP-{n}" for n in range(1, 7)]
    for spec_id in ids:
        assert f"**{spec_id}**" in text, spec_id
    assert "stale_generation_commit_accepted" in text
    for term in ("MEMBER_ID_REQUIRED", "__consumer_offsets", "Utils.abs", "generation"):
        assert term in text
