"""Runs a tutorial chapter's scripts and holds the chapter's text to what they print.

Every chapter under ``tutorials/chNN_<slug>/`` keeps one rule: **its text cannot drift from its
code.**  ``chapter.md`` shows what a script prints in a ```` ```text ```` listing placed right
after a ``% output: <script>`` line, and shows its pictures as ```` ```{graphviz} <name>.dot ````
files, which the chapter's drawing script prints through :func:`draw_figure` (``draw_pictures
FIGURE`` or ``--list``).  Each chapter's test builds one :class:`Chapter` and uses it to

* run a script as a student would, ``python -m tutorials.<chapter>.<script>`` from the
  repository root (:meth:`Chapter.run`, :meth:`Chapter.printed`);
* read the listings (:meth:`Chapter.listings`) and check that every listed line is printed, in
  the listing's order, with any other lines allowed between them, since a listing may skip the
  parts the prose does not discuss (:func:`in_order`, :meth:`Chapter.check_listings`);
* check that each ``.dot`` file the chapter shows is exactly what its drawing script prints today,
  and that Graphviz renders it (:meth:`Chapter.check_picture`, :meth:`Chapter.render`).

What differs from chapter to chapter is a parameter, never a second copy: how long a script may
run (``timeout_s``), the environment it runs in (``environment``, e.g. a fixed
``PYTHONHASHSEED``), the exit status expected and the arguments given (:meth:`Chapter.run`), and
how a listed line is compared with a printed one (``key``: ``str.rstrip`` to ignore trailing
blanks, or a function giving a line's shape where the figures differ on every run).  The
chapter's own story checks, the claims its prose makes, stay in its test file.

Spec IDs: none.

Simplified from Kafka: not applicable (test tooling for the tutorial; Kafka has no counterpart).
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from model_tests.support import require_tool

__all__ = [
    "ROOT",
    "Chapter",
    "Listing",
    "draw_figure",
    "glasskafka_cli",
    "in_order",
]

ROOT = pathlib.Path(__file__).resolve().parents[1]
"""The repository root: scripts run from here, as the chapters tell students to run them."""

# A listing is the ```text block that follows a `% output: <script>` line (a MyST comment, so
# the marker does not show in the built docs).
_LISTING = re.compile(r"^% output: (\w+)\n```text\n(.*?)\n```", flags=re.M | re.S)
_PICTURE = re.compile(r"^```\{graphviz\} (\S+)\.dot\n```", flags=re.M)


class Listing(NamedTuple):
    """One listing of ``chapter.md``: the script it quotes and its lines, as written."""

    script: str
    lines: list[str]


def _first_not_in_order(
    lines: Sequence[str], printed: Sequence[str], key: Callable[[str], str] | None
) -> int | None:
    """The index of the first of ``lines`` not found in ``printed`` after the ones before it."""
    compare = key or (lambda line: line)
    have = [compare(line) for line in printed]
    position = 0
    for index, line in enumerate(lines):
        try:
            position = have.index(compare(line), position) + 1
        except ValueError:
            return index
    return None


def in_order(
    lines: Sequence[str], printed: Sequence[str], *, key: Callable[[str], str] | None = None
) -> bool:
    """Whether ``lines`` appear in ``printed`` in the same order (others may come between).

    Lines are compared exactly, or as ``key`` maps them when it is given (``str.rstrip`` ignores
    trailing blanks).
    """
    return _first_not_in_order(lines, printed, key) is None


def glasskafka_cli(
    *args: str, status: int = 0, timeout_s: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run ``glasskafka <args>`` from the repository root; fail unless it exits with ``status``.

    It runs through ``python -c`` with this interpreter, so it is the checkout's own command
    whether or not the ``glasskafka`` entry point is installed.
    """
    program = "import sys; from glasskafka.cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    assert result.returncode == status, result.stderr
    return result


@dataclass(frozen=True, slots=True, kw_only=True)
class Chapter:
    """One chapter's folder: its scripts, its text, its listings and its pictures.

    ``directory`` is the chapter's folder (``tutorials/chNN_<slug>``); ``timeout_s`` bounds every
    script run; ``environment`` is set, over the test's own, for every script run.
    """

    directory: pathlib.Path
    timeout_s: float = 300.0
    environment: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def package(self) -> str:
        """``tutorials.<chapter>``, the package its scripts run in."""
        return f"tutorials.{self.directory.name}"

    def command(self, script: str, *args: str) -> list[str]:
        """The command line that runs ``script`` with ``args``, as the chapter shows it."""
        return [sys.executable, "-m", f"{self.package}.{script}", *args]

    def run(
        self,
        script: str,
        *args: str,
        status: int = 0,
        environment: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``script`` from the repository root; fail unless it exits with ``status``.

        ``environment`` is set over the chapter's own for this run only.
        """
        result = subprocess.run(
            self.command(script, *args),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=self.timeout_s,
            env={**os.environ, **self.environment, **(environment or {})},
        )
        assert result.returncode == status, result.stderr
        return result

    def printed(self, script: str, *args: str, environment: Mapping[str, str] | None = None) -> str:
        """What ``script`` prints when it succeeds; it must write nothing to stderr."""
        result = self.run(script, *args, environment=environment)
        assert result.stderr == "", result.stderr
        return result.stdout

    def text(self) -> str:
        """``chapter.md``, as it is now."""
        return (self.directory / "chapter.md").read_text(encoding="utf-8")

    def listings(self) -> list[Listing]:
        """Each listing the chapter marks with ``% output: <script>``, in the text's order."""
        found = _LISTING.findall(self.text())
        return [Listing(script=name, lines=block.split("\n")) for name, block in found]

    def check_listings(
        self, outputs: Mapping[str, str], *, key: Callable[[str], str] | None = None
    ) -> None:
        """Fail unless every listing of a script in ``outputs`` is printed by it, in order.

        ``outputs`` maps a script to what it printed; each script in it must have at least one
        listing.  Listings of other scripts are not checked here (a chapter's test compares the
        listed scripts with its own list).  ``key`` is as for :func:`in_order`.
        """
        listings = self.listings()
        unlisted = sorted(set(outputs) - {listing.script for listing in listings})
        assert not unlisted, f"chapter.md has no listing of {unlisted}"
        for script, lines in listings:
            if script not in outputs:
                continue
            missing = _first_not_in_order(lines, outputs[script].splitlines(), key)
            assert missing is None, (
                f"not in {script}'s output, in order (first missing: {lines[missing]!r}):\n"
                + "\n".join(lines)
            )

    def pictures(self) -> list[str]:
        """The names of the ``.dot`` files the chapter shows with ``{graphviz}``, in order."""
        return _PICTURE.findall(self.text())

    def check_picture(self, name: str, *, script: str, args: Sequence[str] = ()) -> str:
        """Fail unless the chapter shows ``<name>.dot`` and it is what ``script`` prints now
        (quietly: nothing on stderr).

        Returns the picture's DOT source, for the caller's own checks of what it shows.
        """
        assert name in self.pictures(), f"chapter.md does not show {name}.dot"
        kept = (self.directory / f"{name}.dot").read_text(encoding="utf-8")
        assert self.printed(script, *args) == kept, f"{name}.dot is out of date"
        return kept

    def check_every_picture(self, *, script: str) -> None:
        """Fail unless the chapter shows exactly the figures ``script --list`` names, and each
        ``.dot`` file is what ``script <figure>`` prints now."""
        figures = self.printed(script, "--list").split()
        assert sorted(self.pictures()) == sorted(figures)
        for name in figures:
            self.check_picture(name, script=script, args=[name])

    def render(self, name: str) -> str:
        """Render ``<name>.dot`` with Graphviz ``dot`` (skipped if it is not installed); fail
        unless it renders.  Returns the SVG."""
        dot = require_tool("dot")
        result = subprocess.run(
            [dot, "-Tsvg", str(self.directory / f"{name}.dot")],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        assert result.returncode == 0 and "<svg" in result.stdout, result.stderr
        return result.stdout


def draw_figure(figures: Mapping[str, Callable[[], str]], argv: list[str], *, program: str) -> int:
    """The command line of a chapter's drawing script: print the DOT of the figure named in
    ``argv`` (or, for ``--list``, every figure's name); exit status 2 for anything else."""
    if argv == ["--list"]:
        print("\n".join(figures))
        return 0
    if len(argv) != 1 or argv[0] not in figures:
        names = ", ".join(figures)
        print(f"usage: {program} FIGURE (one of: {names}) or --list", file=sys.stderr)
        return 2
    sys.stdout.write(figures[argv[0]]())
    return 0
