"""The registry of specification entries: every invariant with its stable ID.

Theory of operation
-------------------
A spec module (``specs/sim.py``, ``specs/log.py``...) states its specification in prose in its
docstring and defines each invariant as a typed predicate decorated with :func:`spec`.  A
predicate takes an observable snapshot (plain data recorded by the simulator's observers or a
test, never a node's private state) and returns the list of violations it found, each a sentence
a student can read; an empty list means the invariant holds.  The function's docstring is the
statement that the docs' spec catalogue prints.

Model tests call :func:`check`, which raises ``AssertionError`` whose message starts with the ID,
so a failing Hypothesis run says which invariant broke and teeth tests can match on the ID.

IDs are stable and never reused: ``REPL-n``, ``CTRL-n``, ``LIVE-n``, ``IDEM-n`` come from
``reference/replication-invariants.md``; ``SIM-n``, ``LOG-n``, ``GROUP-n``, ``ASSIGN-n``,
``DELIV-n``, ``ORDER-n`` are glasskafka's own.  A meta-test keeps the registry, the model tests and
the docs in step.
"""

from __future__ import annotations

import importlib
import pathlib
import pkgutil
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

__all__ = ["REGISTRY", "Spec", "check", "load_all", "spec"]

F = TypeVar("F", bound=Callable[..., list[str]])

_ID = re.compile(r"^[A-Z]+-[1-9][0-9]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """One specification entry."""

    id: str
    title: str
    statement: str
    module: str
    function: str
    kind: Literal["state", "transition"]


REGISTRY: dict[str, Spec] = {}


def spec(
    spec_id: str, title: str, *, kind: Literal["state", "transition"] = "state"
) -> Callable[[F], F]:
    """Register the decorated predicate as invariant ``spec_id``.

    ``kind="transition"`` marks a property that compares the state before and after one step.
    Raises ``ValueError`` for a malformed or duplicate ID, or a predicate without a docstring.
    """
    if not _ID.match(spec_id):
        raise ValueError(f"spec id {spec_id!r} is not of the form PREFIX-n")

    def register(predicate: F) -> F:
        existing = REGISTRY.get(spec_id)
        where = f"{predicate.__module__}.{predicate.__qualname__}"
        if existing is not None and f"{existing.module}.{existing.function}" != where:
            raise ValueError(f"spec id {spec_id} is registered twice")
        if not predicate.__doc__:
            raise ValueError(f"spec {spec_id} ({where}) needs a docstring stating it")
        REGISTRY[spec_id] = Spec(
            id=spec_id,
            title=title,
            statement=" ".join(predicate.__doc__.split()),
            module=predicate.__module__,
            function=predicate.__qualname__,
            kind=kind,
        )
        return predicate

    return register


def check(spec_id: str, violations: Sequence[str]) -> None:
    """Raise ``AssertionError`` starting with ``spec_id`` if ``violations`` is not empty."""
    if violations:
        shown = "\n  ".join(violations[:5])
        more = f"\n  ... and {len(violations) - 5} more" if len(violations) > 5 else ""
        raise AssertionError(f"{spec_id} violated:\n  {shown}{more}")


def load_all() -> dict[str, Spec]:
    """Import every module of the ``specs`` package and return the full registry, by ID."""
    package = pathlib.Path(__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        if not info.name.startswith("_"):
            importlib.import_module(f"specs.{info.name}")
    return dict(sorted(REGISTRY.items(), key=lambda item: _sort_key(item[0])))


def _sort_key(spec_id: str) -> tuple[str, int]:
    prefix, _, number = spec_id.partition("-")
    return prefix, int(number)
