"""Sphinx configuration for glasskafka's documentation site.

Theory of operation
-------------------
The site is Markdown (MyST) rendered by Sphinx with the Furo theme.  Hand-written pages live in
``concepts/`` (explanations), ``guide/`` (how-to and the command line) and ``benchmarks/``
(measured figures); ``index.md`` finds them with globs, so adding a page needs no edit here or
there.  Everything that describes code is generated from that code when the build starts
(``_ext/``): the layer picture from the layering test, the bug-flag list from
``glasskafka.bugs``, the configuration tables from ``glasskafka.config``, the spec catalogue
from ``specs/``, the tutorial pages from ``tutorials/`` and the API reference from the package.
Generated pages go to ``_generated/``, which git ignores.

Rules kept here:

* The build must pass with ``-W --keep-going`` (warnings are errors), including when
  ``guide/``, ``benchmarks/`` or ``tutorials/`` are empty or missing: the index uses
  ``glasskafka-toctree`` (``_ext/folder_toctree.py``), which skips a glob into an empty folder.
* No network: intersphinx is not loaded, so a build offline gives the same site.
* Diagrams are Graphviz, rendered to SVG by the ``dot`` program.

Spec IDs: none (documentation).

Simplified from Kafka: Kafka's site (kafka.apache.org) is versioned HTML kept in a separate
repository; glasskafka's docs are built from the same commit as the code they describe.
"""

from __future__ import annotations

import pathlib
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent

# The package (reference/), the specs and model tests (the repository root) and the extensions.
for _path in (ROOT / "reference", ROOT, DOCS / "_ext"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import glasskafka  # noqa: E402  (needs the path above)

__all__: list[str] = []

project = "glasskafka"
author = "the glasskafka authors"
copyright = "the glasskafka authors; Apache Kafka is a trademark of the Apache Software Foundation"
release = glasskafka.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.graphviz",
    "folder_toctree",
    "layer_diagram",
    "bug_flag_list",
    "config_tables",
    "spec_catalogue",
    "tutorial_pages",
    "api_pages",
]

root_doc = "index"
# Keep quotes and dashes as written: "--override" is a flag and 'LOG-3' a string, not typography.
smartquotes = False
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store", "**/.*"]
nitpicky = False

# MyST: ``:::`` fences for directives, definition lists, and anchors on headings so that
# ``[text](page.md#a-heading)`` links work.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
python_use_unqualified_type_names = True

graphviz_output_format = "svg"
graphviz_dot = "dot"

html_theme = "furo"
html_title = f"glasskafka {release}"
html_static_path: list[str] = []

# Settings of the extensions in _ext/.
glasskafka_repository = str(ROOT)
glasskafka_layering_test = str(ROOT / "reference" / "tests" / "test_layering.py")
glasskafka_tutorials_dir = str(ROOT / "tutorials")
glasskafka_api_package = "glasskafka"
