"""``RealDisk``: a ``Disk`` that is a directory on the machine's file system.

Theory of operation
-------------------
Every path is checked by :func:`check_relative_path` and joined under ``root``, so no path can
escape the directory.  Open file handles are cached per path, because a partition log appends to
the same segment thousands of times a second and reopening it each time would dominate the cost
of a small append (see ``benchmarks/``).  A handle is dropped before any rename, truncate or delete
of its file.  ``fsync`` is ``os.fsync``; ``rename`` is ``os.replace`` followed by an fsync of the
target directory, which is what makes a rename durable on Linux.  Whatever the operating system
refuses (a missing parent directory, a directory where a file is expected, a file in the way of
a directory) becomes the :class:`DiskError` of the ``Disk`` contract, naming the path, so both
disks fail alike (``reference/tests/test_storage_contract.py``).

Spec IDs: none.

Simplified from Kafka: Kafka's ``FileRecords`` reads through a ``FileChannel`` and serves fetches
with zero-copy ``sendfile``; ``RealDisk`` reads into ``bytes``.  Kafka also preallocates and
memory-maps index files, and survives a failed log directory (KIP-112); an I/O error here is a
``DiskError`` for the caller.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import BinaryIO

from glasskafka.storage.disk import Disk, DiskError, check_relative_path

__all__ = ["RealDisk"]


@contextlib.contextmanager
def _os_errors(path: str) -> Iterator[None]:
    """Turn the operating system's refusal (a missing parent, a directory in the way...) into
    the ``DiskError`` that the ``Disk`` contract promises, naming the path."""
    try:
        yield
    except OSError as error:
        raise DiskError(f"{error.strerror or error}: {path!r}") from error


class RealDisk(Disk):
    """A directory on the local file system, created if missing."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.fspath(root))
        os.makedirs(self.root, exist_ok=True)
        self._handles: dict[str, BinaryIO] = {}

    def __repr__(self) -> str:
        return f"RealDisk({self.root!r})"

    def _full(self, path: str) -> str:
        return os.path.join(self.root, *check_relative_path(path).split("/"))

    def _handle(self, path: str) -> BinaryIO:
        handle = self._handles.get(path)
        if handle is None:
            full = self._full(path)
            if not os.path.isfile(full):
                raise DiskError(f"no such file on disk {self.root!r}: {path!r}")
            with _os_errors(path):
                handle = open(full, "r+b")  # noqa: SIM115 - cached, closed by _forget/close
            self._handles[path] = handle
        return handle

    def _forget(self, path: str) -> None:
        handle = self._handles.pop(path, None)
        if handle is not None:
            handle.close()

    def exists(self, path: str) -> bool:
        return os.path.exists(self._full(path))

    def make_dirs(self, path: str) -> None:
        with _os_errors(path):
            os.makedirs(self._full(path), exist_ok=True)

    def list_dir(self, path: str) -> list[str]:
        full = self.root if path == "" else self._full(path)
        if not os.path.isdir(full):
            raise DiskError(f"not a directory on disk {self.root!r}: {path!r}")
        return sorted(os.listdir(full))

    def size(self, path: str) -> int:
        full = self._full(path)
        if not os.path.isfile(full):
            raise DiskError(f"no such file on disk {self.root!r}: {path!r}")
        return os.path.getsize(full)

    def read(self, path: str, position: int = 0, length: int | None = None) -> bytes:
        if position < 0 or (length is not None and length < 0):
            raise DiskError(f"bad read range position={position} length={length} of {path!r}")
        handle = self._handle(path)
        handle.seek(position)
        return handle.read() if length is None else handle.read(length)

    def write(self, path: str, data: bytes) -> None:
        self._forget(path)
        with _os_errors(path), open(self._full(path), "wb") as handle:
            handle.write(data)

    def append(self, path: str, data: bytes | bytearray | memoryview) -> int:
        if path not in self._handles and not os.path.exists(self._full(path)):
            with _os_errors(path):
                open(self._full(path), "wb").close()
        handle = self._handle(path)
        position = handle.seek(0, os.SEEK_END)
        handle.write(data)
        handle.flush()
        return position

    def truncate(self, path: str, size: int) -> None:
        current = self.size(path)
        if not 0 <= size <= current:
            raise DiskError(f"cannot truncate {path!r} of {current} bytes to {size}")
        self._forget(path)
        os.truncate(self._full(path), size)

    def fsync(self, path: str) -> None:
        handle = self._handle(path)
        handle.flush()
        os.fsync(handle.fileno())

    def rename(self, source: str, target: str) -> None:
        if not os.path.isfile(self._full(source)):
            raise DiskError(f"no such file on disk {self.root!r}: {source!r}")
        self._forget(source)
        self._forget(target)
        with _os_errors(target):
            os.replace(self._full(source), self._full(target))
        directory = os.path.dirname(self._full(target))
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def delete(self, path: str) -> None:
        self._forget(path)
        full = self._full(path)
        if os.path.isfile(full):
            os.remove(full)

    def close(self) -> None:
        for path in list(self._handles):
            self._forget(path)
