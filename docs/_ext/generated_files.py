"""Writing the pages the docs build generates, and the Markdown they are made of.

Theory of operation
-------------------
Some pages are not written by hand but produced from the code at build time, so a page and the
code it describes cannot drift: the spec catalogue (from ``specs/``), the tutorial pages (from
``tutorials/ch*/chapter.md``) and the API reference (from the ``glasskafka`` package).  They are
written under ``docs/_generated/`` (ignored by git) when the builder starts, before Sphinx looks
for source files, so the toctrees in ``docs/index.md`` find them like any other page.

Rules kept here:

* A file is rewritten only when its text changed, and through a temporary file renamed over the
  old one.  Sphinx then re-reads only pages whose source really changed, and two builds running
  at once (the test suite and a student's ``make html``) never see a half-written page.
* Files a generator no longer produces are removed, so a deleted chapter or module does not
  linger as an orphan page (which Sphinx would warn about).  Another build's temporary files
  are never touched.
* Table cells are escaped, so a ``|`` in a docstring cannot break a Markdown table.

Spec IDs: none (documentation tooling).

Simplified from Kafka: Kafka's site also generates its configuration and protocol tables from the
code (``ConfigDef.toHtml`` and ``Protocol.toHtml``) but writes them as HTML at release time rather
than at every build.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile
from collections.abc import Iterable, Sequence

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

__all__ = [
    "GENERATED_DIR",
    "code_cell",
    "markdown_table",
    "remove_stale",
    "render_markdown",
    "table_cell",
    "write_if_changed",
]

GENERATED_DIR = "_generated"
"""The folder under the docs source directory that generated pages live in (ignored by git)."""


def write_if_changed(path: pathlib.Path, data: str | bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless the file already holds exactly that.

    Creates missing parent folders.  Returns whether the file was (re)written.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_file() and path.read_bytes() == payload:
        return False
    handle, temporary = _temporary_beside(path)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _temporary_beside(path: pathlib.Path) -> tuple[int, str]:
    # Another build's remove_stale may delete a folder in the instant after it is created here
    # (it was still empty), so creating the temporary file is tried a second time.
    for attempt in (1, 2):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except FileNotFoundError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def remove_stale(folder: pathlib.Path, keep: Iterable[pathlib.Path]) -> list[pathlib.Path]:
    """Delete every file under ``folder`` that is not in ``keep``, then any emptied folders.

    Hidden files are left alone: they are the temporary files of a build running at the same
    time.  Returns the deleted files, sorted.  A missing ``folder`` is not an error.
    """
    if not folder.is_dir():
        return []
    wanted = {path.resolve() for path in keep}
    removed = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith(".") and path.resolve() not in wanted
    )
    for path in removed:
        path.unlink(missing_ok=True)
    for directory in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        # A concurrent build may fill or remove the folder meanwhile; then it stays as it is.
        with contextlib.suppress(OSError):
            if not any(directory.iterdir()):
                directory.rmdir()
    return removed


def table_cell(text: str) -> str:
    """Make prose safe inside one cell of a Markdown pipe table.

    The text becomes one line and ``|`` and ``\\`` are escaped; other Markdown (a `code span`,
    *emphasis*) is kept, so summaries written in the code may use it.
    """
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def code_cell(text: str) -> str:
    """A Markdown code span showing ``text`` literally, safe inside a pipe table cell.

    Code spans take no backslash escapes, so the fence is made longer than any run of backticks
    in the text; only ``|`` is escaped, which GitHub-flavoured tables resolve before the span.
    """
    flat = " ".join(text.split())
    if not flat:
        return "(empty)"
    fence = "`" * (_longest_backtick_run(flat) + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") else flat
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def _longest_backtick_run(text: str) -> int:
    best = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        best = max(best, run)
    return best


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Lines of a Markdown pipe table.  Cells must already be escaped with :func:`table_cell`."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(directive: SphinxDirective, lines: Sequence[str]) -> list[nodes.Node]:
    """Parse generated Markdown ``lines`` in place of ``directive`` and return the nodes.

    The page using the directive must be Markdown (MyST): a reStructuredText page would read the
    Markdown as reStructuredText, so it gets a warning instead (which fails a ``-W`` build).
    """
    if type(directive.state).__module__.split(".")[0] != "myst_parser":
        message = f"the {directive.name} directive works in Markdown (MyST) pages only"
        return [directive.state.document.reporter.warning(message, line=directive.lineno)]
    container = nodes.container()
    source = f"<generated by the {directive.name} directive>"
    directive.state.nested_parse(
        StringList(list(lines), source=source), directive.content_offset, container
    )
    return list(container.children)
