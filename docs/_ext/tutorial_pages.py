"""Tutorial pages: every ``tutorials/ch*/chapter.md``, wired into the docs at build time.

Theory of operation
-------------------
A tutorial chapter lives in ``tutorials/chNN_<slug>/``: ``chapter.md`` (the text, in MyST
Markdown), the scripts it runs and a test that runs them.  The chapters sit outside ``docs/`` so
that their scripts are ordinary, tested Python; this extension brings them into the site.  When
the builder starts it finds the chapters (sorted by folder name, so ``ch01`` comes before
``ch02``) and writes, under ``docs/_generated/tutorials/``:

* ``<folder>/index.md``, a page that ``{include}``\\ s the chapter's ``chapter.md`` from where it
  lives, so Sphinx reports any problem at the chapter's own file and line;
* a copy of the chapter's other files (scripts, pictures, data) beside that page, so that paths
  written relative to the chapter (``{literalinclude} produce.py``, an image) work unchanged;
* ``index.md``, the tutorials' table of contents, which says so plainly when there are none yet.

Rules kept here:

* No chapters, or no ``tutorials/`` folder at all, is a normal state and builds without warnings.
* Only ``chapter.md`` is a page.  A chapter's other Markdown files are not copied (they would be
  pages outside any table of contents), nor are hidden files and Python caches.
* Pages and copies of chapters that were removed are deleted, so no orphan page lingers.

Spec IDs: none (documentation tooling).

Simplified from Kafka: Kafka's quickstart and Streams tutorials are hand-written HTML pages whose
commands are not run by any test; glasskafka's chapters are tested scripts.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

from generated_files import GENERATED_DIR, remove_stale, write_if_changed
from sphinx.application import Sphinx

__all__ = ["chapter_page", "discover_chapters", "setup", "write_tutorial_pages"]

_SKIPPED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})


def discover_chapters(tutorials: pathlib.Path) -> list[pathlib.Path]:
    """The ``chapter.md`` files of ``tutorials/ch*/``, sorted by folder name (may be none)."""
    if not tutorials.is_dir():
        return []
    return sorted(path for path in tutorials.glob("ch*/chapter.md") if path.is_file())


def chapter_page(chapter: pathlib.Path, page: pathlib.Path) -> str:
    """The text of the generated page at ``page`` that includes ``chapter``."""
    relative = pathlib.Path(os.path.relpath(chapter, page.parent)).as_posix()
    return (
        f"% Generated at build time by docs/_ext/tutorial_pages.py; edit {chapter.name} in\n"
        f"% tutorials/{chapter.parent.name}/, not this page.\n"
        "\n"
        f"```{{include}} {relative}\n"
        "```\n"
    )


def _assets(folder: pathlib.Path) -> list[pathlib.Path]:
    """The chapter's files to copy beside its page: all but Markdown, hidden files and caches."""
    found = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        hidden = any(part.startswith(".") or part in _SKIPPED_PARTS for part in parts)
        if path.is_file() and not hidden and path.suffix not in (".md", ".pyc"):
            found.append(path)
    return found


def _index_page(folders: list[str]) -> str:
    lines = [
        "% Generated at build time by docs/_ext/tutorial_pages.py; do not edit.",
        "",
        "# Tutorials",
        "",
        "Each chapter tells one part of Kafka's story with scripts you run yourself. The text",
        "and the scripts live together in `tutorials/chNN_<slug>/`, and a test runs every",
        "script and checks what it prints, so what you read here is what the code does.",
        "",
    ]
    if not folders:
        return "\n".join([*lines, "No chapters have been written yet.", ""])
    entries = [f"{folder}/index" for folder in folders]
    return "\n".join([*lines, "```{toctree}", ":maxdepth: 1", "", *entries, "```", ""])


def write_tutorial_pages(app: Sphinx) -> None:
    """``builder-inited`` handler: (re)write the tutorial pages and copies, drop stale ones."""
    setting = app.config.glasskafka_tutorials_dir
    tutorials = pathlib.Path(setting) if setting else None
    out = pathlib.Path(app.srcdir) / GENERATED_DIR / "tutorials"
    written: list[pathlib.Path] = []
    chapters = discover_chapters(tutorials) if tutorials is not None else []
    for chapter in chapters:
        page = out / chapter.parent.name / "index.md"
        write_if_changed(page, chapter_page(chapter, page))
        written.append(page)
        for asset in _assets(chapter.parent):
            copy = page.parent / asset.relative_to(chapter.parent)
            write_if_changed(copy, asset.read_bytes())
            written.append(copy)
    index = out / "index.md"
    write_if_changed(index, _index_page([chapter.parent.name for chapter in chapters]))
    remove_stale(out, [*written, index])


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page generator and its setting, the folder that holds the chapters."""
    app.add_config_value("glasskafka_tutorials_dir", "", "env", types=[str])
    app.connect("builder-inited", write_tutorial_pages)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
