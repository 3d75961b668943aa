"""``SimDisk``: an in-memory ``Disk`` that knows which bytes would survive a crash.

Theory of operation
-------------------
Each file keeps two versions: ``current`` (what reads see) and ``durable`` (what the last
``fsync`` saw, or ``None`` if the file was never synced).  Three things can happen to a node:

* a **process crash** (``kill -9``) loses nothing: the operating system still holds every written
  byte.  The simulator models it by restarting the node on the same, untouched disk;
* a **power loss** (:meth:`SimDisk.crash`) keeps exactly the durable version of every file; files
  never synced disappear (SIM-5);
* a **lossy crash** (:meth:`SimDisk.lossy_crash`) is a power loss in which the disk had written
  *some* of the unsynced bytes: for a file that only grew since its last sync, an arbitrary prefix
  of the unsynced tail survives on top of the durable bytes.  A file changed in any other way
  falls back to its durable version.  This is the "torn tail" that log recovery must cut (LOG-n).

A path is a file or a directory, never both: writing over a directory, or making a directory
through a file, raises :class:`DiskError` and changes nothing, as it does on a real file system.
``rename`` and ``delete`` are durable at once (see ``disk.py``).

All state is plain data (DESIGN §7), but mutable, so a ``SimDisk`` is not ``hash()``-able:

* ``copy.deepcopy`` gives an independent disk in the same state (a snapshot to restore);
* ``==`` compares everything, the ``fsync_count`` statistic included;
* :meth:`SimDisk.digest` is a stable fingerprint of what the disk holds -- every file's current
  and durable bytes, every directory -- and leaves out ``fsync_count``, so two disks with the
  same digest answer every read and every crash alike.  It does not depend on insertion order
  or on Python's per-process hash seed, so it can key a table of states already explored.

Spec IDs: SIM-5 (a power loss keeps exactly the synced bytes).

Simplified from Kafka: a real disk also reorders and tears writes within a block, loses a
rename that was not followed by a directory fsync, and fails with EIO; ``SimDisk`` models only
the torn tail of an appended file, the failure that Kafka's log recovery is built to repair.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from glasskafka.storage.disk import Disk, DiskError, check_relative_path

__all__ = ["SimDisk"]


@dataclass(slots=True)
class _SimFile:
    current: bytearray = field(default_factory=bytearray)
    durable: bytes | None = None


@dataclass(slots=True)
class SimDisk(Disk):
    """An in-memory disk with explicit durability, for the simulator and fast tests."""

    files: dict[str, _SimFile] = field(default_factory=dict)
    directories: set[str] = field(default_factory=set)
    fsync_count: int = 0

    def _file(self, path: str) -> _SimFile:
        entry = self.files.get(check_relative_path(path))
        if entry is None:
            raise DiskError(f"no such file on SimDisk: {path!r}")
        return entry

    def _check_parent(self, path: str) -> None:
        """``path`` may become a file: its parent is a directory and it is not one itself."""
        parent = check_relative_path(path).rpartition("/")[0]
        if parent and parent not in self.directories:
            raise DiskError(f"no such directory on SimDisk: {parent!r} (for {path!r})")
        if path in self.directories:
            raise DiskError(f"is a directory on SimDisk, not a file: {path!r}")

    def exists(self, path: str) -> bool:
        check_relative_path(path)
        return path in self.files or path in self.directories

    def make_dirs(self, path: str) -> None:
        parts = check_relative_path(path).split("/")
        prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
        # Check every level before creating any, so a refusal leaves the disk unchanged.
        for prefix in prefixes:
            if prefix in self.files:
                raise DiskError(f"cannot make directory {path!r}: {prefix!r} is a file")
        self.directories.update(prefixes)

    def list_dir(self, path: str) -> list[str]:
        if path != "" and check_relative_path(path) not in self.directories:
            raise DiskError(f"not a directory on SimDisk: {path!r}")
        prefix = f"{path}/" if path else ""
        names = {
            entry[len(prefix) :].split("/", 1)[0]
            for entry in (*self.files, *self.directories)
            if entry.startswith(prefix) and entry != path
        }
        return sorted(names)

    def size(self, path: str) -> int:
        return len(self._file(path).current)

    def read(self, path: str, position: int = 0, length: int | None = None) -> bytes:
        if position < 0 or (length is not None and length < 0):
            raise DiskError(f"bad read range position={position} length={length} of {path!r}")
        data = self._file(path).current
        end = len(data) if length is None else position + length
        return bytes(data[position:end])

    def write(self, path: str, data: bytes) -> None:
        self._check_parent(path)
        entry = self.files.setdefault(path, _SimFile())
        entry.current = bytearray(data)

    def append(self, path: str, data: bytes | bytearray | memoryview) -> int:
        self._check_parent(path)
        entry = self.files.setdefault(path, _SimFile())
        position = len(entry.current)
        entry.current += data
        return position

    def truncate(self, path: str, size: int) -> None:
        entry = self._file(path)
        if not 0 <= size <= len(entry.current):
            raise DiskError(f"cannot truncate {path!r} of {len(entry.current)} bytes to {size}")
        del entry.current[size:]

    def fsync(self, path: str) -> None:
        entry = self._file(path)
        entry.durable = bytes(entry.current)
        self.fsync_count += 1

    def rename(self, source: str, target: str) -> None:
        self._check_parent(target)
        entry = self._file(source)
        del self.files[source]
        self.files[target] = entry

    def delete(self, path: str) -> None:
        self.files.pop(check_relative_path(path), None)

    def digest(self) -> str:
        """A hex SHA-256 of the files' current and durable bytes and of the directories.

        Equal for two disks that hold the same things, whatever order they were written in;
        ``fsync_count`` is left out (it counts work done, not what is held).
        """
        hasher = hashlib.sha256()

        def add(part: bytes) -> None:
            # Length-prefixed, so no two different states can produce the same byte stream.
            hasher.update(len(part).to_bytes(8, "big"))
            hasher.update(part)

        for directory in sorted(self.directories):
            add(b"d" + directory.encode())
        for path in sorted(self.files):
            entry = self.files[path]
            add(b"f" + path.encode())
            add(bytes(entry.current))
            add(b"-" if entry.durable is None else b"+" + entry.durable)
        return hasher.hexdigest()

    def unsynced_bytes(self) -> int:
        """How many bytes a power loss would lose or change right now (for tests and pictures)."""
        total = 0
        for entry in self.files.values():
            durable = entry.durable or b""
            if entry.current != durable:
                total += max(len(entry.current), len(durable))
        return total

    def crash(self) -> None:
        """Power loss: every file reverts to exactly its durable bytes (SIM-5)."""
        for path in sorted(self.files):
            entry = self.files[path]
            if entry.durable is None:
                del self.files[path]
            else:
                entry.current = bytearray(entry.durable)

    def lossy_crash(self, rng: random.Random) -> None:
        """Power loss with a torn tail: durable bytes plus a random prefix of appended bytes."""
        for path in sorted(self.files):
            entry = self.files[path]
            durable = entry.durable or b""
            grew = len(entry.current) > len(durable) and entry.current.startswith(durable)
            if grew:
                keep = len(durable) + rng.randint(0, len(entry.current) - len(durable))
                if keep == 0 and entry.durable is None:
                    del self.files[path]
                    continue
                del entry.current[keep:]
                entry.durable = bytes(entry.current)
            elif entry.durable is None:
                del self.files[path]
            else:
                entry.current = bytearray(entry.durable)
