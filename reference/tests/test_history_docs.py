"""The history checker's docs page tells the truth: its examples give the verdicts it claims.

Every JSON example on ``docs/concepts/history-checker.md`` is a whole history whose caption names
what the checker reports for it (``valid``, or the fatal kinds); the report excerpt and the
picture on the page are what the code prints and draws for the lost-write example; the Python
example runs; and the page names every anomaly kind and every DELIV-n invariant.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from glasskafka.history import Kind, Verdict, check_history, format_text, parse_history
from glasskafka.viz.history import history_picture

from specs.catalogue import load_all

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts" / "history-checker.md"
TEXT = PAGE.read_text(encoding="utf-8")
EXAMPLES = re.findall(r"^```\{code-block\} json\n:caption: (.+?)\n\n(.*?)^```", TEXT, re.M | re.S)
BY_CAPTION = dict(EXAMPLES)


def test_the_page_has_an_example_per_kind() -> None:
    named = {kind for caption, _ in EXAMPLES for kind in caption.split(", ")}
    assert named >= {kind.value for kind in Kind} - {
        "nonmonotonic-poll",
        "int-nonmonotonic-poll",
    }
    assert "valid" in named


@pytest.mark.parametrize(("caption", "history"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_each_example_gives_the_verdict_its_caption_names(caption: str, history: str) -> None:
    report = check_history(parse_history(history))
    if caption == "valid":
        assert report.verdict is Verdict.VALID, report.reason
    else:
        assert sorted(kind.value for kind in report.fatal_kinds()) == sorted(caption.split(", "))


def test_the_report_excerpt_is_what_the_command_prints() -> None:
    history = parse_history(BY_CAPTION["lost-write, unseen"])
    printed = format_text(check_history(history), source="lost.jsonl")
    excerpt = re.search(r"^```text\n(lost\.jsonl:.*?)^```", TEXT, re.M | re.S)
    assert excerpt is not None
    assert excerpt.group(1) == printed


def test_the_picture_is_what_the_code_draws() -> None:
    history = parse_history(BY_CAPTION["lost-write, unseen"])
    drawn = history_picture(history, check_history(history)).source
    shown = re.search(r"^```\{graphviz\}\n(.*?)^```", TEXT, re.M | re.S)
    assert shown is not None
    assert shown.group(1) == drawn


def test_the_python_example_runs() -> None:
    (block,) = re.findall(r"^```python\n(.*?)^```", TEXT, re.M | re.S)
    exec(compile(block, str(PAGE), "exec"), {"__name__": "docs_example"})


def test_the_page_explains_every_delivery_invariant() -> None:
    for spec_id, entry in load_all().items():
        if spec_id.startswith("DELIV-"):
            assert f"| {spec_id} | {entry.title} |" in TEXT
