"""API reference pages: every module of the ``glasskafka`` package, one page per subpackage.

Theory of operation
-------------------
When the builder starts, this extension walks the package's folder (without importing it),
finds every module and package, and writes one page per top-level unit of the package to
``docs/_generated/api/<unit>.md``: ``glasskafka.config`` gets a page, and so does
``glasskafka.log``, whose page documents the package and then each of its modules in a section
of its own (an ``automodule`` directive each).  ``docs/reference/index.md`` lists the pages with
a glob, so a module or package added tomorrow appears in the reference without anyone editing
the docs.  One page per subpackage rather than per module keeps the site's navigation to a
couple of dozen entries, which readers can scan (and Furo renders in a fraction of the time).

Rules kept here:

* A module page documents the module's docstring (its theory of operation) and its public
  members: ``__all__`` when the module has one, as STYLE rule 11 asks of every module.
* A package (``__init__.py``) shows its docstring but not the names it re-exports: those are
  documented once, in the module that defines them, so no object is described twice and every
  cross-reference has one target.
* Module docstrings use reStructuredText section underlines ("Theory of operation" over a row of
  dashes), which are not allowed inside an autodoc block; such a heading is shown as a rubric.
* ``__main__`` modules are skipped: importing one would run it.
* Pages of modules that no longer exist are deleted.

Spec IDs: none (documentation tooling).

Simplified from Kafka: Kafka publishes Javadoc for its public client API only; glasskafka's
reference covers every module, because its readers study the internals.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
from typing import Any

from generated_files import GENERATED_DIR, remove_stale, write_if_changed
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

__all__ = [
    "discover_modules",
    "page_of",
    "rubric_headings",
    "setup",
    "unit_page",
    "write_api_pages",
]

_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")


def discover_modules(package_dir: pathlib.Path, package: str) -> list[tuple[str, bool]]:
    """(dotted name, is a package) for every module under ``package_dir``, sorted by name."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__main__" or any(not part.isidentifier() for part in parts):
            continue
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found.append((".".join([package, *parts]), is_package))
    return sorted(found)


def page_of(module: str, package: str) -> str:
    """The page that documents ``module``: its top-level subpackage or module of ``package``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if module != package else package


def _automodule(name: str, *, is_package: bool) -> list[str]:
    options = [] if is_package else ["   :members:", "   :show-inheritance:"]
    return ["```{eval-rst}", f".. automodule:: {name}", *options, "```", ""]


def unit_page(title: str, modules: list[tuple[str, bool]]) -> str:
    """The Markdown of API page ``title``: that module first, then a section per other module.

    ``modules`` are (dotted name, is a package) pairs.  A folder without ``__init__.py`` has no
    module of its own, so its page starts straight with the sections.
    """
    lines = ["% Generated at build time by docs/_ext/api_pages.py; do not edit.", "", f"# {title}"]
    lines.append("")
    for name, is_package in sorted(modules):
        if name != title:
            lines += [f"## {name}", ""]
        lines += _automodule(name, is_package=is_package)
    return "\n".join(lines)


def rubric_headings(lines: list[str]) -> None:
    """Turn reStructuredText section headings in a docstring into rubrics, in place.

    A heading is a line of text followed by an underline of one repeated punctuation character
    at least as long as the text.  Used as an ``autodoc-process-docstring`` handler's core.
    """
    index = 0
    while index + 1 < len(lines):
        title, underline = lines[index], lines[index + 1]
        if (
            title.strip()
            and not title.startswith(" ")
            and _UNDERLINE.match(underline)
            and len(underline.rstrip()) >= len(title.rstrip())
        ):
            # Blank lines around the rubric: a directive must be set apart from the prose.
            lines[index : index + 2] = ["", f".. rubric:: {title.strip()}", ""]
        index += 1


def _process_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    del app, what, name, obj, options
    rubric_headings(lines)


def write_api_pages(app: Sphinx) -> None:
    """``builder-inited`` handler: (re)write the API pages of the configured package."""
    package = app.config.glasskafka_api_package
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(f"glasskafka_api_package={package!r} is not an importable package")
    package_dir = pathlib.Path(next(iter(spec.submodule_search_locations)))
    modules = discover_modules(package_dir, package)
    out = pathlib.Path(app.srcdir) / GENERATED_DIR / "api"
    pages: dict[str, list[tuple[str, bool]]] = {}
    for name, is_package in modules:
        pages.setdefault(page_of(name, package), []).append((name, is_package))
    written = []
    for title, members in sorted(pages.items()):
        page = out / f"{title}.md"
        write_if_changed(page, unit_page(title, members))
        written.append(page)
    remove_stale(out, written)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page generator, the docstring fix-up and the package to document."""
    app.setup_extension("sphinx.ext.autodoc")
    app.add_config_value("glasskafka_api_package", "glasskafka", "env", types=[str])
    app.connect("builder-inited", write_api_pages)
    app.connect("autodoc-process-docstring", _process_docstring)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
