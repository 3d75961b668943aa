"""The partition log against its specification (``specs/log.py``), driven by Hypothesis.

The machine below is the environment of one partition log on a ``SimDisk``: a producer appending
keyed batches, a clock, a follower-style truncation, retention, compaction, flushes, reads, time
lookups, and four kinds of crash -- the process dies (kill -9, every written byte survives), a
clean power loss (only synced bytes survive), a lossy one that keeps a random part of the
unsynced bytes (a torn tail), and a damaging one that keeps all of them but with one bit flipped
in a record (a sector the disk wrote wrongly).  A plain list of records is the model.

The topic is configured tiny (segments of 400 bytes, an index entry every 64 bytes) so that
rolls, index entries, retention and compaction all happen within a few steps, and with
``cleanup.policy=compact,delete`` so both kinds of cleanup run on the same log.

Each spec ID has one ``@invariant``, named after it.  The log's state is observed through
:func:`view_of`, which reads the segment files from the disk and decodes them itself, so the
checks do not go through the read path they check.  Operations whose specification compares a
before and an after (crash, retention, compaction, truncation, time lookup) leave a pending
observation for their invariant to check in the same step.

``test_log_teeth.py`` runs the same machine with bug flags on and asserts that it fails.
"""

from __future__ import annotations

import random
from typing import ClassVar

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import TopicConfig
from glasskafka.log import LogError, LogManager, PartitionLog
from glasskafka.records import (
    BATCH_HEADER_SIZE,
    CorruptRecordError,
    Record,
    decode_batch,
    encode_batch,
    iter_batches,
)
from glasskafka.storage import SimDisk
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from specs.catalogue import check
from specs.log import (
    BatchView,
    LogView,
    ReadView,
    RecordView,
    SegmentView,
    compacted,
    compaction_keeps_latest_per_key,
    crash_keeps_synced_prefix,
    epoch_cache_agrees_with_log,
    index_lookups_land_at_or_before,
    offsets_increase_by_one,
    reads_return_appended_records,
    retention_keeps_data_above_log_start,
    time_lookup_finds_first_offset,
    truncation_removes_only_the_tail,
)

__all__ = ["CONFIG", "LogMachine", "damaged_power_loss", "view_of"]

TOPIC = "orders"
KEYS = (b"a", b"b", b"c", b"d")
CONFIG = TopicConfig(
    cleanup_policy="compact,delete",
    segment_bytes=400,
    segment_ms=600,
    index_interval_bytes=64,
    retention_ms=800,
    retention_bytes=300,
    delete_retention_ms=300,
)
START_MS = 10_000
CRASHES = ("process", "power", "lossy", "damaged")


def batches_of(data: bytes) -> list[BatchView]:
    """Decode every whole batch in ``data`` independently of the log; mark corrupt ones."""
    found = []
    for position, header in iter_batches(data):
        try:
            records = tuple(
                RecordView(offset=r.offset, key=r.key, value=r.value, timestamp=r.timestamp)
                for r in decode_batch(data, position).records
            )
            valid = True
        except CorruptRecordError:
            records, valid = (), False
        found.append(
            BatchView(
                position=position,
                base_offset=header.base_offset,
                last_offset=header.last_offset,
                partition_leader_epoch=header.partition_leader_epoch,
                valid=valid,
                records=records,
            )
        )
    return found


def view_of(log: PartitionLog) -> LogView:
    """Observe ``log``: its segment files as decoded batches, and its index lookups."""
    segments = []
    for segment in log.segments:
        batches = batches_of(log.disk.read(segment.log_path))
        wanted = sorted(
            {o for b in batches for o in (b.base_offset, (b.base_offset + b.last_offset) // 2)}
            | {b.last_offset for b in batches}
        )
        lookups = tuple((o, segment.offset_index.lookup(o)[1]) for o in wanted)
        segments.append(
            SegmentView(base_offset=segment.base_offset, batches=tuple(batches), lookups=lookups)
        )
    return LogView(
        log_start_offset=log.log_start_offset,
        log_end_offset=log.log_end_offset,
        segments=tuple(segments),
        epochs=tuple(log.epoch_cache.entries),
    )


def read_view(log: PartitionLog, offset: int, max_bytes: int) -> ReadView:
    """Read through the log's own read path and decode what came back."""
    try:
        data, error = log.read(offset, max_bytes=max_bytes), None
    except LogError as refused:
        data, error = b"", refused.code.name
    return ReadView(
        fetch_offset=offset,
        max_bytes=max_bytes,
        log_start_offset=log.log_start_offset,
        log_end_offset=log.log_end_offset,
        error=error,
        batches=tuple(batches_of(data)),
        total_bytes=len(data),
    )


def damaged_power_loss(disk: SimDisk, rng: random.Random) -> None:
    """A power loss in which every unsynced byte of the ``.log`` files reached the disk, but one
    unsynced batch got one bit flipped inside its records.  Other files keep their synced bytes.
    """
    for path in sorted(disk.files):
        entry = disk.files[path]
        durable = entry.durable or b""
        grew = len(entry.current) > len(durable) and entry.current.startswith(durable)
        if path.endswith(".log") and grew:
            unsynced = [
                (position, header)
                for position, header in iter_batches(entry.current)
                if position >= len(durable) and header.size > BATCH_HEADER_SIZE
            ]
            if unsynced:
                position, header = rng.choice(unsynced)
                index = (
                    position + BATCH_HEADER_SIZE + rng.randrange(header.size - BATCH_HEADER_SIZE)
                )
                entry.current[index] ^= 1 << rng.randrange(8)
            entry.durable = bytes(entry.current)
        elif entry.durable is None:
            del disk.files[path]
        else:
            entry.current = bytearray(entry.durable)


class LogMachine(RuleBasedStateMachine):
    """One partition log on a SimDisk, checked against a list of records."""

    bugs: ClassVar[BugFlags] = NO_BUGS

    def __init__(self) -> None:
        super().__init__()
        self.disk = SimDisk()
        self.now_ms = START_MS
        self.manager = LogManager.open(
            self.disk, now_ms=self.now_ms, default_config=CONFIG, bugs=self.bugs
        )
        self.log = self.manager.get_or_create_log(TOPIC, 0, now_ms=self.now_ms)
        self.model: list[RecordView] = []
        self.next_offset = 0
        self.epoch = 0
        self.synced_end = 0
        self.gaps_below = 0
        self.append_errors: list[str] = []
        self.last_read: ReadView | None = None
        self.pending_crash: tuple[list[RecordView], int] | None = None
        self.pending_retention: tuple[list[RecordView], int] | None = None
        self.pending_compaction: tuple[list[RecordView], int, int] | None = None
        self.pending_truncation: tuple[LogView, int] | None = None
        self.pending_time_lookup: tuple[int, int | None] | None = None

    # -- the environment ----------------------------------------------------------------------

    @rule(
        batches=st.lists(
            st.lists(
                st.tuples(st.sampled_from(KEYS), st.none() | st.binary(max_size=24)),
                min_size=1,
                max_size=4,
            ),
            min_size=1,
            max_size=5,
        )
    )
    def append(self, batches: list[list[tuple[bytes, bytes | None]]]) -> None:
        for records in batches:
            self._append_one(records)
        # A roll flushes the segment it closes; the recovery point is the log's promise of
        # what is on disk, and LOG-4 holds it to that promise.
        self.synced_end = max(self.synced_end, self.log.recovery_point)

    def _append_one(self, records: list[tuple[bytes, bytes | None]]) -> None:
        batch = encode_batch(
            [Record(key=key, value=value, timestamp=self.now_ms) for key, value in records]
        )
        info = self.log.append_as_leader(batch, leader_epoch=self.epoch, now_ms=self.now_ms)
        if info.first_offset != self.next_offset:
            self.append_errors.append(
                f"append got offset {info.first_offset}, expected {self.next_offset}"
            )
        for number, (key, value) in enumerate(records):
            self.model.append(
                RecordView(
                    offset=self.next_offset + number, key=key, value=value, timestamp=self.now_ms
                )
            )
        self.next_offset += len(records)

    @rule()
    def new_leader_epoch(self) -> None:
        self.epoch += 1

    @rule(elapsed_ms=st.integers(min_value=1, max_value=700))
    def tick(self, elapsed_ms: int) -> None:
        self.now_ms += elapsed_ms

    @rule()
    def roll(self) -> None:
        self.log.roll(now_ms=self.now_ms)
        self.synced_end = max(self.synced_end, self.log.recovery_point)

    @rule()
    def flush(self) -> None:
        self.manager.flush_all()
        self.synced_end = self.log.log_end_offset

    @rule(choice=st.integers(min_value=0, max_value=10_000), max_bytes=st.integers(0, 700))
    def read(self, choice: int, max_bytes: int) -> None:
        start, end = self.log.log_start_offset, self.log.log_end_offset
        offset = start - 1 + choice % (end - start + 3)
        self.last_read = read_view(self.log, offset, max_bytes)

    @rule(choice=st.integers(min_value=0, max_value=10_000))
    def truncate(self, choice: int) -> None:
        start, end = self.log.log_start_offset, self.log.log_end_offset
        offset = start + choice % (end - start + 1)
        before = view_of(self.log)
        self.manager.truncate_to(TOPIC, 0, offset, now_ms=self.now_ms)
        cut = next(
            (b.base_offset for b in before.batches() if b.base_offset < offset <= b.last_offset),
            offset,
        )
        self.model = [record for record in self.model if record.offset < cut]
        self.next_offset = self.log.log_end_offset
        self.synced_end = min(self.synced_end, self.log.log_end_offset)
        self.pending_truncation = (before, offset)

    @rule()
    def apply_retention(self) -> None:
        before, start_before = list(self.model), self.log.log_start_offset
        self.log.delete_old_segments(now_ms=self.now_ms)
        self.model = [r for r in self.model if r.offset >= self.log.log_start_offset]
        self.pending_retention = (before, start_before)

    @rule()
    def compact(self) -> None:
        before = list(self.model)
        stats = self.log.compact(now_ms=self.now_ms)
        horizon_ms = self.now_ms - CONFIG.delete_retention_ms
        self.model = compacted(
            before,
            first_uncleanable_offset=stats.first_uncleanable_offset,
            tombstone_horizon_ms=horizon_ms,
        )
        self.gaps_below = max(self.gaps_below, stats.first_uncleanable_offset)
        self.pending_compaction = (before, stats.first_uncleanable_offset, horizon_ms)

    @rule(back_ms=st.integers(min_value=-50, max_value=3_000))
    def look_up_time(self, back_ms: int) -> None:
        timestamp = self.now_ms - back_ms
        self.pending_time_lookup = (timestamp, self.log.offset_for_timestamp(timestamp))

    @rule(kind=st.sampled_from(CRASHES), seed=st.integers(min_value=0, max_value=2**32))
    def crash(self, kind: str, seed: int) -> None:
        """The process dies, or the machine loses power (plainly, tearing or damaging writes)."""
        if kind == "process":
            # kill -9: the operating system still holds every written byte.
            self._reopen(synced_end=self.log.log_end_offset, survivors_durable=False)
            return
        if kind == "power":
            self.disk.crash()
        elif kind == "lossy":
            self.disk.lossy_crash(random.Random(seed))
        else:
            damaged_power_loss(self.disk, random.Random(seed))
        self._reopen(synced_end=self.synced_end, survivors_durable=True)

    def _reopen(self, *, synced_end: int, survivors_durable: bool) -> None:
        before = list(self.model)
        self.manager = LogManager.open(
            self.disk, now_ms=self.now_ms, default_config=CONFIG, bugs=self.bugs
        )
        reopened = self.manager.get_log(TOPIC, 0)
        assert reopened is not None, "LOG-4 violated: the partition log vanished after a crash"
        self.log = reopened
        self.pending_crash = (before, synced_end)
        self.model = [record for record in before if record.offset < self.log.log_end_offset]
        self.next_offset = self.log.log_end_offset
        # What survived a power loss is on the disk: a second one must keep all of it.  After
        # a process crash, unsynced bytes are still only in the page cache.
        if survivors_durable:
            self.synced_end = self.log.log_end_offset
        else:
            self.synced_end = min(self.synced_end, self.log.log_end_offset)

    # -- the specification, one invariant per ID ----------------------------------------------

    @invariant()
    def log_1_offsets_increase_by_one(self) -> None:
        violations = offsets_increase_by_one(view_of(self.log), gaps_allowed_below=self.gaps_below)
        check("LOG-1", self.append_errors + violations)

    @precondition(lambda self: self.pending_crash is None)
    @invariant()
    def log_2_reads_return_appended_records(self) -> None:
        if self.last_read is not None:
            check("LOG-2", reads_return_appended_records(self.model, self.last_read))
            self.last_read = None
        # Read the whole log the way a consumer would, batch after batch.
        offset, end = self.log.log_start_offset, self.log.log_end_offset
        while offset < end:
            read = read_view(self.log, offset, 300)
            check("LOG-2", reads_return_appended_records(self.model, read))
            if not read.batches:
                break  # only a compaction gap is left before the log end
            offset = read.batches[-1].last_offset + 1
        returned = [r for r in view_of(self.log).readable()]
        check(
            "LOG-2", [] if returned == self.model else [f"log holds {returned}, model {self.model}"]
        )

    @invariant()
    def log_3_index_lookups_land_at_or_before(self) -> None:
        check("LOG-3", index_lookups_land_at_or_before(view_of(self.log)))

    @invariant()
    def log_4_a_crash_keeps_a_synced_prefix(self) -> None:
        if self.pending_crash is not None:
            before, synced_end = self.pending_crash
            self.pending_crash = None
            check(
                "LOG-4", crash_keeps_synced_prefix(before, view_of(self.log), synced_end=synced_end)
            )

    @invariant()
    def log_5_retention_keeps_data_above_log_start(self) -> None:
        if self.pending_retention is not None:
            before, start_before = self.pending_retention
            self.pending_retention = None
            violations = retention_keeps_data_above_log_start(
                before, view_of(self.log), log_start_before=start_before
            )
            check("LOG-5", violations)

    @invariant()
    def log_6_compaction_keeps_latest_per_key(self) -> None:
        if self.pending_compaction is not None:
            before, bound, horizon_ms = self.pending_compaction
            self.pending_compaction = None
            violations = compaction_keeps_latest_per_key(
                before,
                view_of(self.log).readable(),
                first_uncleanable_offset=bound,
                tombstone_horizon_ms=horizon_ms,
            )
            check("LOG-6", violations)

    @invariant()
    def log_7_epoch_cache_agrees_with_log(self) -> None:
        check("LOG-7", epoch_cache_agrees_with_log(view_of(self.log)))

    @invariant()
    def log_8_time_lookup_finds_first_offset(self) -> None:
        if self.pending_time_lookup is not None:
            timestamp, found = self.pending_time_lookup
            self.pending_time_lookup = None
            check(
                "LOG-8",
                time_lookup_finds_first_offset(self.model, timestamp=timestamp, found=found),
            )

    @invariant()
    def log_9_truncation_removes_only_the_tail(self) -> None:
        if self.pending_truncation is not None:
            before, offset = self.pending_truncation
            self.pending_truncation = None
            violations = truncation_removes_only_the_tail(before, view_of(self.log), offset=offset)
            check("LOG-9", violations)


TestLogModel = LogMachine.TestCase
