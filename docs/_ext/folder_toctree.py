"""The ``glasskafka-toctree`` directive: a toctree whose globs may name folders that are empty.

Theory of operation
-------------------
``docs/index.md`` finds hand-written pages by glob (``guide/*``, ``benchmarks/*``) so that
anyone can add a page without editing the index.  Early in the project, or in a checkout that
leaves some folders out, a folder may hold no page yet; Sphinx's own ``toctree`` then warns that
the glob matched nothing, and a ``-W`` build fails.  (That warning carries no type in Sphinx 9,
so ``suppress_warnings`` cannot silence it.)

This directive is Sphinx's ``toctree`` with one difference: a glob entry whose *folder* holds no
document at all is dropped before the toctree is built.  A glob into a folder that does have
pages but matches none of them still warns, because that is a typo worth hearing about.

Usage: exactly as ``toctree`` (same options), in place of it.

Spec IDs: none (documentation tooling).

Simplified from Kafka: not applicable; Kafka's site has no generated tables of contents.
"""

from __future__ import annotations

from typing import Any

from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives.other import TocTree
from sphinx.util import docname_join

__all__ = ["FolderTocTree", "glob_folder", "setup"]

_GLOB_CHARACTERS = "*?["


def glob_folder(pattern: str) -> str:
    """The fixed folder part of a docname glob: ``"guide/*"`` -> ``"guide/"``; ``"*"`` -> ``""``."""
    cut = min((pattern.find(c) for c in _GLOB_CHARACTERS if c in pattern), default=len(pattern))
    return pattern[: pattern[:cut].rfind("/") + 1]


class FolderTocTree(TocTree):
    """``{glasskafka-toctree}``: a ``toctree`` that skips globs into folders with no pages."""

    def parse_content(self, toctree: addnodes.toctree) -> None:
        """Drop glob entries whose folder holds no document, then build the toctree as usual."""
        if toctree["glob"]:
            current = self.env.docname
            content: StringList = self.content
            kept = StringList()
            for offset, entry in enumerate(content):
                is_glob = any(c in entry for c in _GLOB_CHARACTERS) and "<" not in entry
                folder = glob_folder(docname_join(current, entry.strip())) if is_glob else ""
                empty = is_glob and not any(
                    doc.startswith(folder) for doc in self.env.found_docs if doc != current
                )
                if not empty:
                    kept.append(entry, *content.info(offset))
            self.content = kept
        super().parse_content(toctree)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("glasskafka-toctree", FolderTocTree)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
