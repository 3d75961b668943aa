"""The broker concepts page stays in step with the code: every module, flag and picture.

The role diagram on the page must be exactly what ``role_transitions_dot()`` draws from
``ROLE_TRANSITIONS`` (STYLE rule 4: the docs diagram comes from the table), and every graphviz
picture must render.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

from glasskafka.broker import role_transitions_dot
from glasskafka.bugs import CATALOGUE

from model_tests.support import require_tool

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "concepts" / "broker.md"
PACKAGE = ROOT / "reference" / "glasskafka" / "broker"


def _page() -> str:
    assert PAGE.is_file(), f"{PAGE} is missing"
    return PAGE.read_text(encoding="utf-8")


def _pictures(text: str) -> list[str]:
    return re.findall(r"^```\{graphviz\}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_the_page_has_one_title_and_names_every_module() -> None:
    text = _page()
    assert text.startswith("# ") and text.count("\n# ") == 0
    modules = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    missing = [m for m in modules if f"`{m}`" not in text]
    assert not missing, f"broker.md does not name: {missing}"


def test_the_page_names_every_broker_bug_flag_and_its_invariants() -> None:
    text = _page()
    broker_flags = [
        n for n, info in CATALOGUE.items() if info.location.startswith("glasskafka/broker/")
    ]
    assert len(broker_flags) == 7
    for name in broker_flags:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}`")), None)
        assert row is not None, f"no table row for {name}"
        for spec_id in CATALOGUE[name].breaks:
            assert spec_id in row, f"{name}: {spec_id} missing from its row"
        assert CATALOGUE[name].location.rsplit("/", 1)[1] in row


def test_the_role_diagram_is_drawn_from_the_transition_table() -> None:
    assert role_transitions_dot() in _pictures(_page())


def test_every_picture_on_the_page_renders() -> None:
    dot = require_tool("dot")
    pictures = _pictures(_page())
    assert len(pictures) >= 5
    for source in pictures:
        result = subprocess.run(
            [dot, "-Tsvg"], input=source.encode(), capture_output=True, check=False
        )
        assert result.returncode == 0, result.stderr.decode()
        assert b"<svg" in result.stdout
