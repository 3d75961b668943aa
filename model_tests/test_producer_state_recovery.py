"""Producer-state snapshots: recovery from a snapshot gives the state a full replay gives.

Theory of operation
-------------------
Kafka's ``ProducerStateManager`` writes a snapshot of the producer state at every segment roll
and, after a crash, loads the newest snapshot and replays only the log after it
(``glasskafka/log/recovery.py``).  That is only right if the snapshot describes exactly the
batches the log still holds below it.  This suite drives one :class:`PartitionLog` on a
:class:`SimDisk` with idempotent batches of two producers (sequences that follow on, epoch
bumps that restart them at 0, and plain non-idempotent batches), and Hypothesis plays the
environment: appends, rolls (explicit, and by ``segment.bytes``), flushes, truncations,
retention, process crashes and power losses (plain, tearing the unsynced tail, or damaging
unsynced bytes), and damage to the snapshot files themselves (a flipped byte, a cut file, a
file that is not a snapshot at all).

The invariant, checked after every step and after every reopening, is IDEM-5 at the level of
the log: the state recovered from the snapshots (``PartitionLog.recover_producer_state``) equals
the state recomputed from every batch in the log, both as the spec sees it (each producer's
epoch and last five batches) and field for field (timestamps and map end offset too).  A
damaged snapshot must be passed over with a reason, never raise.

The teeth: a log whose truncation leaves the snapshots above the cut in place (as if
``truncateAndReload`` forgot to delete them) must be caught: once the log grows past such a
snapshot again and is flushed, recovery loads state for batches that are gone.

Spec IDs: IDEM-5.

Simplified from Kafka: one partition and no replication (the cluster suites cover followers
and failover); no transactions, so no control batches.
"""

from __future__ import annotations

import random
from typing import ClassVar

import pytest
from glasskafka.config import TopicConfig
from glasskafka.log import PartitionLog
from glasskafka.log.producer_state import (
    SNAPSHOT_SUFFIX,
    ProducerStateTable,
    rebuild_producer_state,
    snapshot_file,
    snapshot_offsets,
)
from glasskafka.log.recovery import headers_from
from glasskafka.records import Record, encode_batch
from glasskafka.storage import SimDisk
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from model_tests.test_idempotence_cluster import replica_view
from model_tests.test_log_model import damaged_power_loss
from specs.catalogue import check
from specs.idempotence import IdempotenceSnapshot, LoggedBatch
from specs.idempotence import producer_state_matches_log as idem_5

TOPIC = "payments"
START_MS = 50_000
CONFIG = TopicConfig(segment_bytes=360, retention_bytes=700, segment_ms=10**9)
"""Small segments, so appends roll on their own, and a size bound, so retention deletes some."""
PRODUCERS = (1000, 1001)
CRASHES = ("process", "power", "lossy", "damaged")
DAMAGE = ("flip", "cut", "garbage", "empty", "stray")


def state_fields(table: ProducerStateTable) -> tuple[object, ...]:
    """Everything a table holds, in a comparable order."""
    return (table.map_end_offset, tuple(sorted(table.entries.items())))


class ProducerSnapshotMachine(RuleBasedStateMachine):
    """One partition log with idempotent producers, crashed and reopened (module docstring)."""

    keeps_snapshots_on_truncation: ClassVar[bool] = False
    """The broken variant of the teeth test: truncation puts back the snapshots it deleted."""
    faults: ClassVar[bool] = True
    """Whether crashes and damaged snapshots are among the rules (off to focus a search)."""

    def __init__(self) -> None:
        super().__init__()
        self.disk = SimDisk()
        self.now_ms = START_MS
        self.log = PartitionLog.open(self.disk, TOPIC, 0, CONFIG, now_ms=self.now_ms)
        self.epochs = dict.fromkeys(PRODUCERS, 0)
        self.next_seq = dict.fromkeys(PRODUCERS, 0)
        self.skipped: list[str] = []

    # -- the environment ----------------------------------------------------------------------

    @rule(
        producer=st.sampled_from((*PRODUCERS, -1)),
        count=st.integers(min_value=1, max_value=3),
        value_size=st.integers(min_value=0, max_value=60),
    )
    def append(self, producer: int, count: int, value_size: int) -> None:
        records = [
            Record(key=None, value=b"v" * value_size, timestamp=self.now_ms) for _ in range(count)
        ]
        if producer < 0:
            batch = encode_batch(records)
        else:
            batch = encode_batch(
                records,
                producer_id=producer,
                producer_epoch=self.epochs[producer],
                base_sequence=self.next_seq[producer],
            )
            self.next_seq[producer] += count
        self.log.append_as_leader(batch, leader_epoch=0, now_ms=self.now_ms)
        self.now_ms += 7

    @rule(producer=st.sampled_from(PRODUCERS))
    def bump_epoch(self, producer: int) -> None:
        """The producer starts a new session (InitProducerId): a new epoch, sequences from 0."""
        self.epochs[producer] += 1
        self.next_seq[producer] = 0

    @rule()
    def roll(self) -> None:
        self.log.roll(now_ms=self.now_ms)

    @rule()
    def flush(self) -> None:
        self.log.flush()

    @rule(choice=st.integers(min_value=0, max_value=10_000))
    def truncate(self, choice: int) -> None:
        start, end = self.log.log_start_offset, self.log.log_end_offset
        offset = start + choice % (end - start + 1)
        kept = {
            offset: self.disk.read(snapshot_file(self.log.directory, offset))
            for offset in snapshot_offsets(self.disk, self.log.directory)
        }
        self.log.truncate_to(offset, now_ms=self.now_ms)
        if self.keeps_snapshots_on_truncation:
            for number, data in kept.items():
                path = snapshot_file(self.log.directory, number)
                self.disk.write(path, data)
                self.disk.fsync(path)
        # The producer goes on from where the log now ends, as a new session would.
        for producer in PRODUCERS:
            self.bump_epoch(producer)

    @rule()
    def apply_retention(self) -> None:
        self.log.delete_old_segments(now_ms=self.now_ms)

    @precondition(lambda self: self.faults)
    @rule(kind=st.sampled_from(CRASHES), seed=st.integers(min_value=0, max_value=2**32))
    def crash(self, kind: str, seed: int) -> None:
        """The process dies, or the machine loses power (plainly, tearing or damaging writes)."""
        recovery_point = self.log.recovery_point
        if kind == "power":
            self.disk.crash()
        elif kind == "lossy":
            self.disk.lossy_crash(random.Random(seed))
        elif kind == "damaged":
            damaged_power_loss(self.disk, random.Random(seed))
        self._reopen(recovery_point)

    @precondition(
        lambda self: self.faults and bool(snapshot_offsets(self.disk, self.log.directory))
    )
    @rule(how=st.sampled_from(DAMAGE), choice=st.integers(min_value=0, max_value=10_000))
    def damage_a_snapshot(self, how: str, choice: int) -> None:
        """A snapshot file is damaged on disk (bit rot, a cut copy, a foreign file)."""
        offsets = snapshot_offsets(self.disk, self.log.directory)
        path = snapshot_file(self.log.directory, offsets[choice % len(offsets)])
        data = bytearray(self.disk.read(path))
        if how == "flip" and data:
            data[choice % len(data)] ^= 1 << (choice % 8)
        elif how == "cut":
            del data[choice % max(len(data), 1) :]
        elif how == "garbage":
            data = bytearray(b"not a snapshot at all" * (1 + choice % 3))
        elif how == "empty":
            data = bytearray()
        else:
            # A well-formed snapshot under the wrong name: it claims another offset.
            path = f"{self.log.directory}/{offsets[-1] + 1 + choice % 5:020d}{SNAPSHOT_SUFFIX}"
        self.disk.write(path, bytes(data))
        self.disk.fsync(path)

    def _reopen(self, recovery_point: int) -> None:
        self.log = PartitionLog.open(
            self.disk, TOPIC, 0, CONFIG, now_ms=self.now_ms, recovery_point=recovery_point
        )
        for producer in PRODUCERS:
            self.bump_epoch(producer)

    # -- the specification --------------------------------------------------------------------

    @invariant()
    def idem_5_recovered_state_matches_the_log(self) -> None:
        recovered = self.log.recover_producer_state()
        self.skipped.extend(recovered.skipped)
        headers = list(headers_from(self.log.segments, self.log.segments[0].base_offset))
        replayed = rebuild_producer_state(headers)
        logged = [
            LoggedBatch(
                base_offset=h.base_offset,
                last_offset=h.last_offset,
                producer_id=h.producer_id,
                producer_epoch=h.producer_epoch,
                first_seq=h.base_sequence,
                last_seq=h.last_sequence,
            )
            for h in headers
        ]
        view = replica_view("recovered", logged, recovered.state)
        violations = idem_5(IdempotenceSnapshot(leader="recovered", replicas=(view,), acks=()))
        if not violations and headers and state_fields(recovered.state) != state_fields(replayed):
            violations.append(
                f"recovered from snapshot {recovered.snapshot_offset}: {recovered.state} "
                f"differs from a full replay: {replayed}"
            )
        check("IDEM-5", violations)


TestProducerSnapshots = ProducerSnapshotMachine.TestCase


class TruncationKeepsSnapshots(ProducerSnapshotMachine):
    """The broken variant: snapshots above a truncation point survive it."""

    keeps_snapshots_on_truncation = True
    faults = False


TEETH = settings(
    max_examples=400,
    stateful_step_count=25,
    deadline=None,
    database=None,
    derandomize=True,
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_snapshots_kept_across_a_truncation_are_caught() -> None:
    with pytest.raises(AssertionError, match="IDEM-5 violated"):
        run_state_machine_as_test(TruncationKeepsSnapshots, settings=TEETH)
