"""The generated spec catalogue page: every registered invariant, grouped by ID prefix.

Theory of operation
-------------------
Invariants live in ``specs/<concern>.py`` as predicates registered with ``@spec("ID-n", title)``
(``specs/catalogue.py``).  When the builder starts, this extension calls
``specs.catalogue.load_all()``, which imports every spec module, and writes
``docs/_generated/specs.md``: one section per ID prefix (``LOG``, ``REPL``...), and in it one
entry per ID with its title, its kind (state invariant or transition property), its statement
(the predicate's docstring), the function that defines it and the model-test files that check it.

Rules kept here:

* The page is complete by construction: it is the registry, printed.  Whether every ID is also
  checked by a model test and explained on a hand-written page is the meta-test's job
  (``model_tests/test_meta_specs.py``); the catalogue only reports what it finds.
* Each entry gets the label ``spec-<id>`` (``spec-log-3``), so any page can link to it with
  ``{ref}`LOG-3 <spec-log-3>```.
* Statements are docstrings written for Python readers; their Sphinx roles (``:class:`Foo```)
  are shown as code, since the page is Markdown.
* An empty registry still gives a valid page that says so.

Spec IDs: none itself; it prints all of them.

Simplified from Kafka: Kafka's own specifications are TLA+ models kept outside the code
(hachikuji/kafka-specification, Vanlightly/kafka-tlaplus); glasskafka's are Python predicates
next to the code, so this page can list exactly the ones that run.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from generated_files import GENERATED_DIR, write_if_changed
from sphinx.application import Sphinx

__all__ = ["PREFIX_TITLES", "catalogue_markdown", "checking_files", "setup", "write_catalogue"]

PREFIX_TITLES: Mapping[str, str] = {
    "SIM": "The simulator",
    "LOG": "The partition log",
    "COORD": "The coordination service",
    "REPL": "Replication",
    "CTRL": "The controller",
    "IDEM": "The idempotent producer",
    "GROUP": "Consumer groups",
    "ASSIGN": "Partition assignment",
    "DELIV": "Delivery semantics",
    "ORDER": "Ordering",
    "LIVE": "Liveness",
}
"""Section titles for the ID prefixes the project uses; another prefix gets its bare name."""

_KINDS = {
    "state": "state invariant, checked after every step",
    "transition": "transition property, comparing the state before and after one step",
}
_ROLE = re.compile(r":[a-z:]+:`~?([^`]+)`")


def checking_files(spec_id: str, model_tests: pathlib.Path) -> list[str]:
    """Files under ``model_tests`` (relative, sorted) that name ``spec_id`` as a quoted string."""
    if not model_tests.is_dir():
        return []
    pattern = re.compile(rf"([\"']){re.escape(spec_id)}\1")
    found = []
    for path in sorted(model_tests.rglob("*.py")):
        if path.name != "test_meta_specs.py" and pattern.search(_read(path)):
            found.append(path.relative_to(model_tests.parent).as_posix())
    return found


def _read(path: pathlib.Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _statement(text: str) -> str:
    return _ROLE.sub(lambda match: f"`{match.group(1)}`", " ".join(text.split()))


def _entry(spec: Any, checked_in: list[str]) -> list[str]:
    checks = ", ".join(f"`{path}`" for path in checked_in) or "no model test yet"
    return [
        f"(spec-{spec.id.lower()})=",
        f"### {spec.id}: {spec.title}",
        "",
        f"*{_KINDS.get(spec.kind, spec.kind)}*",
        "",
        _statement(spec.statement),
        "",
        f"- Defined by: `{spec.module}.{spec.function}`",
        f"- Checked in: {checks}",
        "",
    ]


def catalogue_markdown(specs: Iterable[Any], model_tests: pathlib.Path) -> str:
    """The whole catalogue page for ``specs`` (``specs.catalogue.Spec`` values), in order."""
    lines = [
        "% Generated at build time from specs/ by docs/_ext/spec_catalogue.py; do not edit.",
        "",
        "# Specification catalogue",
        "",
        "Every invariant glasskafka states, as registered in `specs/` when these pages were",
        "built. Each entry gives the stable ID, the statement the model tests check, the",
        "function that states it and the model tests that check it. See",
        "[Specifications](../concepts/specifications.md) for how to read an entry.",
        "",
    ]
    by_prefix: dict[str, list[Any]] = {}
    for spec in specs:
        by_prefix.setdefault(spec.id.partition("-")[0], []).append(spec)
    if not by_prefix:
        lines += ["No specification is registered yet.", ""]
    for prefix in sorted(by_prefix, key=_prefix_order):
        title = PREFIX_TITLES.get(prefix)
        lines += [f"## {prefix}: {title}" if title else f"## {prefix}", ""]
        for spec in by_prefix[prefix]:
            lines += _entry(spec, checking_files(spec.id, model_tests))
    return "\n".join(lines).rstrip() + "\n"


def _prefix_order(prefix: str) -> tuple[int, str]:
    known = list(PREFIX_TITLES)
    return (known.index(prefix), prefix) if prefix in known else (len(known), prefix)


def write_catalogue(app: Sphinx) -> None:
    """``builder-inited`` handler: (re)write ``_generated/specs.md`` from the registry."""
    from specs.catalogue import load_all

    root = pathlib.Path(app.config.glasskafka_repository)
    page = pathlib.Path(app.srcdir) / GENERATED_DIR / "specs.md"
    write_if_changed(page, catalogue_markdown(load_all().values(), root / "model_tests"))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page generator and its setting, the repository's root folder."""
    app.add_config_value("glasskafka_repository", "", "env", types=[str])
    app.connect("builder-inited", write_catalogue)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
