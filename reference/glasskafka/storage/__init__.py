"""Disks: where nodes keep what must survive a restart.

A node owns a :class:`Disk`.  Writes are synchronous and land in the "page cache"; only
:meth:`Disk.fsync` makes them durable.  :class:`RealDisk` is a directory on the machine's file
system; :class:`SimDisk` keeps files in memory and tracks, per file, which bytes are durable, so
the simulator can crash a node and keep exactly what a real machine would (DESIGN §3).

Spec IDs: SIM-5 (``SimDisk``: a power loss keeps exactly the synced bytes).

Simplified from Kafka: Kafka writes through the JVM's file channels and memory maps; glasskafka's
``Disk`` is a small interface so the same node code runs on memory and on files.
"""

from glasskafka.storage.disk import Disk, DiskError, check_relative_path
from glasskafka.storage.real import RealDisk
from glasskafka.storage.sim import SimDisk

__all__ = ["Disk", "DiskError", "RealDisk", "SimDisk", "check_relative_path"]
