"""Disk faults at a crash: what a node's disk keeps when its machine goes down.

Theory of operation
-------------------
The simulator crashes a node in one of three ways (DESIGN §3), named by :class:`DiskFault`:

* ``keep`` -- a **process crash** (``kill -9``, an out-of-memory kill).  The operating system
  still holds every byte the process wrote, synced or not, so the disk is untouched;
* ``power`` -- a **power loss**.  Only what ``fsync`` made durable survives:
  :meth:`~glasskafka.storage.SimDisk.crash`;
* ``lossy`` -- a power loss in which the disk had already written *some* of the unsynced bytes:
  every file keeps its synced bytes plus, if it only grew since, a random prefix of the appended
  tail (:meth:`~glasskafka.storage.SimDisk.lossy_crash`).  This is the torn tail that Kafka's log
  recovery cuts off (``LogSegment.recover``).

:func:`disk_image` takes a snapshot of a ``SimDisk`` as plain, comparable data.  The simulator
records one before and one after every crash in the trace, so SIM-5 ("a power-loss crash keeps
exactly the synced bytes") is checked from the trace alone, by code that does not trust the disk.

Spec IDs: SIM-5.

Simplified from Kafka: real disks also reorder writes, lose a rename or a new directory entry
whose directory was never fsynced, and return corrupted sectors; ``SimDisk`` models only lost
unsynced bytes and torn tails, which are what Kafka's recovery path is designed around.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from typing import assert_never

from glasskafka.errors import GlassKafkaError
from glasskafka.storage import SimDisk

__all__ = ["DiskFault", "DiskImage", "FileImage", "apply_disk_fault", "disk_image"]


class DiskFault(enum.StrEnum):
    """How a crash treats the crashed node's disk."""

    KEEP = "keep"
    POWER = "power"
    LOSSY = "lossy"

    def __repr__(self) -> str:
        # A valid Python expression, so a failing Hypothesis run prints a runnable program.
        return f"DiskFault.{self.name}"

    @classmethod
    def parse(cls, value: object) -> DiskFault:
        """``value`` as a :class:`DiskFault`; raises ``GlassKafkaError`` naming the choices."""
        if isinstance(value, str):
            for fault in cls:
                if fault.value == value:
                    return fault
        allowed = ", ".join(repr(fault.value) for fault in cls)
        raise GlassKafkaError(f"crash disk={value!r} is not a disk fault; allowed: {allowed}")


@dataclass(frozen=True, slots=True, kw_only=True)
class FileImage:
    """One file of a ``SimDisk``: what reads see, and what the last fsync made durable."""

    path: str
    current: bytes
    durable: bytes | None


DiskImage = tuple[FileImage, ...]
"""A snapshot of a whole ``SimDisk``, one :class:`FileImage` per file, sorted by path."""


def disk_image(disk: SimDisk) -> DiskImage:
    """Snapshot every file of ``disk`` as plain, comparable, hashable data."""
    return tuple(
        FileImage(path=path, current=bytes(entry.current), durable=entry.durable)
        for path, entry in sorted(disk.files.items())
    )


def apply_disk_fault(disk: SimDisk, fault: DiskFault, rng: random.Random) -> None:
    """Do to ``disk`` what a crash of kind ``fault`` does (``rng`` chooses a torn tail)."""
    match fault:
        case DiskFault.KEEP:
            pass  # a process crash: the operating system keeps every written byte
        case DiskFault.POWER:
            disk.crash()
        case DiskFault.LOSSY:
            disk.lossy_crash(rng)
        case _:
            assert_never(fault)
