"""The producer's docs pages: their code runs, and their settings table matches the code.

``docs/concepts/producer.md`` lists every producer setting with its default by hand (the
generated configuration tables cover ``glasskafka.config`` only), so this test keeps that table
and :class:`~glasskafka.client.producer_config.ProducerConfig` in step.  The Python examples on
both pages are run, so the pages cannot show code that does not work.

Spec IDs: none (documentation).

Simplified from Kafka: Kafka's docs are not tested against its code.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import sys
import types
from collections.abc import Iterator

import pytest
from glasskafka.client.producer_config import ProducerConfig

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts"


def _python_blocks(page: pathlib.Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)


@pytest.fixture
def scratch_module() -> Iterator[types.ModuleType]:
    module = types.ModuleType("producer_docs_example")
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


@pytest.mark.parametrize("page", ["producer", "idempotence"])
def test_the_examples_run(page: str, scratch_module: types.ModuleType) -> None:
    blocks = _python_blocks(DOCS / f"{page}.md")
    assert blocks, f"{page}.md has no python examples"
    for block in blocks:
        exec(compile(block, f"docs/concepts/{page}.md", "exec"), scratch_module.__dict__)


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(unset)" if value is None else "(empty)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def test_the_settings_table_lists_every_property_with_its_default() -> None:
    text = (DOCS / "producer.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z.]+)` \| ([^|]+) \|", text, re.M))
    fields = {f.metadata["kafka"]: f.default for f in dataclasses.fields(ProducerConfig)}
    assert sorted(rows) == sorted(fields), "the table and ProducerConfig list other properties"
    for name, default in fields.items():
        assert rows[name].strip() == _shown(default), name
