"""The counterexample gallery page is generated, and this test keeps it current.

``docs/guide/counterexamples.md`` is written by ``glasskafka.exercises.gallery``; if a scenario,
a checker message or a picture changes, the page must be regenerated (the failure says how).
The test also checks that every scenario of ``replication_scenarios.py`` and every anomaly kind
of the history checker has its section, and that each flagged scenario shows the invariants it
breaks.
"""

from __future__ import annotations

import pathlib

from glasskafka.exercises.gallery import main
from glasskafka.history import KINDS

from model_tests.replication_scenarios import SCENARIOS

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "guide" / "counterexamples.md"


def test_the_checked_in_gallery_is_current(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "page.md"
    assert main(["--write", str(target)]) == 0
    fresh = target.read_text(encoding="utf-8")
    assert PAGE.read_text(encoding="utf-8") == fresh, (
        "docs/guide/counterexamples.md is stale; regenerate it with "
        "'python -m glasskafka.exercises.gallery --write docs/guide/counterexamples.md'"
    )
    assert fresh.count("\n# ") == 0 and fresh.startswith("# Counterexample gallery\n")
    for scenario in SCENARIOS.values():
        assert f"### {scenario.name}: {scenario.title}" in fresh
        for spec_id in scenario.breaks:
            assert f"- **{spec_id}**, after step" in fresh, (scenario.name, spec_id)
    assert "### S2: divergence after both replicas crash" in fresh
    for kind, info in KINDS.items():
        assert f"### {info.spec_id} `{kind.value}`" in fresh
    pictures, without = fresh.count("```{graphviz}"), fresh.count("(No picture: ")
    assert pictures + without == len(SCENARIOS) + len(KINDS) and without <= 1
