"""The meta-test: spec IDs, model tests, bug flags and docs are kept in step.

Theory of operation
-------------------
"Formally checked" is only as good as its bookkeeping.  An invariant that no model test checks
is a promise nobody verifies; one that no page explains is a check nobody understands; a bug
flag without a teeth test proves nothing.  This file keeps the pieces in step:

* every spec ID that ``specs.catalogue.load_all()`` registers is checked in some file under
  ``model_tests/`` (found as the quoted ID, ``"LOG-3"`` or ``'LOG-3'``, in a file other than this
  one) and named on some hand-written docs page (``docs/**/*.md`` outside the generated
  ``_generated/`` and the build output ``_build/``);
* every field of ``glasskafka.bugs.BugFlags`` has a ``CATALOGUE`` entry and every entry a field;
  each entry is complete, names spec IDs that exist, and points at a file that really reads the
  flag;
* every bug flag is named in some teeth test (a ``test_*.py`` under ``model_tests/``) and on the
  docs: by name on a hand-written page, or through the generated list that the
  ``{glasskafka-bug-flags}`` directive renders from the catalogue.

Each check is a function that returns the gaps it found, so the checks themselves have teeth:
the second half of this file runs every one of them on a small fabricated tree in ``tmp_path``
and asserts that it reports exactly the gaps planted there, and nothing in a tree without gaps.

Spec IDs: all of them (this file checks the bookkeeping of every ID, not any invariant).

Simplified from Kafka: Kafka has no such bookkeeping; its TLA+ specifications and its tests
live apart and are kept in step by reviewers.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Iterable, Mapping

from glasskafka.bugs import CATALOGUE, BugFlags, BugInfo

from specs.catalogue import load_all

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODEL_TESTS = ROOT / "model_tests"
DOCS = ROOT / "docs"
REFERENCE = ROOT / "reference"
THIS_FILE = pathlib.Path(__file__).resolve()

BUG_LIST_DIRECTIVE = "{glasskafka-bug-flags}"
"""The directive (``docs/_ext/bug_flag_list.py``) that renders every catalogue entry on a page."""

_NOT_HAND_WRITTEN = frozenset({"_generated", "_build"})


# ---------------------------------------------------------------------------------------------
# Finding things in files


def _read(path: pathlib.Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def hand_written_pages(docs: pathlib.Path) -> list[pathlib.Path]:
    """Markdown pages under ``docs`` written by hand: not generated, built or hidden."""
    if not docs.is_dir():
        return []
    return sorted(
        path
        for path in docs.rglob("*.md")
        if not any(
            part in _NOT_HAND_WRITTEN or part.startswith(".")
            for part in path.relative_to(docs).parts
        )
    )


def _python_files(folder: pathlib.Path, *, skip: pathlib.Path) -> list[pathlib.Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*.py") if path.resolve() != skip.resolve())


def _quoted(spec_id: str) -> re.Pattern[str]:
    return re.compile(rf"([\"']){re.escape(spec_id)}\1")


def _mentioned(spec_id: str) -> re.Pattern[str]:
    # A whole ID: LOG-3 must not be found inside LOG-30 or XLOG-3.
    return re.compile(rf"(?<![A-Za-z0-9-]){re.escape(spec_id)}(?![0-9])")


def _named(identifier: str) -> re.Pattern[str]:
    # A whole identifier: a flag "drop" must not be found inside "drop_fetch".
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(identifier)}(?![A-Za-z0-9_])")


# ---------------------------------------------------------------------------------------------
# The checks.  Each returns the gaps it found, in a stable order; an empty list means in step.


def unchecked_spec_ids(
    spec_ids: Iterable[str], model_tests: pathlib.Path, *, skip: pathlib.Path
) -> list[str]:
    """Spec IDs that no file under ``model_tests`` but ``skip`` names as a quoted string."""
    texts = [_read(path) for path in _python_files(model_tests, skip=skip)]
    return [i for i in spec_ids if not any(_quoted(i).search(text) for text in texts)]


def unexplained_spec_ids(spec_ids: Iterable[str], docs: pathlib.Path) -> list[str]:
    """Spec IDs that no hand-written docs page names."""
    texts = [_read(path) for path in hand_written_pages(docs)]
    return [i for i in spec_ids if not any(_mentioned(i).search(text) for text in texts)]


def bug_catalogue_gaps(flag_names: Iterable[str], catalogue: Mapping[str, BugInfo]) -> list[str]:
    """Disagreements between the ``BugFlags`` fields and ``CATALOGUE``, and incomplete entries."""
    names = list(flag_names)
    gaps = [f"{name}: a BugFlags field with no CATALOGUE entry" for name in names]
    gaps = [gap for gap, name in zip(gaps, names, strict=True) if name not in catalogue]
    for key, info in catalogue.items():
        if key not in names:
            gaps.append(f"{key}: a CATALOGUE entry with no BugFlags field")
        if info.name != key:
            gaps.append(f"{key}: its entry is named {info.name!r}")
        for part in ("summary", "location", "source"):
            if not getattr(info, part).strip():
                gaps.append(f"{key}: the entry has an empty {part}")
        if not info.breaks:
            gaps.append(f"{key}: the entry names no invariant that the flag breaks")
    return gaps


def unknown_broken_spec_ids(catalogue: Mapping[str, BugInfo], spec_ids: Iterable[str]) -> list[str]:
    """``flag: ID`` for every ID a catalogue entry says it breaks that no spec registers."""
    known = set(spec_ids)
    return [
        f"{name}: {spec_id}"
        for name, info in catalogue.items()
        for spec_id in info.breaks
        if spec_id not in known
    ]


def misplaced_bug_flags(catalogue: Mapping[str, BugInfo], reference: pathlib.Path) -> list[str]:
    """Flags whose catalogue ``location`` is not a file under ``reference`` that names the flag."""
    gaps = []
    for name, info in catalogue.items():
        path = reference / info.location
        if not path.is_file():
            gaps.append(f"{name}: {info.location} does not exist")
        elif not _named(name).search(_read(path)):
            gaps.append(f"{name}: {info.location} never reads the flag")
    return gaps


def bug_flags_without_teeth(
    flag_names: Iterable[str], model_tests: pathlib.Path, *, skip: pathlib.Path
) -> list[str]:
    """Flags that no ``test_*.py`` under ``model_tests`` (other than ``skip``) names."""
    tests = [p for p in _python_files(model_tests, skip=skip) if p.name.startswith("test_")]
    texts = [_read(path) for path in tests]
    return [n for n in flag_names if not any(_named(n).search(text) for text in texts)]


def undocumented_bug_flags(flag_names: Iterable[str], docs: pathlib.Path) -> list[str]:
    """Flags named on no hand-written page, unless a page renders the generated list of all."""
    texts = [_read(path) for path in hand_written_pages(docs)]
    if any(BUG_LIST_DIRECTIVE in text for text in texts):
        return []
    return [n for n in flag_names if not any(_named(n).search(text) for text in texts)]


def _flag_names() -> list[str]:
    return [field.name for field in dataclasses.fields(BugFlags)]


# ---------------------------------------------------------------------------------------------
# The real tree


def test_every_spec_id_is_checked_by_a_model_test() -> None:
    gaps = unchecked_spec_ids(load_all(), MODEL_TESTS, skip=THIS_FILE)
    assert not gaps, f"spec IDs that no file under model_tests/ checks: {', '.join(gaps)}"


def test_every_spec_id_is_explained_on_a_docs_page() -> None:
    gaps = unexplained_spec_ids(load_all(), DOCS)
    assert not gaps, f"spec IDs that no hand-written page under docs/ names: {', '.join(gaps)}"


def test_every_bug_flag_has_a_complete_catalogue_entry() -> None:
    gaps = bug_catalogue_gaps(_flag_names(), CATALOGUE)
    assert not gaps, "glasskafka.bugs is out of step:\n  " + "\n  ".join(gaps)


def test_every_broken_invariant_is_a_registered_spec() -> None:
    gaps = unknown_broken_spec_ids(CATALOGUE, load_all())
    assert not gaps, "CATALOGUE names unregistered spec IDs:\n  " + "\n  ".join(gaps)


def test_every_bug_flag_acts_where_the_catalogue_says() -> None:
    gaps = misplaced_bug_flags(CATALOGUE, REFERENCE)
    assert not gaps, "CATALOGUE locations that do not read their flag:\n  " + "\n  ".join(gaps)


def test_every_bug_flag_has_a_teeth_test() -> None:
    gaps = bug_flags_without_teeth(_flag_names(), MODEL_TESTS, skip=THIS_FILE)
    assert not gaps, f"bug flags that no model_tests/test_*.py names: {', '.join(gaps)}"


def test_every_bug_flag_is_on_a_docs_page() -> None:
    gaps = undocumented_bug_flags(_flag_names(), DOCS)
    assert not gaps, f"bug flags missing from the docs: {', '.join(gaps)}"


# ---------------------------------------------------------------------------------------------
# Teeth: each check, run on a fabricated tree, reports exactly the gaps planted in it


def _write(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _info(name: str, **changes: object) -> BugInfo:
    fields: dict[str, object] = {
        "name": name,
        "summary": "what goes wrong",
        "breaks": ("LOG-1",),
        "location": f"glasskafka/log/{name}.py",
        "source": "KIP-101",
    }
    return BugInfo(**(fields | changes))  # type: ignore[arg-type]


def test_unchecked_spec_ids_has_teeth(tmp_path: pathlib.Path) -> None:
    meta = tmp_path / "test_meta_specs.py"
    _write(meta, 'check("LOG-2", [])\n')  # the meta-test itself does not count
    _write(tmp_path / "test_log.py", 'check("LOG-1", violations)\ncheck("LOG-12", [])\n')
    _write(tmp_path / "test_more.py", 'check("LOG-60", [])\n')  # does not check LOG-6
    _write(tmp_path / "machines" / "log.py", "match='LOG-3'\n")  # any .py file counts
    _write(tmp_path / "notes.txt", '"LOG-4"\n')  # but not other files
    _write(tmp_path / "test_other.py", "# LOG-5 is only mentioned, never quoted\n")
    registry = ["LOG-1", "LOG-2", "LOG-3", "LOG-4", "LOG-5", "LOG-6", "LOG-12", "LOG-120"]
    assert unchecked_spec_ids(registry, tmp_path, skip=meta) == [
        "LOG-2",
        "LOG-4",
        "LOG-5",
        "LOG-6",
        "LOG-120",
    ]
    assert unchecked_spec_ids(["LOG-1", "LOG-3"], tmp_path, skip=meta) == []
    assert unchecked_spec_ids(["LOG-1"], tmp_path / "missing", skip=meta) == ["LOG-1"]


def test_unexplained_spec_ids_has_teeth(tmp_path: pathlib.Path) -> None:
    _write(tmp_path / "concepts" / "log.md", "LOG-1 says offsets grow; see LOG-30.\n")
    _write(tmp_path / "guide" / "x.md", "(LOG-4) and XLOG-5\n")
    _write(tmp_path / "_generated" / "specs.md", "LOG-2\n")  # generated: does not count
    _write(tmp_path / "_build" / "page.md", "LOG-2\n")  # build output: does not count
    _write(tmp_path / "concepts" / "notes.txt", "LOG-2\n")  # not a page
    registry = ["LOG-1", "LOG-2", "LOG-3", "LOG-4", "LOG-5", "LOG-30"]
    assert unexplained_spec_ids(registry, tmp_path) == ["LOG-2", "LOG-3", "LOG-5"]
    assert unexplained_spec_ids(["LOG-1", "LOG-4", "LOG-30"], tmp_path) == []


def test_bug_catalogue_gaps_has_teeth() -> None:
    catalogue = {
        "b": _info("b"),
        "c": _info("c"),
        "d": _info("dd", summary=" ", breaks=()),
    }
    assert bug_catalogue_gaps(["a", "b", "d"], catalogue) == [
        "a: a BugFlags field with no CATALOGUE entry",
        "c: a CATALOGUE entry with no BugFlags field",
        "d: its entry is named 'dd'",
        "d: the entry has an empty summary",
        "d: the entry names no invariant that the flag breaks",
    ]
    assert bug_catalogue_gaps(["b"], {"b": _info("b")}) == []


def test_unknown_broken_spec_ids_has_teeth() -> None:
    catalogue = {"a": _info("a", breaks=("LOG-1", "LOG-9")), "b": _info("b")}
    assert unknown_broken_spec_ids(catalogue, ["LOG-1"]) == ["a: LOG-9"]
    assert unknown_broken_spec_ids(catalogue, ["LOG-1", "LOG-9"]) == []


def test_misplaced_bug_flags_has_teeth(tmp_path: pathlib.Path) -> None:
    _write(tmp_path / "glasskafka" / "log" / "a.py", "if bugs.a:\n    offset += 1\n")
    _write(tmp_path / "glasskafka" / "log" / "b.py", "if bugs.b_other:\n    pass\n")
    catalogue = {"a": _info("a"), "b": _info("b"), "c": _info("c")}
    assert misplaced_bug_flags(catalogue, tmp_path) == [
        "b: glasskafka/log/b.py never reads the flag",
        "c: glasskafka/log/c.py does not exist",
    ]
    assert misplaced_bug_flags({"a": _info("a")}, tmp_path) == []


def test_bug_flags_without_teeth_has_teeth(tmp_path: pathlib.Path) -> None:
    meta = tmp_path / "test_meta_specs.py"
    _write(meta, "BugFlags.only('c')\n")  # the meta-test itself does not count
    _write(tmp_path / "test_log_model.py", "BugFlags(a=True)\nBugFlags.only('b_slow')\n")
    _write(tmp_path / "machines.py", "BugFlags(b=True)\n")  # not a test file
    assert bug_flags_without_teeth(["a", "b", "c"], tmp_path, skip=meta) == ["b", "c"]
    assert bug_flags_without_teeth(["a", "b_slow"], tmp_path, skip=meta) == []


def test_undocumented_bug_flags_has_teeth(tmp_path: pathlib.Path) -> None:
    _write(tmp_path / "concepts" / "log.md", "Switch on `a` to see it; `b_x` is another.\n")
    _write(tmp_path / "_generated" / "flags.md", "b\n")  # generated: does not count
    assert undocumented_bug_flags(["a", "b"], tmp_path) == ["b"]
    _write(tmp_path / "concepts" / "bug-flags.md", "```" + BUG_LIST_DIRECTIVE + "\n```\n")
    assert undocumented_bug_flags(["a", "b"], tmp_path) == []


def test_hand_written_pages_leaves_out_generated_build_and_hidden_pages(
    tmp_path: pathlib.Path,
) -> None:
    for page in ("index.md", "concepts/a.md", "_generated/b.md", "_build/c.md", ".venv/d.md"):
        _write(tmp_path / page, "# T\n")
    found = [path.relative_to(tmp_path).as_posix() for path in hand_written_pages(tmp_path)]
    assert found == ["concepts/a.md", "index.md"]
    assert hand_written_pages(tmp_path / "missing") == []
