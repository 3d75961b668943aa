"""API reference pages: one generated page per module of the ``glasskafka`` package.

Theory of operation
-------------------
When the builder starts, this extension walks the package's folder (without importing it) and
writes ``docs/_generated/api/<module>.md`` for every module and package it finds, each holding
an ``automodule`` directive.  ``docs/reference/index.md`` lists them with a glob, so a package
another engineer adds tomorrow appears in the reference without anyone editing the docs.

Rules kept here:

* A module page documents the module's docstring (its theory of operation) and its public
  members: ``__all__`` when the module has one, as STYLE rule 11 asks of every module.
* A package page (``__init__.py``) shows the package docstring and the modules inside it, but
  not the names it re-exports: those are documented once, in the module that defines them,
  so no object is described twice and every cross-reference has one target.
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

__all__ = ["discover_modules", "module_page", "rubric_headings", "setup", "write_api_pages"]

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


def module_page(name: str, *, is_package: bool, submodules: list[str]) -> str:
    """The Markdown of the API page for module ``name``."""
    lines = [
        "% Generated at build time by docs/_ext/api_pages.py; do not edit.",
        "",
        f"# {name}",
        "",
        "```{eval-rst}",
        f".. automodule:: {name}",
    ]
    if not is_package:
        lines += ["   :members:", "   :show-inheritance:"]
    lines += ["```", ""]
    if submodules:
        lines += ["Modules in this package:", ""]
        lines += [f"- [`{child}`]({child}.md)" for child in submodules]
        lines.append("")
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
    """``builder-inited`` handler: (re)write one page per module of the configured package."""
    package = app.config.glasskafka_api_package
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"glasskafka_api_package={package!r} is not an importable package")
    package_dir = pathlib.Path(next(iter(spec.submodule_search_locations)))
    modules = discover_modules(package_dir, package)
    out = pathlib.Path(app.srcdir) / GENERATED_DIR / "api"
    written = []
    for name, is_package in modules:
        children = (
            [child for child, _ in modules if child.rpartition(".")[0] == name]
            if is_package
            else []
        )
        page = out / f"{name}.md"
        write_if_changed(page, module_page(name, is_package=is_package, submodules=children))
        written.append(page)
    remove_stale(out, written)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page generator, the docstring fix-up and the package to document."""
    app.setup_extension("sphinx.ext.autodoc")
    app.add_config_value("glasskafka_api_package", "glasskafka", "env", types=[str])
    app.connect("builder-inited", write_api_pages)
    app.connect("autodoc-process-docstring", _process_docstring)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
