"""Checkpoint files: small text files that must never be seen half-written.

Theory of operation
-------------------
Kafka keeps a few numbers per partition in text files (``CheckpointFile.java``), each in the same
shape: a version line, a count line, then one entry per line::

    0                    <- version
    2                    <- number of entries
    orders 0 1207        <- entries: "topic partition offset" ...
    orders 1 88

The files of a log directory are ``recovery-point-offset-checkpoint`` (how far each log is known
to be on disk), ``replication-offset-checkpoint`` (high watermarks) and
``log-start-offset-checkpoint``.  Each partition directory has a ``leader-epoch-checkpoint``
whose entries are ``epoch start_offset`` pairs (``LeaderEpochCheckpointFile.java``).

Writing follows Kafka's recipe for an atomic replace: write the whole text to ``<name>.tmp``,
fsync it, and rename it over ``<name>``.  A crash at any moment leaves either the old file or
the new one, never a mix (the ``Disk`` contract makes ``rename`` atomic and durable).

Reading is strict: a wrong version, a count that does not match the lines, or a line that is not
the expected numbers raises :class:`CorruptCheckpointError`.  What to do then is the caller's
choice, and each caller picks a safe one (see ``manager.py`` and ``epoch_cache.py``).

Spec IDs: LOG-4 (recovery starts from the recovery point), LOG-7 (the epoch cache).

Simplified from Kafka: Kafka also fsyncs the directory after the rename; the ``Disk`` contract
folds that into ``rename``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from glasskafka.ids import PartitionId, TopicName, TopicPartition
from glasskafka.log.errors import LogError
from glasskafka.log.names import validate_partition, validate_topic
from glasskafka.storage import Disk

__all__ = [
    "CHECKPOINT_VERSION",
    "CorruptCheckpointError",
    "read_checkpoint",
    "read_epoch_checkpoint",
    "read_offset_checkpoint",
    "write_checkpoint",
    "write_epoch_checkpoint",
    "write_offset_checkpoint",
]

CHECKPOINT_VERSION = 0


class CorruptCheckpointError(ValueError):
    """A checkpoint file that is not in Kafka's checkpoint format."""


def write_checkpoint(disk: Disk, path: str, entries: Iterable[str]) -> None:
    """Atomically replace checkpoint ``path`` with a version line, a count and ``entries``."""
    lines = list(entries)
    text = "".join(f"{line}\n" for line in [str(CHECKPOINT_VERSION), str(len(lines)), *lines])
    temporary = f"{path}.tmp"
    disk.write(temporary, text.encode("ascii"))
    disk.fsync(temporary)
    disk.rename(temporary, path)


def read_checkpoint(disk: Disk, path: str, *, fields: int) -> list[list[str]] | None:
    """The entries of checkpoint ``path``, each split into ``fields`` words; None if missing.

    Raises :class:`CorruptCheckpointError` naming the file and line for anything malformed.
    """
    if not disk.exists(path):
        return None
    try:
        lines = disk.read(path).decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise CorruptCheckpointError(f"{path}: not ASCII text") from None
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or lines[0] != str(CHECKPOINT_VERSION):
        raise CorruptCheckpointError(f"{path}: first line must be version {CHECKPOINT_VERSION}")
    if not lines[1].isdigit() or int(lines[1]) != len(lines) - 2:
        raise CorruptCheckpointError(f"{path}: count line {lines[1]!r} does not match the entries")
    entries = [line.split(" ") for line in lines[2:]]
    for number, words in enumerate(entries, start=3):
        if len(words) != fields:
            raise CorruptCheckpointError(f"{path}:{number}: expected {fields} fields: {words}")
    return entries


def _number(path: str, text: str) -> int:
    if not text.lstrip("-").isdigit() or not text.isascii() or len(text) > 20:
        raise CorruptCheckpointError(f"{path}: {text!r} is not a number")
    return int(text)


def write_offset_checkpoint(disk: Disk, path: str, offsets: Mapping[TopicPartition, int]) -> None:
    """Write ``topic partition offset`` lines, sorted so the file does not depend on dict order."""
    write_checkpoint(
        disk,
        path,
        (f"{topic} {partition} {offset}" for (topic, partition), offset in sorted(offsets.items())),
    )


def read_offset_checkpoint(disk: Disk, path: str) -> dict[TopicPartition, int]:
    """The offsets in checkpoint ``path`` (empty if the file is missing).

    Raises :class:`CorruptCheckpointError` for a malformed file, including a bad topic name.
    """
    result: dict[TopicPartition, int] = {}
    for topic, partition, offset in read_checkpoint(disk, path, fields=3) or []:
        try:
            name = TopicName(validate_topic(topic))
            number = PartitionId(validate_partition(_number(path, partition)))
        except LogError as error:
            raise CorruptCheckpointError(f"{path}: {error.message}") from None
        result[(name, number)] = _number(path, offset)
    return result


def write_epoch_checkpoint(disk: Disk, path: str, epochs: Iterable[tuple[int, int]]) -> None:
    """Write ``epoch start_offset`` lines (``LeaderEpochCheckpointFile``)."""
    write_checkpoint(disk, path, (f"{epoch} {start}" for epoch, start in epochs))


def read_epoch_checkpoint(disk: Disk, path: str) -> list[tuple[int, int]] | None:
    """The ``(epoch, start_offset)`` entries of ``path``, or None if it is missing.

    Raises :class:`CorruptCheckpointError` for a malformed file.
    """
    entries = read_checkpoint(disk, path, fields=2)
    if entries is None:
        return None
    return [(_number(path, epoch), _number(path, start)) for epoch, start in entries]
