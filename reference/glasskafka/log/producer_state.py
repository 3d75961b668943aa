"""Producer state: what a partition remembers about each idempotent producer (KIP-98).

Theory of operation
-------------------
An idempotent producer stamps every batch with its producer id (PID), its producer epoch and the
sequence number of the batch's first record; sequences count records per partition from 0 and
wrap from 2147483647 to 0.  For each PID that has written to a partition, the partition keeps a
:class:`ProducerStateEntry`: the producer's epoch and the metadata of the last **five** batches
it appended, oldest first (``NUM_BATCHES_TO_RETAIN`` in Kafka's ``ProducerStateEntry.java``).
That small window is enough to recognise a retry, because the producer never has more than five
batches of a partition in flight (``max.in.flight.requests.per.connection <= 5``).

**The call contract** (for the broker's produce path, which owns the log and this table):

1. For every batch a *client* sends, call :meth:`ProducerStateTable.check_client_append` with
   its header **before** appending.  It changes nothing and answers one of:

   * ``ErrorCode.NONE`` -- append the batch;
   * a :class:`DuplicateBatch` -- do not append; answer success with its ``first_offset`` as the
     base offset (IDEM-3);
   * another ``ErrorCode`` -- do not append; answer that code for the partition.

2. After the log has appended a batch (its header now carries the assigned base offset), call
   :meth:`ProducerStateTable.record_append` with the stamped header.
3. A follower calls :meth:`ProducerStateTable.append_replicated` for every batch it copies from
   the leader: no checks, because the leader made them (Kafka's ``AppendOrigin.REPLICATION``).
4. At a segment roll, write a snapshot (:func:`write_snapshot`); after a crash or a truncation,
   load the newest snapshot at or below the log end (:func:`read_snapshot`) and replay the
   batches after it with :func:`rebuild_producer_state` (IDEM-5).

**The checks on a client append, in order** (``reference/replication-invariants.md`` §6.3;
Kafka's ``UnifiedLog.analyzeAndValidateProducerState`` and ``ProducerAppendInfo.checkSequence``):

1. *Duplicate*: same epoch and a cached batch with the same first and last sequence ->
   :class:`DuplicateBatch` with the original offsets.
2. *Stale epoch*: an epoch below the stored one -> ``INVALID_PRODUCER_EPOCH`` (47).
3. *New epoch*: an epoch above the stored one must start at sequence 0, else
   ``OUT_OF_ORDER_SEQUENCE_NUMBER`` (45).
4. *Same epoch*: the first sequence must follow the newest cached batch's last sequence (with
   wrap), else 45.  So a gap is refused, never skipped (IDEM-6).

A PID the partition has no state for is accepted with any sequence, as current Kafka does (KIP-360;
Kafka 2.0 answered ``UNKNOWN_PRODUCER_ID``, 59).  When a batch of a new epoch is recorded, the
window is emptied first, so the epoch and the window always describe the same producer session.

**Snapshots.**  At every segment roll the log writes the producer state as it stands at the new
segment's base offset, as Kafka's ``UnifiedLog.roll`` does through
``ProducerStateManager.takeSnapshot``; recovery then loads the newest sound snapshot and replays
only the log after it (``recovery.py``).  The file is named like Kafka's, the map end offset in
20 digits plus ``.snapshot`` (``00000000000000001207.snapshot``: the state after every batch below
offset 1207).  Its *contents* follow glasskafka's own layout, all integers big-endian::

    magic            4 bytes  b"GKPS"
    version          int16    1
    crc              uint32   CRC-32C of every byte after this field
    map_end_offset   int64
    entry_count      int32
    entries, by ascending producer id:
        producer_id     int64
        producer_epoch  int16
        last_timestamp  int64
        batch_count     int8     1..5
        batches, oldest first:
            first_seq int32, last_seq int32, last_offset int64, offset_delta int32, timestamp int64

Kafka's layout (``ProducerStateManager.PID_SNAPSHOT_MAP_SCHEMA``, snapshot version 1) is
``version int16, crc uint32`` (CRC-32C of the rest), then an array (int32 count) of one entry per
producer: ``producer_id int64, epoch int16, last_sequence int32, last_offset int64, offset_delta
int32, timestamp int64, coordinator_epoch int32, current_txn_first_offset int64``.  It keeps only
the *newest* batch of each producer and no map end offset (the file name carries it).
glasskafka's differs on purpose in three ways: it keeps all five batches of the window, so a
loaded snapshot equals the state rebuilt from the log (IDEM-5) and a restart forgets no retry;
it drops the two transaction fields, since glasskafka has no transactions; and it repeats the map
end offset and adds a magic, so a file renamed or written by another program is refused rather
than misread.  A Kafka broker cannot read these files, and glasskafka does not read Kafka's.

Spec IDs: IDEM-1, IDEM-2, IDEM-3, IDEM-4 (through the checks), IDEM-5 (follower path, rebuild,
snapshots), IDEM-6 (gaps refused).

Simplified from Kafka: no transactions (Kafka's entry also holds the coordinator epoch and the first
offset of an open transaction, and control batches end transactions) and no expiry of idle
producers (``producer.id.expiration.ms``); instead, state recovered from a snapshot forgets the
batches of deleted segments (:func:`trim_below`), so it always equals a replay of the log that is
left.  Kafka also takes a snapshot at a clean shutdown, which glasskafka (with no clean-shutdown
marker) does not.  The snapshot layout differs from Kafka's as described above.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from crc32c import crc32c as _crc32c

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.records.header import BatchHeader
from glasskafka.storage import Disk

__all__ = [
    "NO_PRODUCER_EPOCH",
    "NO_PRODUCER_ID",
    "NO_SEQUENCE",
    "NUM_BATCHES_TO_RETAIN",
    "SNAPSHOT_SUFFIX",
    "AppendCheck",
    "BatchMetadata",
    "CorruptSnapshotError",
    "DuplicateBatch",
    "ProducerStateEntry",
    "ProducerStateTable",
    "decode_snapshot",
    "encode_snapshot",
    "next_sequence",
    "read_snapshot",
    "rebuild_producer_state",
    "remove_snapshots",
    "snapshot_file",
    "snapshot_offsets",
    "trim_below",
    "write_snapshot",
]

NUM_BATCHES_TO_RETAIN = 5
"""Batches remembered per producer (Kafka's ``ProducerStateEntry.NUM_BATCHES_TO_RETAIN``)."""

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1

SNAPSHOT_SUFFIX = ".snapshot"

_MAX_SEQUENCE = 2**31 - 1
_MAGIC = b"GKPS"
_VERSION = 1
_PREAMBLE = struct.Struct(">4shI")
_TABLE = struct.Struct(">qi")
_ENTRY = struct.Struct(">qhqb")
_BATCH = struct.Struct(">iiqiq")


def next_sequence(sequence: int) -> int:
    """The sequence after ``sequence``: one more, wrapping from 2147483647 to 0 (KIP-98)."""
    return 0 if sequence == _MAX_SEQUENCE else sequence + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchMetadata:
    """One remembered batch: its sequence range, where it ended, and its largest timestamp."""

    first_seq: int
    last_seq: int
    last_offset: int
    offset_delta: int
    timestamp: int

    @property
    def first_offset(self) -> int:
        """The offset of the batch's first record."""
        return self.last_offset - self.offset_delta


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerStateEntry:
    """What a partition knows about one producer: its epoch and its last batches (oldest first)."""

    producer_id: int
    producer_epoch: int
    batches: tuple[BatchMetadata, ...]
    last_timestamp: int

    @property
    def last_seq(self) -> int:
        """The last sequence of the newest batch, or ``NO_SEQUENCE`` if none is remembered."""
        return self.batches[-1].last_seq if self.batches else NO_SEQUENCE


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateBatch:
    """A client batch that is already in the log: answer success with these offsets (IDEM-3)."""

    first_offset: int
    last_offset: int
    timestamp: int


AppendCheck = ErrorCode | DuplicateBatch
"""The answer of :meth:`ProducerStateTable.check_client_append`."""


@dataclass(slots=True)
class ProducerStateTable:
    """The producer state of one partition replica: an entry per producer id, as plain data.

    ``map_end_offset`` is the offset after the last batch applied, so the table describes the log
    below it.  ``bugs`` selects historical defects for teeth tests (all off by default).
    """

    entries: dict[int, ProducerStateEntry] = field(default_factory=dict)
    map_end_offset: int = 0
    bugs: BugFlags = NO_BUGS

    def last_entry(self, producer_id: int) -> ProducerStateEntry | None:
        """The entry of ``producer_id``, or None if this partition has no state for it."""
        return self.entries.get(producer_id)

    def check_client_append(self, header: BatchHeader) -> AppendCheck:
        """Decide what to do with a client's batch, changing nothing (the checks, in order).

        Returns ``ErrorCode.NONE`` (append it), a :class:`DuplicateBatch` (answer success with the
        original offsets, append nothing) or an error code to answer.  A batch without a producer
        id is not idempotent and always passes.  Invariants: IDEM-1, IDEM-3, IDEM-4, IDEM-6.
        """
        if header.producer_id < 0:
            return ErrorCode.NONE
        if header.base_sequence < 0:
            # LogValidator refuses an idempotent batch without a sequence (wire-protocol.md §8).
            return ErrorCode.INVALID_RECORD
        entry = self.entries.get(header.producer_id)
        if entry is None:
            # No state for this PID (a new producer, or its batches were removed): current Kafka
            # accepts any sequence (ProducerAppendInfo.checkSequence; KIP-360).
            return ErrorCode.NONE
        duplicate = self._find_duplicate(entry, header)
        if duplicate is not None:
            return duplicate
        # bugs.accept_stale_producer_epoch: a fenced producer's batch is let through to the
        # sequence check as if its epoch were new, so one starting at sequence 0 is appended after
        # the newer epoch's batches (IDEM-4).  Kafka refuses it in
        # ProducerAppendInfo.checkProducerEpoch.
        stale = header.producer_epoch < entry.producer_epoch
        if stale and not self.bugs.accept_stale_producer_epoch:
            return ErrorCode.INVALID_PRODUCER_EPOCH
        return self._check_sequence(entry, header)

    def _find_duplicate(
        self, entry: ProducerStateEntry, header: BatchHeader
    ) -> DuplicateBatch | None:
        """The cached batch that ``header`` repeats (ProducerStateEntry.findDuplicateBatch)."""
        for cached in entry.batches:
            if self.bugs.dedupe_first_seq_only:
                # bugs.dedupe_first_seq_only: the lookup compares the first sequence alone, so a
                # new batch of a later epoch that restarts at sequence 0 is taken for an old one
                # and answered with the old batch's offset; its records are never written
                # (IDEM-3).  Kafka requires the same epoch and the same first *and* last sequence.
                same = cached.first_seq == header.base_sequence
            else:
                same = (
                    header.producer_epoch == entry.producer_epoch
                    and cached.first_seq == header.base_sequence
                    and cached.last_seq == header.last_sequence
                )
            if same:
                return DuplicateBatch(
                    first_offset=cached.first_offset,
                    last_offset=cached.last_offset,
                    timestamp=cached.timestamp,
                )
        return None

    @staticmethod
    def _check_sequence(entry: ProducerStateEntry, header: BatchHeader) -> ErrorCode:
        if header.producer_epoch != entry.producer_epoch:
            # A new epoch starts a new session, whose first batch must have sequence 0.
            return (
                ErrorCode.NONE
                if header.base_sequence == 0
                else ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
            )
        expected = next_sequence(entry.last_seq) if entry.batches else 0
        if header.base_sequence != expected:
            return ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
        return ErrorCode.NONE

    def record_append(self, header: BatchHeader) -> None:
        """Remember a batch the leader has just appended (its header carries its offsets).

        Call only after :meth:`check_client_append` answered ``NONE`` and the log appended the
        batch.  Invariants: IDEM-5.
        """
        self._apply(header)

    def append_replicated(self, header: BatchHeader) -> None:
        """Remember a batch a follower copied from its leader, without checking it.

        The leader checked the batch when a client sent it; a follower must still rebuild the
        same state, so that it can deduplicate retries once it leads.  Invariants: IDEM-5.
        """
        if self.bugs.follower_skips_producer_state:
            # bugs.follower_skips_producer_state: the follower keeps its log but not the producer
            # state, so after a failover the new leader has no state for the producer and
            # accepts a retry of a batch it already holds (IDEM-1, IDEM-5).  Kafka's follower
            # updates the state for every replicated batch (AppendOrigin.REPLICATION).
            self.map_end_offset = header.next_offset
            return
        self._apply(header)

    def _apply(self, header: BatchHeader) -> None:
        """Add one appended batch to the state (ProducerStateEntry.addBatch)."""
        self.map_end_offset = header.next_offset
        if header.producer_id < 0 or header.is_control:
            return
        entry = self.entries.get(header.producer_id)
        batches: tuple[BatchMetadata, ...] = ()
        if entry is not None and entry.producer_epoch == header.producer_epoch:
            batches = entry.batches
        batch = BatchMetadata(
            first_seq=header.base_sequence,
            last_seq=header.last_sequence,
            last_offset=header.last_offset,
            offset_delta=header.last_offset_delta,
            timestamp=header.max_timestamp,
        )
        self.entries[header.producer_id] = ProducerStateEntry(
            producer_id=header.producer_id,
            producer_epoch=header.producer_epoch,
            batches=(*batches, batch)[-NUM_BATCHES_TO_RETAIN:],
            last_timestamp=header.max_timestamp,
        )


def rebuild_producer_state(
    headers: Iterable[BatchHeader],
    *,
    start: ProducerStateTable | None = None,
    bugs: BugFlags = NO_BUGS,
) -> ProducerStateTable:
    """Replay the batches of a log (from ``start``'s map end offset on) into a producer state.

    ``start`` is a loaded snapshot or None for an empty state; it is not changed.  Batches below
    the start's map end offset are skipped, so the whole log may be passed.  This is how a replica
    recovers after a crash or a truncation (Kafka's ``ProducerStateManager`` loads a snapshot and
    replays the log after it).  Invariants: IDEM-5.
    """
    table = ProducerStateTable(bugs=bugs)
    if start is not None:
        table.entries = dict(start.entries)
        table.map_end_offset = start.map_end_offset
    for header in headers:
        if header.next_offset > table.map_end_offset:
            table._apply(header)
    return table


# ---------------------------------------------------------------------------------------------
# Snapshots


class CorruptSnapshotError(ValueError):
    """Bytes that are not a producer-state snapshot of this format.  The caller rebuilds instead."""


def encode_snapshot(table: ProducerStateTable) -> bytes:
    """The snapshot bytes of ``table`` (the format in this module's docstring)."""
    body = bytearray(_TABLE.pack(table.map_end_offset, len(table.entries)))
    for producer_id in sorted(table.entries):
        entry = table.entries[producer_id]
        body += _ENTRY.pack(
            producer_id, entry.producer_epoch, entry.last_timestamp, len(entry.batches)
        )
        for batch in entry.batches:
            body += _BATCH.pack(
                batch.first_seq,
                batch.last_seq,
                batch.last_offset,
                batch.offset_delta,
                batch.timestamp,
            )
    return _PREAMBLE.pack(_MAGIC, _VERSION, _crc32c(bytes(body))) + bytes(body)


def decode_snapshot(data: bytes, *, bugs: BugFlags = NO_BUGS) -> ProducerStateTable:
    """Read snapshot bytes back into a table, trusting nothing.

    Raises :class:`CorruptSnapshotError` naming the fault: too short, wrong magic or version, CRC
    mismatch, counts or values out of range, producer ids not ascending, bytes left over.
    """
    if len(data) < _PREAMBLE.size + _TABLE.size:
        raise CorruptSnapshotError(f"{len(data)} bytes are too few for a producer-state snapshot")
    magic, version, crc = _PREAMBLE.unpack_from(data, 0)
    if magic != _MAGIC or version != _VERSION:
        raise CorruptSnapshotError(f"magic {magic!r} version {version}; expected {_MAGIC!r} 1")
    body = data[_PREAMBLE.size :]
    if _crc32c(body) != crc:
        raise CorruptSnapshotError(f"CRC-32C mismatch: stored {crc:#010x}")
    map_end_offset, count = _TABLE.unpack_from(body, 0)
    if map_end_offset < 0 or count < 0:
        raise CorruptSnapshotError(f"negative map end offset {map_end_offset} or count {count}")
    table = ProducerStateTable(map_end_offset=map_end_offset, bugs=bugs)
    position = _TABLE.size
    for _ in range(count):
        entry, position = _decode_entry(body, position, map_end_offset)
        if table.entries and entry.producer_id <= max(table.entries):
            raise CorruptSnapshotError(f"producer id {entry.producer_id} is out of order")
        table.entries[entry.producer_id] = entry
    if position != len(body):
        raise CorruptSnapshotError(f"{len(body) - position} bytes left after the last entry")
    return table


def _decode_entry(
    body: bytes, position: int, map_end_offset: int
) -> tuple[ProducerStateEntry, int]:
    if position + _ENTRY.size > len(body):
        raise CorruptSnapshotError(f"entry at byte {position} is cut off")
    producer_id, epoch, last_timestamp, batch_count = _ENTRY.unpack_from(body, position)
    if producer_id < 0 or epoch < 0 or not 1 <= batch_count <= NUM_BATCHES_TO_RETAIN:
        raise CorruptSnapshotError(
            f"entry at byte {position}: producer id {producer_id}, epoch {epoch}, "
            f"{batch_count} batches (allowed: ids and epochs >= 0, 1..5 batches)"
        )
    position += _ENTRY.size
    batches: list[BatchMetadata] = []
    for _ in range(batch_count):
        if position + _BATCH.size > len(body):
            raise CorruptSnapshotError(f"batch at byte {position} is cut off")
        first_seq, last_seq, last_offset, offset_delta, timestamp = _BATCH.unpack_from(
            body, position
        )
        if (
            first_seq < 0
            or last_seq < 0
            or offset_delta < 0
            or not 0 <= last_offset - offset_delta <= last_offset < map_end_offset
            or (batches and last_offset - offset_delta <= batches[-1].last_offset)
        ):
            raise CorruptSnapshotError(f"batch at byte {position} has impossible values")
        batches.append(
            BatchMetadata(
                first_seq=first_seq,
                last_seq=last_seq,
                last_offset=last_offset,
                offset_delta=offset_delta,
                timestamp=timestamp,
            )
        )
        position += _BATCH.size
    entry = ProducerStateEntry(
        producer_id=producer_id,
        producer_epoch=epoch,
        batches=tuple(batches),
        last_timestamp=last_timestamp,
    )
    return entry, position


def snapshot_file(directory: str, offset: int) -> str:
    """The path of the snapshot at map end offset ``offset``: ``<dir>/<20 digits>.snapshot``."""
    return f"{directory}/{offset:020d}{SNAPSHOT_SUFFIX}"


def snapshot_offsets(disk: Disk, directory: str) -> list[int]:
    """The map end offsets of the snapshots in ``directory``, ascending (others are ignored)."""
    if not disk.exists(directory):
        return []
    offsets = []
    for name in disk.list_dir(directory):
        stem = name.removesuffix(SNAPSHOT_SUFFIX)
        if name.endswith(SNAPSHOT_SUFFIX) and len(stem) == 20 and stem.isdigit() and stem.isascii():
            offsets.append(int(stem))
    return sorted(offsets)


def write_snapshot(disk: Disk, directory: str, table: ProducerStateTable) -> str:
    """Write ``table`` as ``<map end offset>.snapshot`` atomically (tmp, fsync, rename).

    Returns the path.  A crash leaves either no new file or the whole new file.
    """
    path = snapshot_file(directory, table.map_end_offset)
    temporary = f"{path}.tmp"
    disk.write(temporary, encode_snapshot(table))
    disk.fsync(temporary)
    disk.rename(temporary, path)
    return path


def read_snapshot(
    disk: Disk, directory: str, offset: int, *, bugs: BugFlags = NO_BUGS
) -> ProducerStateTable:
    """Load the snapshot taken at ``offset``.

    Raises :class:`CorruptSnapshotError` if it is missing, damaged or labelled with another
    offset; the caller then rebuilds from an older snapshot or from the start of the log.
    """
    path = snapshot_file(directory, offset)
    if not disk.exists(path):
        raise CorruptSnapshotError(f"no snapshot {path}")
    table = decode_snapshot(disk.read(path), bugs=bugs)
    if table.map_end_offset != offset:
        raise CorruptSnapshotError(f"snapshot {path} holds offset {table.map_end_offset}")
    return table


def remove_snapshots(
    disk: Disk, directory: str, *, below: int = 0, above: int | None = None
) -> list[int]:
    """Delete the snapshots taken below offset ``below`` or above offset ``above``.

    Returns their offsets, ascending.  A truncated log deletes those above its new end, since
    they describe batches it no longer holds (Kafka's ``ProducerStateManager.truncateAndReload``);
    a log whose oldest segments went deletes those below its first segment.
    """
    removed = [
        offset
        for offset in snapshot_offsets(disk, directory)
        if offset < below or (above is not None and offset > above)
    ]
    for offset in removed:
        disk.delete(snapshot_file(directory, offset))
    return removed


def trim_below(table: ProducerStateTable, offset: int) -> ProducerStateTable:
    """A copy of ``table`` without the batches below ``offset`` (and producers left with none).

    A snapshot can remember batches of segments that retention has since deleted; trimming them
    makes the loaded state what a replay of the remaining log gives (IDEM-5).  Kafka keeps such
    producers until ``producer.id.expiration.ms`` passes; glasskafka has no expiry, so it keeps
    exactly what the log still shows.
    """
    trimmed = ProducerStateTable(map_end_offset=table.map_end_offset, bugs=table.bugs)
    for producer_id, entry in table.entries.items():
        kept = tuple(batch for batch in entry.batches if batch.first_offset >= offset)
        if len(kept) == len(entry.batches):
            trimmed.entries[producer_id] = entry
        elif kept:
            trimmed.entries[producer_id] = ProducerStateEntry(
                producer_id=producer_id,
                producer_epoch=entry.producer_epoch,
                batches=kept,
                last_timestamp=entry.last_timestamp,
            )
    return trimmed
