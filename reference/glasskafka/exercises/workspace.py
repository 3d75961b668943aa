"""A student's workspace: written by ``exercise start``, read back by ``exercise check``.

Theory of operation
-------------------
:func:`start_workspace` writes a directory outside the installed package (by default
``./glasskafka-labs/<lab>/``) holding two files: the lab's template, a Python file with the
function to implement, its contract in the docstring and ``raise NotImplementedError`` as its
body; and a README with the goal, the commands and hints.  It refuses to touch a directory that
already exists, so a second ``start`` can never overwrite a student's work.

:func:`load_student` imports the student's file *by path*, under a private module name, without
adding its directory to ``sys.path``: the file cannot shadow a real module (a student file
called ``crc32c.py`` must not hide the ``crc32c`` package) and two labs never see each other.  A
file that does not compile, fails on import, or lacks a function the lab needs is bad input:
:class:`~glasskafka.errors.GlassKafkaError` with the file, the line and the reason, so the
command exits 2 with one clear message instead of a traceback.  So is a file whose import does
not finish within the time limit (``limits.time_limit``): a loop at module level.

Spec IDs: none (tooling).

Simplified from Kafka: not applicable; Kafka ships no exercises.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from glasskafka.errors import GlassKafkaError
from glasskafka.exercises.lab import STUDENT_MODULE_PREFIX, Lab, Student
from glasskafka.exercises.limits import DEFAULT_TIMEOUT_S, TimeLimitExceeded, time_limit

__all__ = [
    "DEFAULT_ROOT",
    "describe_exception",
    "load_student",
    "readme_text",
    "start_workspace",
    "student_file",
    "template_text",
    "workspace_dir",
]

DEFAULT_ROOT = Path("glasskafka-labs")
"""Where workspaces go when ``--dir`` is not given, relative to the current directory."""


def workspace_dir(lab: Lab, directory: str | Path | None) -> Path:
    """The workspace of ``lab``: ``directory`` if given, else ``./glasskafka-labs/<lab>``."""
    return Path(directory) if directory is not None else DEFAULT_ROOT / lab.name


def student_file(lab: Lab, directory: str | Path | None) -> Path:
    """The path of the file the student edits."""
    return workspace_dir(lab, directory) / lab.file_name


def template_text(lab: Lab) -> str:
    """The template file's text, as shipped in ``glasskafka.exercises.templates``."""
    files = importlib.resources.files("glasskafka.exercises.templates")
    return files.joinpath(f"{lab.template}.py").read_text(encoding="utf-8")


def readme_text(lab: Lab) -> str:
    """The workspace README: title, goal and hints, then the commands."""
    return (
        f"# Lab: {lab.title}\n\n"
        f"{lab.readme.strip()}\n\n"
        "## Commands\n\n"
        f"Edit `{lab.file_name}` (only the body of what it asks for), then run:\n\n"
        f"    glasskafka exercise check {lab.name} --dir .\n\n"
        "from this directory.  The verdict lists each check; a failure shows the smallest "
        "input found, what was expected and what your code returned.\n\n"
        f"The reference version is `{lab.reference}` in glasskafka: read it after you pass.\n"
    )


def start_workspace(lab: Lab, directory: str | Path | None = None) -> Path:
    """Create ``lab``'s workspace and return its directory.

    Raises :class:`GlassKafkaError` if the directory already exists (nothing is written then)
    or cannot be created.
    """
    target = workspace_dir(lab, directory)
    if target.exists():
        raise GlassKafkaError(
            f"workspace {str(target)!r} already exists; refusing to overwrite it "
            f"(check it with 'glasskafka exercise check {lab.name} --dir {target}', "
            "or pass another --dir)"
        )
    try:
        target.mkdir(parents=True)
        (target / lab.file_name).write_text(template_text(lab), encoding="utf-8")
        (target / "README.md").write_text(readme_text(lab), encoding="utf-8")
    except OSError as error:
        raise GlassKafkaError(f"cannot create workspace {str(target)!r}: {error}") from error
    return target


def load_student(
    lab: Lab, directory: str | Path | None = None, *, timeout_s: float | None = DEFAULT_TIMEOUT_S
) -> Student:
    """Import the student's file of ``lab`` by path; return its entry points by name.

    Raises :class:`GlassKafkaError` for a missing workspace or file, a syntax error (naming the
    line), an exception while importing, an import that runs longer than ``timeout_s``, or a
    missing or non-callable entry point.
    """
    path = student_file(lab, directory)
    if not path.parent.is_dir():
        raise GlassKafkaError(
            f"no workspace at {str(path.parent)!r}; create one with "
            f"'glasskafka exercise start {lab.name}'"
        )
    if not path.is_file():
        raise GlassKafkaError(f"the workspace has no {lab.file_name!r}; expected {str(path)!r}")
    source = _read(path)
    _compile(source, path)
    try:
        with time_limit(timeout_s):
            module = _execute(source, path, lab)
    except TimeLimitExceeded as timeout:
        raise GlassKafkaError(
            f"importing {path.name} {timeout}; does its top level loop forever?"
        ) from None
    return {name: _entry_point(module, name, path) for name in lab.entry_points}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GlassKafkaError(f"cannot read {str(path)!r}: {error}") from error


def _compile(source: str, path: Path) -> None:
    """Compile first, so a syntax error is reported with its line and nothing runs."""
    try:
        compile(source, str(path), "exec")
    except SyntaxError as error:
        if error.lineno is None:  # e.g. a NUL byte: Python names no line
            raise GlassKafkaError(f"{path.name} cannot be compiled: {error.msg}") from None
        line = (error.text or "").rstrip()
        caret = " " * max((error.offset or 1) - 1, 0) + "^"
        shown = f"\n    {line.strip()}\n    {caret[len(line) - len(line.lstrip()) :]}"
        raise GlassKafkaError(
            f"{path.name} line {error.lineno}: syntax error: {error.msg}" + (shown if line else "")
        ) from None
    except ValueError as error:  # e.g. a NUL byte in the source
        raise GlassKafkaError(f"{path.name} cannot be compiled: {error}") from None


def _execute(source: str, path: Path, lab: Lab) -> ModuleType:
    """Run the module body under a private name that no other import can collide with."""
    name = f"{STUDENT_MODULE_PREFIX}{lab.name.replace('-', '_')}_student"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None  # a .py path always has a loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop(name, None)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the student's module body failed: report where, then stop
        raise GlassKafkaError(
            f"importing {path.name} failed: {describe_exception(error, path)}"
        ) from None
    return module


def _entry_point(module: ModuleType, name: str, path: Path) -> Callable[..., Any]:
    found = getattr(module, name, None)
    if found is None:
        raise GlassKafkaError(f"{path.name} defines no {name!r}; the lab needs a function by name")
    if not callable(found):
        raise GlassKafkaError(f"{path.name}: {name!r} is a {type(found).__name__}, not a function")
    return found  # type: ignore[no-any-return]


def describe_exception(error: BaseException, path: Path) -> str:
    """``Type: message``, plus the line of ``path`` where it was raised, if it was."""
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            where = f" (raised at {path.name} line {frame.lineno}: {(frame.line or '').strip()})"
            break
    text = str(error)
    return f"{type(error).__name__}{': ' + text if text else ''}{where}"
