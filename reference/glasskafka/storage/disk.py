"""The ``Disk`` interface that every node's persistence goes through.

Theory of operation
-------------------
Paths are relative, ``/``-separated strings such as ``"orders-0/00000000000000000000.log"``.
They never start with ``/`` and never contain ``..`` or empty parts, so nothing a node does can
reach outside its own disk (DESIGN §7).  :func:`check_relative_path` enforces that for both
implementations; a bad path raises :class:`DiskError` before any file is touched.

Durability is explicit.  ``write``, ``append``, ``truncate`` change the file at once for every
later read, but a machine crash keeps only what :meth:`Disk.fsync` made durable.  ``rename`` and
``delete`` are durable when they return: Kafka's checkpoint pattern (write a temporary file, fsync
it, rename it over the old one) then gives an atomic replace.

Spec IDs: none here; SIM-5 checks ``SimDisk``'s side of the durability contract.

Simplified from real file systems: POSIX needs an ``fsync`` of the *directory* to make a rename
or a new directory entry durable; glasskafka folds that into ``rename`` and ``make_dirs``.
Kafka's index files are memory-mapped and preallocated; glasskafka appends to them instead.
"""

from __future__ import annotations

import abc

__all__ = ["Disk", "DiskError", "check_relative_path"]


class DiskError(Exception):
    """A disk operation was given a bad path or addressed a missing file."""


def check_relative_path(path: str) -> str:
    """Return ``path`` if it is a safe relative path, else raise :class:`DiskError`."""
    if not isinstance(path, str) or not path:
        raise DiskError(f"disk path must be a non-empty string, got {path!r}")
    if path.startswith("/") or "\\" in path or "\x00" in path:
        raise DiskError(f"disk path must be relative and use '/', got {path!r}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise DiskError(f"disk path may not contain empty, '.' or '..' parts, got {path!r}")
    return path


class Disk(abc.ABC):
    """A node's private storage: named files of bytes with explicit durability."""

    @abc.abstractmethod
    def exists(self, path: str) -> bool:
        """Whether a file or directory exists at ``path``."""

    @abc.abstractmethod
    def make_dirs(self, path: str) -> None:
        """Create directory ``path`` and its parents (no error if it exists)."""

    @abc.abstractmethod
    def list_dir(self, path: str) -> list[str]:
        """Names (not paths) of the entries directly inside directory ``path``, sorted.

        ``""`` lists the disk's root.  Raises :class:`DiskError` if ``path`` is not a directory.
        """

    @abc.abstractmethod
    def size(self, path: str) -> int:
        """Current length of file ``path`` in bytes."""

    @abc.abstractmethod
    def read(self, path: str, position: int = 0, length: int | None = None) -> bytes:
        """Up to ``length`` bytes of file ``path`` from ``position`` (all of the rest if None)."""

    @abc.abstractmethod
    def write(self, path: str, data: bytes) -> None:
        """Create or replace file ``path`` with ``data`` (not durable until :meth:`fsync`)."""

    @abc.abstractmethod
    def append(self, path: str, data: bytes | bytearray | memoryview) -> int:
        """Append ``data`` to file ``path`` (created if missing); return the position written at.

        ``data`` may be any bytes-like object, so a caller can append a slice of a larger buffer
        (a ``memoryview``) without copying it first.
        """

    @abc.abstractmethod
    def truncate(self, path: str, size: int) -> None:
        """Cut file ``path`` to ``size`` bytes (``size`` must not exceed its length)."""

    @abc.abstractmethod
    def fsync(self, path: str) -> None:
        """Make the current contents of file ``path`` durable."""

    @abc.abstractmethod
    def rename(self, source: str, target: str) -> None:
        """Atomically and durably move file ``source`` to ``target``, replacing ``target``."""

    @abc.abstractmethod
    def delete(self, path: str) -> None:
        """Durably remove file ``path`` (no error if it is missing)."""

    def close(self) -> None:  # noqa: B027 - optional hook, deliberately empty by default
        """Release any cached file handles.  The disk stays usable."""
