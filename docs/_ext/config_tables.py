"""The ``glasskafka-config-table`` directive: a configuration's properties, from its dataclass.

Theory of operation
-------------------
Each role's configuration is one frozen dataclass in ``glasskafka.config`` (``BrokerConfig``,
``TopicConfig``, ``CoordinationConfig``).  Every field's ``metadata`` carries Kafka's property
name, a one-line description and the allowed range; its type and default are the dataclass's.
This directive turns one such class into a table (property, default, allowed values,
description), so the configuration page always shows the defaults the code really uses.

Rules kept here:

* Rows follow the fields' declaration order, which groups related properties as the code does.
* Defaults are shown as a ``.properties`` file would spell them (``true``, ``1073741824``; an
  unset optional value as "unset"), with a readable size or duration beside large round numbers.
* The page is re-read whenever ``config.py`` changes (``note_dependency``).

Usage in a Markdown page: a ``{glasskafka-config-table}`` fence whose argument is the class name,
for example ``BrokerConfig``.  An unknown name is a build error that lists the known ones.

Spec IDs: none (documentation tooling).

Simplified from Kafka: Kafka prints the same kind of table with ``ConfigDef.toHtml``, which also
shows each property's importance and whether it can be changed without a restart; glasskafka's
properties have neither.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from docutils.nodes import Node
from generated_files import code_cell, markdown_table, render_markdown, table_cell
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

__all__ = ["CONFIG_CLASSES", "ConfigTable", "config_rows", "setup", "show_default"]

CONFIG_CLASSES = ("BrokerConfig", "TopicConfig", "CoordinationConfig")
"""The classes of ``glasskafka.config`` that the directive accepts."""

_SIZES = ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))
_DURATIONS = ((86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s"))


def show_default(value: object, *, kafka_name: str) -> str:
    """A default as a properties file spells it, plus a readable size or duration if round."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return code_cell(str(value).lower())
    shown = code_cell(str(value))
    if isinstance(value, int) and value > 0:
        units: tuple[tuple[int, str], ...] = ()
        if kafka_name.endswith("bytes"):
            units = _SIZES
        elif kafka_name.endswith(".ms"):
            units = _DURATIONS
        for size, unit in units:
            if value >= size and value % size == 0:
                return f"{shown} ({value // size} {unit})"
    return shown


def _allowed(hint: Any, meta: Mapping[str, Any]) -> str:
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if args else hint
    if base is bool:
        text = "`true` or `false`"
    elif base is int:
        low, high = meta.get("minimum"), meta.get("maximum")
        bounds = [f"≥ {low}"] if low is not None else []
        bounds += [f"≤ {high}"] if high is not None else []
        text = "integer" + (" " + ", ".join(bounds) if bounds else "")
    elif meta.get("choices"):
        text = ", ".join(code_cell(choice) for choice in meta["choices"])
    else:
        text = "text"
    return text + (", or unset" if optional else "")


def config_rows(cls: type[Any]) -> list[list[str]]:
    """One table row per field of config dataclass ``cls``: property, default, allowed, doc."""
    hints = typing.get_type_hints(cls)
    rows = []
    for field in dataclasses.fields(cls):
        meta = field.metadata
        rows.append(
            [
                code_cell(meta["kafka"]),
                show_default(field.default, kafka_name=meta["kafka"]),
                _allowed(hints[field.name], meta),
                table_cell(meta["doc"]),
            ]
        )
    return rows


class ConfigTable(SphinxDirective):
    """``{glasskafka-config-table} BrokerConfig``: the properties of one config class."""

    has_content = False
    required_arguments = 1

    def run(self) -> list[Node]:
        from glasskafka import config

        name = self.arguments[0]
        if name not in CONFIG_CLASSES:
            known = ", ".join(CONFIG_CLASSES)
            raise ExtensionError(f"{self.name}: unknown config class {name!r}; known: {known}")
        self.env.note_dependency(str(config.__file__))
        headers = ["Property", "Default", "Allowed", "Description"]
        return render_markdown(self, markdown_table(headers, config_rows(getattr(config, name))))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("glasskafka-config-table", ConfigTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
