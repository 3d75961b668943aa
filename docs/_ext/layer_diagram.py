"""The ``glasskafka-layers`` directive: the package layer picture, drawn from the layering test.

Theory of operation
-------------------
``reference/tests/test_layering.py`` holds ``LAYERS``, the list (lowest first) of which
``glasskafka`` packages may import which: a module may import its own package and anything in a
lower layer (DESIGN §2, STYLE rule 1).  This directive reads that very list and draws it with
Graphviz, so the architecture page's picture and the test that enforces the rule cannot disagree:
move a package in the test and the picture moves with it.

Rules kept here:

* The list is read with :mod:`ast` (``ast.literal_eval`` of the assignment), never by importing
  the test module, so building the docs runs no test code.  A missing file or a ``LAYERS`` that
  is not a literal list of sets of names is a build error naming the file.
* Entries that are not packages (``__init__``, the package's own ``__init__.py``) are left out of
  the picture; names inside a layer are drawn sorted, because a set has no order.  Layers keep
  the test's numbers, so "layer 11 > 4" in a failing test reads straight off the picture.
* The page is re-read whenever the test file changes (``note_dependency``).

Usage in a Markdown page::

    ```{glasskafka-layers}
    :caption: Imports point down.
    ```

The options are those of Sphinx's ``graphviz`` directive (``caption``, ``alt``, ``align``...).

Spec IDs: none (documentation tooling).

Simplified from Kafka: Kafka enforces its module boundaries with Checkstyle's import-control
files (``checkstyle/import-control*.xml``) and draws no picture of them.
"""

from __future__ import annotations

import ast
import pathlib
from typing import Any

from docutils.nodes import Node
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.ext.graphviz import Graphviz

__all__ = ["LayerDiagram", "layers_dot", "read_layers", "setup"]

_NOT_PACKAGES = frozenset({"__init__", "__main__"})


def read_layers(path: pathlib.Path) -> list[list[str]]:
    """The ``LAYERS`` table of the layering test at ``path``: lowest layer first, names sorted.

    Raises :class:`~sphinx.errors.ExtensionError` if the file or the table cannot be read.
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError) as error:
        raise ExtensionError(f"cannot read the layer table from {path}: {error}") from error
    for statement in tree.body:
        target, value = _assignment(statement)
        if target == "LAYERS" and value is not None:
            return _as_layers(value, path)
    raise ExtensionError(f"{path} assigns no LAYERS table")


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        return statement.targets[0].id, statement.value
    return None, None


def _as_layers(value: ast.expr, path: pathlib.Path) -> list[list[str]]:
    try:
        table: Any = ast.literal_eval(value)
    except ValueError as error:
        raise ExtensionError(f"LAYERS in {path} is not a literal: {error}") from error
    shape_ok = isinstance(table, list) and all(
        isinstance(layer, set | frozenset | list | tuple)
        and all(isinstance(name, str) for name in layer)
        for layer in table
    )
    if not shape_ok:
        raise ExtensionError(f"LAYERS in {path} must be a list of sets of package names")
    return [sorted(set(layer) - _NOT_PACKAGES) for layer in table]


def layers_dot(layers: list[list[str]]) -> str:
    """DOT source for ``layers`` (lowest first): one box per layer, drawn top-down from the
    highest, with an arrow from each layer to the one below ("may import")."""
    lines = [
        "digraph layers {",
        '  graph [rankdir=TB, nodesep=0.3, ranksep=0.18, fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#4a6fa5",'
        ' fontname="Helvetica", fontsize=11, width=3.2, height=0.3];',
        '  edge [color="#4a6fa5", arrowsize=0.7, fontname="Helvetica", fontsize=9];',
    ]
    top = len(layers) - 1
    for index in range(top, -1, -1):
        names = " · ".join(layers[index]) or "(no package)"
        fill = ', fillcolor="#fdf1d8", color="#b07d1f"' if index == 0 else ""
        lines.append(f'  layer{index} [label="{index}  {names}"{fill}];')
    for index in range(top, 0, -1):
        label = ' [label="  may import"]' if index == top else ""
        lines.append(f"  layer{index} -> layer{index - 1}{label};")
    lines.append("}")
    return "\n".join(lines)


class LayerDiagram(Graphviz):
    """``{glasskafka-layers}``: Sphinx's graphviz directive with DOT made from ``LAYERS``."""

    has_content = False
    required_arguments = 0
    optional_arguments = 0

    def run(self) -> list[Node]:
        path = pathlib.Path(self.config.glasskafka_layering_test)
        self.env.note_dependency(str(path))
        self.content = StringList(layers_dot(read_layers(path)).splitlines(), source=str(path))
        self.options.setdefault("alt", "glasskafka's package layers, lowest at the bottom")
        return super().run()


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive and its one setting, the path of the layering test."""
    app.setup_extension("sphinx.ext.graphviz")
    app.add_config_value("glasskafka_layering_test", "", "env", types=[str])
    app.add_directive("glasskafka-layers", LayerDiagram)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
