"""Znode paths: what a legal path is, and how paths name parents, children and sequences.

Theory of operation
-------------------
A znode is named by an absolute, slash-separated path such as ``/brokers/ids/1``.  The rules are
ZooKeeper's ``PathUtils.validatePath`` (ZooKeeper Programmer's Guide, "ZNodes"; 3.6 source):

* the path is not empty and starts with ``/``;
* only the root ``/`` may end with ``/``;
* no empty component (``//``), no ``.`` or ``..`` component (paths are never relative);
* no NUL character, no control characters (U+0001-U+001F, U+007F-U+009F), and nothing from
  U+D800-U+F8FF or U+FFF0-U+FFFF.

:func:`path_problem` returns ZooKeeper's own message for the first broken rule (the text
``zkCli.sh`` prints), or ``None`` for a legal path.  Positions (``@3``) count characters as
Java does; a character outside the Basic Multilingual Plane is a surrogate pair in Java and so is
refused as an invalid character, which glasskafka does too.

A *sequential* create appends the parent's ``cversion`` as ten zero-padded digits
(``/jobs/job-`` becomes ``/jobs/job-0000000003``), so its path is checked with a digit appended,
as ZooKeeper does: ``create -s /jobs/`` is legal and names children ``/jobs/0000000000``...

The special paths (the root and ZooKeeper's own ``/zookeeper`` subtree nodes) exist from the start
and can never be deleted (``DataTree.isSpecialPath``).

Spec IDs: COORD-1 relies on :func:`parent_of` naming the one parent of every non-root path.

Simplified from Kafka: ZooKeeper also reserves ``/zookeeper/quota`` for quota bookkeeping and
``/zookeeper/config`` for dynamic reconfiguration; glasskafka creates both (so ``ls /zookeeper``
prints what ZooKeeper prints) but gives them no behaviour.
"""

from __future__ import annotations

__all__ = [
    "JUTE_MAXBUFFER",
    "ROOT",
    "SPECIAL_PATHS",
    "child_path",
    "name_of",
    "parent_of",
    "path_problem",
    "sequential_path",
]

ROOT = "/"

SPECIAL_PATHS: tuple[str, ...] = ("/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota")
"""Znodes every server starts with and refuses to delete (``DataTree.isSpecialPath``)."""

JUTE_MAXBUFFER = 0xFFFFF
"""ZooKeeper's ``jute.maxbuffer`` default: the largest request a server reads (1 MiB - 1 byte)."""


def path_problem(path: str, *, sequential: bool = False) -> str | None:
    """ZooKeeper's message for why ``path`` is illegal, or ``None`` if it is legal.

    ``sequential=True`` checks the path a sequential create would produce (a digit appended).
    """
    if sequential:
        path += "1"
    if not path:
        return "Path length must be > 0"
    if path[0] != "/":
        return "Path must start with / character"
    if path == ROOT:
        return None
    if path[-1] == "/":
        return "Path must not end with / character"
    for index in range(1, len(path)):
        reason = _character_problem(path, index)
        if reason is not None:
            return f'Invalid path string "{path}" caused by {reason} @{index}'
    return None


def _character_problem(path: str, index: int) -> str | None:
    """The reason character ``index`` of ``path`` breaks a rule, in ``PathUtils`` order."""
    char, last = path[index], path[index - 1]
    ends_component = index + 1 == len(path) or path[index + 1] == "/"
    if char == "\x00":
        return "null character not allowed"
    if char == "/" and last == "/":
        return "empty node name specified"
    if char == "." and last == "." and path[index - 2] == "/" and ends_component:
        return "relative paths not allowed"
    if char == "." and last == "/" and ends_component:
        return "relative paths not allowed"
    if _is_invalid_character(ord(char)):
        return "invalid character"
    return None


def _is_invalid_character(code: int) -> bool:
    return (
        0x01 <= code <= 0x1F
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xF8FF
        or code >= 0xFFF0  # includes every character Java stores as a surrogate pair
    )


def parent_of(path: str) -> str:
    """The parent of a legal, non-root path: ``/a/b`` -> ``/a``, ``/a`` -> ``/``."""
    assert path != ROOT, "the root has no parent"
    head = path[: path.rindex("/")]
    return head or ROOT


def name_of(path: str) -> str:
    """The last component of a legal, non-root path: ``/a/b`` -> ``b``."""
    return path[path.rindex("/") + 1 :]


def child_path(parent: str, name: str) -> str:
    """The path of child ``name`` of ``parent``: (``/``, ``a``) -> ``/a``."""
    return f"/{name}" if parent == ROOT else f"{parent}/{name}"


def sequential_path(path: str, parent_cversion: int) -> str:
    """``path`` with the parent's ``cversion`` appended as ten digits (``%010d``)."""
    return f"{path}{parent_cversion:010d}"
