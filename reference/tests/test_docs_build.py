"""The documentation site builds with warnings as errors and shows what the code generates.

Theory of operation
-------------------
The site (``docs/``) is built once per test process with ``python -m sphinx -W --keep-going -b
html``, exactly as a student or CI would build it, and the tests then read the HTML.  Besides
"it builds", they check that every generated part is there and complete: the layer picture
carries every package of the layering test's ``LAYERS`` table, the spec catalogue every
registered ID, the bug-flag page every flag, the configuration page every property, and the API
reference a page per module.  The code examples on the concept pages are run, so the docs cannot
show code that does not work.

The docs extensions in ``docs/_ext/`` are input surfaces too (the layering test's source, a
docstring, a table cell, a tutorial folder), so their helpers get direct tests with awkward
input, and the tutorial wiring is built for real on a throwaway Sphinx project in ``tmp_path``
with a chapter written there, never in ``tutorials/``.

Spec IDs: none.

Simplified from Kafka: Kafka's site is not built by its test suite.
"""

from __future__ import annotations

import dataclasses
import html
import importlib
import importlib.util
import pathlib
import re
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from typing import Any

import pytest
from glasskafka import bugs, config

from model_tests.support import require_tool
from specs.catalogue import load_all

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXTENSIONS = DOCS / "_ext"
PACKAGE = ROOT / "reference" / "glasskafka"


def _extension(name: str) -> Any:
    """Import a module of ``docs/_ext`` (they import each other by bare name, as Sphinx does)."""
    if str(EXTENSIONS) not in sys.path:
        sys.path.insert(0, str(EXTENSIONS))
    return importlib.import_module(name)


def _sphinx(source: pathlib.Path, out: pathlib.Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
    return subprocess.run(
        [*command, str(source), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """A finished build: where it went and what Sphinx printed."""

    out: pathlib.Path
    result: subprocess.CompletedProcess[str]

    def page(self, name: str) -> str:
        """The HTML of page ``name`` (``concepts/architecture``).

        With ``--keep-going`` Sphinx writes every page even when a warning fails the build, so
        the content tests judge the content and leave the warnings to the first test.
        """
        path = self.out / f"{name}.html"
        assert path.is_file(), f"{name}.html was not built\n{_report(self.result)}"
        return path.read_text(encoding="utf-8")


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"sphinx failed ({result.returncode}):\n{result.stderr[-8000:]}\n{result.stdout[-2000:]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    require_tool("dot")
    out = tmp_path_factory.mktemp("site")
    return Site(out=out, result=_sphinx(DOCS, out))


def _svg_texts(site: Site, page: str) -> list[str]:
    """The text of every SVG picture that page ``page`` shows."""
    pictures = re.findall(r'(?:data|src)="([^"]+\.svg)"', site.page(page))
    base = (site.out / page).parent
    return [(base / html.unescape(path)).resolve().read_text(encoding="utf-8") for path in pictures]


def _words(svg: str) -> set[str]:
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return {word for label in labels for word in html.unescape(label).split()}


# ---------------------------------------------------------------------------------------------
# The real site


@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors(site: Site) -> None:
    assert site.result.returncode == 0, _report(site.result)
    assert (site.out / "index.html").is_file()


@pytest.mark.slow
def test_the_layer_picture_is_drawn_from_the_layering_test(site: Site) -> None:
    spec = importlib.util.spec_from_file_location(
        "layering", ROOT / "reference/tests/test_layering.py"
    )
    assert spec is not None and spec.loader is not None
    layering = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layering)
    packages = {name for layer in layering.LAYERS for name in layer} - {"__init__"}
    pictures = [_words(svg) for svg in _svg_texts(site, "concepts/architecture")]
    assert len(pictures) >= 2, "the architecture page needs its layer and node-contract pictures"
    assert any(packages <= words for words in pictures), "no picture names every layer"
    contract = next(words for words in pictures if "SetTimer" in words)
    assert {"inputs", "outputs", "driver", "Send", "CancelTimer"} <= contract


@pytest.mark.slow
def test_the_spec_catalogue_lists_every_registered_spec(site: Site) -> None:
    page = html.unescape(site.page("_generated/specs"))
    assert "Specification catalogue" in page
    for spec in load_all().values():
        assert f'id="spec-{spec.id.lower()}"' in page, spec.id
        assert spec.title in page, spec.id
        assert f"{spec.module}.{spec.function}" in page, spec.id


@pytest.mark.slow
def test_the_bug_flag_page_lists_every_flag(site: Site) -> None:
    page = html.unescape(site.page("concepts/bug-flags"))
    for field in dataclasses.fields(bugs.BugFlags):
        assert field.name in page
        info = bugs.CATALOGUE.get(field.name)
        if info is not None:
            assert info.location in page


@pytest.mark.slow
def test_the_configuration_page_lists_every_property(site: Site) -> None:
    page = html.unescape(site.page("concepts/configuration"))
    for cls in (config.BrokerConfig, config.TopicConfig, config.CoordinationConfig):
        for field in dataclasses.fields(cls):
            name = field.metadata["kafka"]
            assert f">{name}</span></code>" in page, name
    assert "1073741824" in page and "(1 GiB)" in page


@pytest.mark.slow
def test_the_api_reference_documents_every_module(site: Site) -> None:
    api_pages = _extension("api_pages")
    modules = api_pages.discover_modules(PACKAGE, "glasskafka")
    assert ("glasskafka.config", False) in modules
    for name, _ in modules:
        page = site.page(f"_generated/api/{api_pages.page_of(name, 'glasskafka')}")
        assert f'id="module-{name}"' in page, name


@pytest.mark.slow
def test_every_tutorial_chapter_has_a_page(site: Site) -> None:
    index = site.page("_generated/tutorials/index")
    chapters = sorted((ROOT / "tutorials").glob("ch*/chapter.md"))
    for chapter in chapters:
        page = site.page(f"_generated/tutorials/{chapter.parent.name}/index")
        title = chapter.read_text(encoding="utf-8").split("\n", 1)[0].removeprefix("# ")
        assert html.escape(title, quote=False) in page
    if not chapters:
        assert "No chapters have been written yet." in index


# ---------------------------------------------------------------------------------------------
# The code on the concept pages runs


def _python_blocks(page: pathlib.Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)


@pytest.fixture
def scratch_module() -> Iterator[types.ModuleType]:
    """A throwaway module to run a page's examples in (dataclasses need a real module)."""
    module = types.ModuleType("docs_example")
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


@pytest.mark.parametrize("page", ["node-contract", "configuration", "bug-flags"])
def test_the_code_on_a_concept_page_runs(page: str, scratch_module: types.ModuleType) -> None:
    blocks = _python_blocks(DOCS / "concepts" / f"{page}.md")
    assert blocks, f"{page}.md has no python examples"
    for block in blocks:
        exec(compile(block, f"docs/concepts/{page}.md", "exec"), scratch_module.__dict__)


def test_the_node_contract_example_really_exchanges_a_ping(
    scratch_module: types.ModuleType,
) -> None:
    for block in _python_blocks(DOCS / "concepts" / "node-contract.md"):
        exec(compile(block, "node-contract.md", "exec"), scratch_module.__dict__)
    pinger = scratch_module.__dict__["pinger"]
    assert pinger.answered == [0]
    assert pinger.next_sequence == 2  # two pings were sent; the second was lost


# ---------------------------------------------------------------------------------------------
# The extensions' helpers, with awkward input


def test_the_layer_table_is_read_without_importing_the_test(tmp_path: pathlib.Path) -> None:
    layer_diagram = _extension("layer_diagram")
    source = tmp_path / "test_layering.py"
    source.write_text(
        'raise SystemExit("importing this would stop the build")\n'
        'LAYERS: list[set[str]] = [{"ids", "__init__"}, {"zeta", "alpha"}, {"__init__"}]\n',
        encoding="utf-8",
    )
    layers = layer_diagram.read_layers(source)
    assert layers == [["ids"], ["alpha", "zeta"], []]
    dot = layer_diagram.layers_dot(layers)
    assert 'layer1 [label="1  alpha · zeta"];' in dot
    assert 'layer2 [label="2  (no package)"];' in dot
    assert "layer2 -> layer1" in dot and "layer1 -> layer0" in dot


@pytest.mark.parametrize(
    "source",
    [
        None,  # no file at all
        "def broken(:\n",
        "LAYERS = make_layers()\n",
        "LAYERS = [{'a'}, 3]\n",
        "LAYERS = {'a': 1}\n",
        "OTHER = [{'a'}]\n",
    ],
)
def test_a_bad_layer_table_is_a_clear_build_error(
    source: str | None, tmp_path: pathlib.Path
) -> None:
    from sphinx.errors import ExtensionError

    path = tmp_path / "test_layering.py"
    if source is not None:
        path.write_text(source, encoding="utf-8")
    with pytest.raises(ExtensionError, match=re.escape(str(path))):
        _extension("layer_diagram").read_layers(path)


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("plain", "plain"),
        ("a | b", "a \\| b"),
        ("back\\slash", "back\\\\slash"),
        ("two\n  lines", "two lines"),
    ],
)
def test_table_cells_are_escaped(text: str, cell: str) -> None:
    assert _extension("generated_files").table_cell(text) == cell


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("log.dirs", "`log.dirs`"),
        ("a|b", "`a\\|b`"),
        ("uses `ticks`", "`` uses `ticks` ``"),  # CommonMark strips one space each side
        ("``", "``` `` ```"),
        ("", "(empty)"),
    ],
)
def test_code_cells_survive_backticks_and_pipes(text: str, cell: str) -> None:
    assert _extension("generated_files").code_cell(text) == cell


def test_generated_files_are_rewritten_only_when_changed(tmp_path: pathlib.Path) -> None:
    generated = _extension("generated_files")
    page = tmp_path / "a" / "page.md"
    assert generated.write_if_changed(page, "one")
    assert not generated.write_if_changed(page, "one")
    assert generated.write_if_changed(page, b"two")
    assert page.read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "page.md"]  # no temporary left
    (tmp_path / "a" / "old" / "gone.md").parent.mkdir()
    (tmp_path / "a" / "old" / "gone.md").write_text("x", encoding="utf-8")
    assert generated.remove_stale(tmp_path / "a", [page]) == [tmp_path / "a" / "old" / "gone.md"]
    assert not (tmp_path / "a" / "old").exists()
    assert generated.remove_stale(tmp_path / "missing", []) == []


@pytest.mark.parametrize(
    ("pattern", "folder"),
    [
        ("guide/*", "guide/"),
        ("*", ""),
        ("a/b/c?", "a/b/"),
        ("plain/page", "plain/"),
        ("x[ab]/y", ""),
    ],
)
def test_the_folder_of_a_toctree_glob(pattern: str, folder: str) -> None:
    assert _extension("folder_toctree").glob_folder(pattern) == folder


@pytest.mark.parametrize(("typo", "builds"), [(False, True), (True, False)])
def test_a_glob_into_an_empty_folder_is_quiet_but_a_typo_is_not(
    typo: bool, builds: bool, tmp_path: pathlib.Path
) -> None:
    docs = tmp_path / "docs"
    (docs / "concepts").mkdir(parents=True)
    (docs / "guide").mkdir()  # exists, but holds no page yet
    (docs / "concepts" / "a.md").write_text("# A\n", encoding="utf-8")
    (docs / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXTENSIONS)!r})\n"
        'extensions = ["myst_parser", "folder_toctree"]\n',
        encoding="utf-8",
    )
    globs = ["concepts/*", "guide/*", "benchmarks/*"] + (["concepts/zz*"] if typo else [])
    (docs / "index.md").write_text(
        "# Home\n\n```{glasskafka-toctree}\n:glob:\n\n" + "\n".join(globs) + "\n```\n",
        encoding="utf-8",
    )
    result = _sphinx(docs, tmp_path / "out")
    assert (result.returncode == 0) is builds, _report(result)
    if builds:
        assert "concepts/a.html" in (tmp_path / "out" / "index.html").read_text("utf-8")
    else:
        assert "toctree glob pattern 'concepts/zz*' didn't match any documents" in result.stderr


@pytest.mark.parametrize(
    ("value", "name", "shown"),
    [
        (None, "log.dirs", "unset"),
        (True, "auto.create.topics.enable", "`true`"),
        (1073741824, "log.segment.bytes", "`1073741824` (1 GiB)"),
        (604800000, "segment.ms", "`604800000` (7 d)"),
        (4096, "index.interval.bytes", "`4096` (4 KiB)"),
        (1048588, "message.max.bytes", "`1048588`"),  # not a round size
        (-1, "retention.ms", "`-1`"),
        ("a|b", "x", "`a\\|b`"),
    ],
)
def test_config_defaults_are_shown_as_a_properties_file_spells_them(
    value: object, name: str, shown: str
) -> None:
    assert _extension("config_tables").show_default(value, kafka_name=name) == shown


def test_the_bug_flag_list_marks_gaps_instead_of_hiding_them() -> None:
    info = bugs.BugInfo(
        name="a", summary="It | breaks.", breaks=("LOG-1", "LOG-2"), location="x.py", source="s"
    )
    lines = _extension("bug_flag_list").bug_flag_markdown(
        ["a", "b"], {"a": info}, frozenset({"LOG-1"})
    )
    text = "\n".join(lines)
    assert "- **`a`**: It | breaks." in text
    assert "{ref}`LOG-1 <spec-log-1>`, LOG-2 (not yet in the spec catalogue)" in text
    assert "- **`b`**: not described in `glasskafka.bugs.CATALOGUE` yet." in text
    assert _extension("bug_flag_list").bug_flag_markdown([], {}, frozenset()) == [
        "No bug flags are defined yet."
    ]


def test_docstring_section_headings_become_rubrics() -> None:
    lines = ["Summary.", "", "Theory of operation", "-------------------", "Text.", "Short", "--"]
    _extension("api_pages").rubric_headings(lines)
    assert lines == [
        "Summary.",
        "",
        "",
        ".. rubric:: Theory of operation",
        "",
        "Text.",
        "Short",
        "--",  # too short to underline "Short": left alone
    ]


def test_one_api_page_per_top_level_unit() -> None:
    api_pages = _extension("api_pages")
    assert api_pages.page_of("pkg", "pkg") == "pkg"
    assert api_pages.page_of("pkg.config", "pkg") == "pkg.config"
    assert api_pages.page_of("pkg.log.segment", "pkg") == "pkg.log"
    page = api_pages.unit_page("pkg.log", [("pkg.log.segment", False), ("pkg.log", True)])
    assert page.index(".. automodule:: pkg.log\n```") < page.index("## pkg.log.segment")
    assert ".. automodule:: pkg.log.segment\n   :members:" in page
    headless = api_pages.unit_page("pkg.sim", [("pkg.sim.clock", False)])  # no __init__.py
    assert "# pkg.sim\n\n## pkg.sim.clock\n" in headless


def test_module_discovery_skips_main_and_non_identifiers(tmp_path: pathlib.Path) -> None:
    for name in (
        "__init__.py",
        "a.py",
        "sub/__init__.py",
        "sub/b.py",
        "__main__.py",
        "bad-name.py",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    assert _extension("api_pages").discover_modules(tmp_path, "pkg") == [
        ("pkg", True),
        ("pkg.a", False),
        ("pkg.sub", True),
        ("pkg.sub.b", False),
    ]


def test_the_spec_catalogue_page_handles_an_empty_and_an_unknown_prefix(
    tmp_path: pathlib.Path,
) -> None:
    catalogue = _extension("spec_catalogue")
    assert "No specification is registered yet." in catalogue.catalogue_markdown([], tmp_path)

    @dataclasses.dataclass
    class FakeSpec:
        id: str
        title: str
        statement: str
        module: str
        function: str
        kind: str

    (tmp_path / "model_tests").mkdir()
    (tmp_path / "model_tests" / "test_x.py").write_text('check("ZZ-1", [])\n', encoding="utf-8")
    spec = FakeSpec("ZZ-1", "A title", "Uses :class:`~a.b.Thing`.", "specs.zz", "f", "state")
    text = catalogue.catalogue_markdown([spec], tmp_path / "model_tests")
    assert "## ZZ\n" in text and "(spec-zz-1)=\n### ZZ-1: A title" in text
    assert "Uses `a.b.Thing`." in text and "`model_tests/test_x.py`" in text


# ---------------------------------------------------------------------------------------------
# Tutorials wired in, built for real on a throwaway project

CHAPTER = """\
# Counting to three

The script beside this chapter prints three lines:
```{literalinclude} count.py
```
"""


def _tutorial_project(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    tutorials = tmp_path / "tutorials"
    (docs / "conf.py").write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(EXTENSIONS)!r})
            extensions = ["myst_parser", "tutorial_pages"]
            glasskafka_tutorials_dir = {str(tutorials)!r}
            """
        ),
        encoding="utf-8",
    )
    (docs / "index.md").write_text(
        "# Home\n\n```{toctree}\n_generated/tutorials/index\n```\n", encoding="utf-8"
    )
    return docs, tutorials


def test_tutorial_chapters_become_pages(tmp_path: pathlib.Path) -> None:
    docs, tutorials = _tutorial_project(tmp_path)
    chapter = tutorials / "ch01_counting"
    chapter.mkdir(parents=True)
    (chapter / "chapter.md").write_text(CHAPTER, encoding="utf-8")
    (chapter / "count.py").write_text("for n in (1, 2, 3):\n    print(n)\n", encoding="utf-8")
    (chapter / "__pycache__").mkdir()
    (chapter / "__pycache__" / "count.cpython-311.pyc").write_bytes(b"\0")
    (chapter / "notes.md").write_text("# Not a page\n", encoding="utf-8")
    (tutorials / "drafts").mkdir()  # not a ch* folder: ignored

    result = _sphinx(docs, tmp_path / "out")
    assert result.returncode == 0, _report(result)
    page = (tmp_path / "out" / "_generated/tutorials/ch01_counting/index.html").read_text("utf-8")
    assert "Counting to three" in page and "print" in page
    index = (tmp_path / "out" / "_generated/tutorials/index.html").read_text("utf-8")
    assert "ch01_counting/index.html" in index
    copies = sorted(p.name for p in (docs / "_generated/tutorials/ch01_counting").iterdir())
    assert copies == ["count.py", "index.md"]

    # Remove the chapter: its page and copies go, and the index says there are none.
    for path in sorted(chapter.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    chapter.rmdir()
    result = _sphinx(docs, tmp_path / "out2")
    assert result.returncode == 0, _report(result)
    assert not (docs / "_generated/tutorials/ch01_counting").exists()
    index = (tmp_path / "out2" / "_generated/tutorials/index.html").read_text("utf-8")
    assert "No chapters have been written yet." in index


def test_no_tutorials_folder_builds_cleanly(tmp_path: pathlib.Path) -> None:
    docs, tutorials = _tutorial_project(tmp_path)
    assert not tutorials.exists()
    result = _sphinx(docs, tmp_path / "out")
    assert result.returncode == 0, _report(result)
    index = (tmp_path / "out" / "_generated/tutorials/index.html").read_text("utf-8")
    assert "No chapters have been written yet." in index
