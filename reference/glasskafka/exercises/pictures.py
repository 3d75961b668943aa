"""Writing a lab's counterexample picture: DOT text always, SVG when Graphviz is installed.

Theory of operation
-------------------
A lab that can draw its counterexample builds DOT text (no Graphviz needed for that) and hands
it to :func:`write_picture`, which writes ``<name>.dot`` into the student's workspace and, if
the ``dot`` program is installed, ``<name>.svg`` beside it.  A missing Graphviz is not an error:
the DOT file can be rendered elsewhere, or pasted into any Graphviz viewer.

Spec IDs: none (presentation).

Simplified from Kafka: not applicable.
"""

from __future__ import annotations

from pathlib import Path

from glasskafka.errors import GlassKafkaError
from glasskafka.viz.render import render

__all__ = ["dot_text", "write_picture"]


def dot_text(text: str) -> str:
    """``text`` as the inside of a double-quoted DOT string (quotes and backslashes escaped)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def write_picture(dot_source: str, directory: Path, name: str) -> list[Path]:
    """Write ``name.dot`` (and ``name.svg`` if Graphviz is installed); return the files."""
    dot_path = directory / f"{name}.dot"
    dot_path.write_text(dot_source, encoding="utf-8")
    try:
        svg = render(dot_source)
    except GlassKafkaError:  # no Graphviz: the DOT text is still there to render elsewhere
        return [dot_path]
    svg_path = directory / f"{name}.svg"
    svg_path.write_bytes(svg)
    return [dot_path, svg_path]
