"""The consumer's docs page runs, and names what it must: its bug flags and delivery specs."""

from __future__ import annotations

import pathlib
import re

from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.config import property_names

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts" / "consumer.md"


def test_the_pages_examples_run() -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), {})


def test_the_fetch_settings_table_gives_the_real_defaults() -> None:
    text = PAGE.read_text(encoding="utf-8")
    fields = property_names(ConsumerConfig)
    defaults = ConsumerConfig()
    rows = re.findall(r"^\| `([a-z.]+)` \| `?([\w.]+)`? \|", text, re.M)
    assert len(rows) >= 6
    for name, shown in rows:
        assert str(getattr(defaults, fields[name])) == shown, name


def test_the_page_names_its_bug_flags_and_specs() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name in ("auto_commit_current_poll", "resume_after_committed", "DELIV-19", "DELIV-21"):
        assert name in text
