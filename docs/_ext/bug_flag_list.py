"""The ``glasskafka-bug-flags`` directive: every bug flag, listed from ``glasskafka.bugs``.

Theory of operation
-------------------
A bug flag re-introduces one historical Kafka bug at the single place in the code where it lives
(DESIGN §5).  ``glasskafka.bugs.BugFlags`` declares the flags and ``glasskafka.bugs.CATALOGUE``
describes each one: a summary, the spec IDs it breaks, where in the code it acts and where the
bug comes from.  This directive prints that catalogue, in the order the flags are declared, so the
bug-flag page lists every flag there is and no flag that is gone.

Rules kept here:

* The list is made from ``BugFlags``'s fields, not from the catalogue's keys: a flag missing from
  the catalogue still appears, marked as undocumented, instead of silently vanishing.  (The
  meta-test ``model_tests/test_meta_specs.py`` fails the suite in that case too.)
* The page is re-read whenever ``bugs.py`` changes (``note_dependency``).
* A broken spec ID links to its entry in the generated spec catalogue when that ID is registered,
  and is printed plainly otherwise, so a flag whose spec is not written yet never breaks the build.

Usage in a Markdown page: a ``{glasskafka-bug-flags}`` fence with nothing inside.

Spec IDs: none (documentation tooling).

Simplified from Kafka: Kafka has no bug flags; its JIRA issues and KIPs, cited in each entry's
source, are where the historical bugs are written up.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from docutils.nodes import Node
from generated_files import render_markdown
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

__all__ = ["BugFlagList", "bug_flag_markdown", "setup", "spec_link"]


def spec_link(spec_id: str, registered: frozenset[str]) -> str:
    """Markdown for ``spec_id``: a link to its catalogue entry if it is registered, else text."""
    if spec_id in registered:
        return f"{{ref}}`{spec_id} <spec-{spec_id.lower()}>`"
    return f"{spec_id} (not yet in the spec catalogue)"


def bug_flag_markdown(
    flag_names: list[str], catalogue: dict[str, Any], registered: frozenset[str]
) -> list[str]:
    """Markdown lines listing each flag in ``flag_names`` with its catalogue entry."""
    if not flag_names:
        return ["No bug flags are defined yet."]
    lines: list[str] = []
    for name in flag_names:
        info = catalogue.get(name)
        if info is None:
            lines += [f"- **`{name}`**: not described in `glasskafka.bugs.CATALOGUE` yet.", ""]
            continue
        breaks = ", ".join(spec_link(spec_id, registered) for spec_id in info.breaks) or "none"
        lines += [
            f"- **`{name}`**: {' '.join(info.summary.split())}",
            "",
            f"  - Breaks: {breaks}",
            f"  - Acts in: `{info.location}`",
            f"  - Source: {' '.join(info.source.split())}",
            "",
        ]
    return lines


class BugFlagList(SphinxDirective):
    """``{glasskafka-bug-flags}``: the catalogue of bug flags as a list."""

    has_content = False

    def run(self) -> list[Node]:
        from glasskafka import bugs

        from specs.catalogue import load_all

        names = [field.name for field in dataclasses.fields(bugs.BugFlags)]
        registered = frozenset(load_all())
        self.env.note_dependency(str(bugs.__file__))
        return render_markdown(self, bug_flag_markdown(names, dict(bugs.CATALOGUE), registered))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("glasskafka-bug-flags", BugFlagList)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
