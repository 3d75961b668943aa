"""The broker-side producer state: the checks in order, the window, the follower path, snapshots.

Each test names the rule of ``reference/replication-invariants.md`` §6 or the spec ID it shows.
Batches are built with the real record-batch encoder and read back with ``read_header``, so the
table sees exactly what a broker's produce path would give it.  Snapshot bytes are an input
surface (they come from disk), so they get hostile input: every truncation, every flipped bit and
arbitrary bytes must raise :class:`CorruptSnapshotError`, never anything else.

Spec IDs: IDEM-1..6 (the checks each invariant rests on).

Simplified from Kafka: no transactions, so no control batches.
"""

from __future__ import annotations

import dataclasses

import pytest
from glasskafka.bugs import BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.log.producer_state import (
    NUM_BATCHES_TO_RETAIN,
    CorruptSnapshotError,
    DuplicateBatch,
    ProducerStateTable,
    decode_snapshot,
    encode_snapshot,
    next_sequence,
    read_snapshot,
    rebuild_producer_state,
    snapshot_file,
    snapshot_offsets,
    write_snapshot,
)
from glasskafka.records import Record, encode_batch, read_header
from glasskafka.records.header import BatchHeader
from glasskafka.storage import SimDisk
from hypothesis import given
from hypothesis import strategies as st

PID = 7


def batch(
    *,
    seq: int,
    count: int = 1,
    epoch: int = 0,
    offset: int = 0,
    producer_id: int = PID,
    timestamp: int = 1000,
) -> BatchHeader:
    """The header of a real encoded batch of ``count`` records."""
    records = [Record(value=b"v", timestamp=timestamp) for _ in range(count)]
    data = encode_batch(
        records,
        base_offset=offset,
        producer_id=producer_id,
        producer_epoch=epoch if producer_id >= 0 else -1,
        base_sequence=seq,
    )
    return read_header(data)


def leader_append(table: ProducerStateTable, header: BatchHeader) -> object:
    """What a leader's produce path does: check, and on NONE record the append."""
    result = table.check_client_append(header)
    if result is ErrorCode.NONE:
        table.record_append(header)
    return result


# ---------------------------------------------------------------------------------------------
# The checks, in order (§6.3)


def test_a_new_producer_is_accepted_at_any_sequence() -> None:
    # Current Kafka (KIP-360): no state for the PID means nothing to compare with.
    table = ProducerStateTable()
    assert table.check_client_append(batch(seq=42)) is ErrorCode.NONE


def test_a_batch_without_producer_id_is_never_checked() -> None:
    table = ProducerStateTable()
    plain = batch(seq=-1, producer_id=-1)
    assert leader_append(table, plain) is ErrorCode.NONE
    assert leader_append(table, dataclasses.replace(plain, base_offset=1)) is ErrorCode.NONE
    assert table.entries == {}
    assert table.map_end_offset == 2


def test_an_idempotent_batch_without_a_sequence_is_invalid() -> None:
    assert ProducerStateTable().check_client_append(batch(seq=-1)) is ErrorCode.INVALID_RECORD


def test_in_sequence_batches_are_accepted_and_remembered() -> None:
    table = ProducerStateTable()
    assert leader_append(table, batch(seq=0, count=3, offset=0)) is ErrorCode.NONE
    assert leader_append(table, batch(seq=3, count=2, offset=3)) is ErrorCode.NONE
    entry = table.last_entry(PID)
    assert entry is not None
    assert [(b.first_seq, b.last_seq, b.first_offset, b.last_offset) for b in entry.batches] == [
        (0, 2, 0, 2),
        (3, 4, 3, 4),
    ]
    assert table.map_end_offset == 5


def test_a_retry_is_answered_with_the_original_offsets() -> None:
    # Check 1 (IDEM-3): same epoch, same first and last sequence.
    table = ProducerStateTable()
    leader_append(table, batch(seq=0, count=3, offset=10))
    retry = batch(seq=0, count=3, offset=13)
    assert table.check_client_append(retry) == DuplicateBatch(
        first_offset=10, last_offset=12, timestamp=1000
    )


def test_a_batch_overlapping_a_cached_one_is_not_a_duplicate() -> None:
    # Same first sequence, different last: not a repeat, and out of order.
    table = ProducerStateTable()
    leader_append(table, batch(seq=0, count=3))
    result = table.check_client_append(batch(seq=0, count=2, offset=3))
    assert result is ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER


def test_a_stale_epoch_is_fenced() -> None:
    # Check 2 (IDEM-4), before the sequence is even looked at.
    table = ProducerStateTable()
    leader_append(table, batch(seq=0, epoch=3))
    assert table.check_client_append(batch(seq=1, epoch=2, offset=1)) is (
        ErrorCode.INVALID_PRODUCER_EPOCH
    )


def test_a_new_epoch_must_start_at_zero() -> None:
    # Check 3.
    table = ProducerStateTable()
    leader_append(table, batch(seq=0, count=5, epoch=0))
    assert table.check_client_append(batch(seq=5, epoch=1, offset=5)) is (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert leader_append(table, batch(seq=0, epoch=1, offset=5)) is ErrorCode.NONE
    entry = table.last_entry(PID)
    assert entry is not None and entry.producer_epoch == 1
    assert [b.first_seq for b in entry.batches] == [0]  # the window was emptied


def test_a_gap_is_refused_not_skipped() -> None:
    # Check 4 (IDEM-6): the next sequence must follow the last one exactly.
    table = ProducerStateTable()
    leader_append(table, batch(seq=0, count=2))
    assert table.check_client_append(batch(seq=3, offset=2)) is (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert table.check_client_append(batch(seq=1, offset=2)) is (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )


def test_a_duplicate_wins_over_an_epoch_check() -> None:
    # The order matters: a retry of an appended batch is a duplicate even though a later batch
    # of the same epoch moved the sequence on.
    table = ProducerStateTable()
    leader_append(table, batch(seq=0, offset=0))
    leader_append(table, batch(seq=1, offset=1))
    assert isinstance(table.check_client_append(batch(seq=0, offset=2)), DuplicateBatch)


def test_sequences_wrap_after_the_largest_int32() -> None:
    assert next_sequence(2**31 - 1) == 0
    assert next_sequence(41) == 42
    table = ProducerStateTable()
    leader_append(table, batch(seq=2**31 - 2, count=2))  # ...2147483646, 2147483647
    header = batch(seq=0, offset=2)
    assert leader_append(table, header) is ErrorCode.NONE


def test_the_window_keeps_the_last_five_batches() -> None:
    table = ProducerStateTable()
    for seq in range(NUM_BATCHES_TO_RETAIN + 1):
        leader_append(table, batch(seq=seq, offset=seq))
    entry = table.last_entry(PID)
    assert entry is not None
    assert [b.first_seq for b in entry.batches] == [1, 2, 3, 4, 5]
    # Why five: the oldest batch fell out, so its retry is no longer recognised (§6.3).
    assert table.check_client_append(batch(seq=0, offset=6)) is (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert isinstance(table.check_client_append(batch(seq=1, offset=6)), DuplicateBatch)


def test_after_an_unclean_failover_the_next_batch_reports_the_gap() -> None:
    # IDEM-6: the new leader lacks the acknowledged batch 2..3 but has state up to 1, so the
    # producer's next batch (4..) is refused with 45 instead of being appended after a hole.
    follower = ProducerStateTable()
    follower.append_replicated(batch(seq=0, count=2, offset=0))
    assert follower.check_client_append(batch(seq=4, offset=2)) is (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )


# ---------------------------------------------------------------------------------------------
# The follower path, rebuilding, and the bug flags


def test_the_follower_builds_the_state_the_leader_has() -> None:
    leader, follower = ProducerStateTable(), ProducerStateTable()
    headers = [batch(seq=0, count=2, offset=0), batch(seq=2, offset=2), batch(seq=0, epoch=1)]
    headers[2] = dataclasses.replace(headers[2], base_offset=3)
    for header in headers:
        leader_append(leader, header)
        follower.append_replicated(header)
    assert follower == leader
    assert rebuild_producer_state(headers) == leader


def test_the_follower_copies_without_checking() -> None:
    # A replicated batch of an older epoch is the leader's decision, and is applied as it is.
    follower = ProducerStateTable()
    follower.append_replicated(batch(seq=0, epoch=2))
    follower.append_replicated(batch(seq=0, epoch=1, offset=1))
    entry = follower.last_entry(PID)
    assert entry is not None and entry.producer_epoch == 1


def test_rebuild_continues_from_a_snapshot() -> None:
    headers = [batch(seq=seq, offset=seq) for seq in range(8)]
    whole = rebuild_producer_state(headers)
    start = rebuild_producer_state(headers[:3])
    assert rebuild_producer_state(headers, start=start) == whole
    assert start == rebuild_producer_state(headers[:3])  # the start is not changed


def test_follower_skips_producer_state_flag() -> None:
    flagged = ProducerStateTable(bugs=BugFlags.only("follower_skips_producer_state"))
    flagged.append_replicated(batch(seq=0))
    assert flagged.entries == {}
    assert flagged.map_end_offset == 1
    # Recovery does not go through the follower path, so it still rebuilds the state.
    rebuilt = rebuild_producer_state([batch(seq=0)], bugs=flagged.bugs)
    assert PID in rebuilt.entries


def test_dedupe_first_seq_only_flag() -> None:
    flagged = ProducerStateTable(bugs=BugFlags.only("dedupe_first_seq_only"))
    leader_append(flagged, batch(seq=0, count=1, epoch=0))
    new_session = batch(seq=0, count=3, epoch=1, offset=1)
    assert isinstance(flagged.check_client_append(new_session), DuplicateBatch)
    assert ProducerStateTable().check_client_append(new_session) is ErrorCode.NONE


def test_accept_stale_producer_epoch_flag() -> None:
    flagged = ProducerStateTable(bugs=BugFlags.only("accept_stale_producer_epoch"))
    leader_append(flagged, batch(seq=0, epoch=1))
    assert flagged.check_client_append(batch(seq=0, epoch=0, offset=1)) is ErrorCode.NONE
    # It still goes through the sequence check: a stale batch in mid-session is refused.
    assert flagged.check_client_append(batch(seq=4, epoch=0, offset=1)) is (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )


# ---------------------------------------------------------------------------------------------
# Snapshots


def sample_table() -> ProducerStateTable:
    table = ProducerStateTable()
    for seq in range(7):
        leader_append(table, batch(seq=seq, offset=seq, timestamp=100 + seq))
    leader_append(table, batch(seq=0, count=2, offset=7, producer_id=3, epoch=4))
    return table


def test_a_snapshot_round_trips() -> None:
    table = sample_table()
    assert decode_snapshot(encode_snapshot(table)) == table
    assert decode_snapshot(encode_snapshot(ProducerStateTable())) == ProducerStateTable()


def test_snapshots_do_not_depend_on_insertion_order() -> None:
    table = sample_table()
    reordered = ProducerStateTable(
        entries=dict(reversed(list(table.entries.items()))), map_end_offset=table.map_end_offset
    )
    assert encode_snapshot(reordered) == encode_snapshot(table)


def test_snapshot_files_on_a_disk() -> None:
    disk = SimDisk()
    disk.make_dirs("orders-0")
    table = sample_table()
    path = write_snapshot(disk, "orders-0", table)
    assert path == "orders-0/00000000000000000009.snapshot" == snapshot_file("orders-0", 9)
    disk.write("orders-0/00000000000000000000.log", b"")
    disk.write("orders-0/junk.snapshot", b"")
    disk.write("orders-0/00000000000000000003.snapshot.tmp", b"")
    assert snapshot_offsets(disk, "orders-0") == [9]
    assert snapshot_offsets(disk, "missing") == []
    assert read_snapshot(disk, "orders-0", 9) == table
    disk.crash()
    assert read_snapshot(disk, "orders-0", 9) == table  # written durably


def test_a_missing_or_mislabelled_snapshot_is_refused() -> None:
    disk = SimDisk()
    disk.make_dirs("t-0")
    with pytest.raises(CorruptSnapshotError, match="no snapshot"):
        read_snapshot(disk, "t-0", 5)
    disk.write(snapshot_file("t-0", 5), encode_snapshot(sample_table()))
    with pytest.raises(CorruptSnapshotError, match="holds offset 9"):
        read_snapshot(disk, "t-0", 5)


def test_every_truncation_of_a_snapshot_is_refused() -> None:
    data = encode_snapshot(sample_table())
    for size in range(len(data)):
        with pytest.raises(CorruptSnapshotError):
            decode_snapshot(data[:size])
    with pytest.raises(CorruptSnapshotError, match="CRC"):
        decode_snapshot(data + b"\x00")


def test_every_flipped_bit_of_a_snapshot_is_refused() -> None:
    data = encode_snapshot(sample_table())
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x10
        with pytest.raises(CorruptSnapshotError):
            decode_snapshot(bytes(damaged))


@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    try:
        table = decode_snapshot(data)
    except CorruptSnapshotError:
        return
    assert decode_snapshot(encode_snapshot(table)) == table  # only a valid snapshot gets here


def test_a_well_formed_snapshot_with_impossible_values_is_refused() -> None:
    # Right CRC, wrong content: the decoder checks values, not only the checksum.
    bad = sample_table()
    entry = bad.entries[PID]
    bad.entries[PID] = dataclasses.replace(
        entry, batches=(*entry.batches[:-1], dataclasses.replace(entry.batches[-1], last_offset=99))
    )
    with pytest.raises(CorruptSnapshotError, match="impossible"):
        decode_snapshot(encode_snapshot(bad))
    negative = sample_table()
    negative.entries[PID] = dataclasses.replace(negative.entries[PID], producer_epoch=-3)
    with pytest.raises(CorruptSnapshotError, match="epoch -3"):
        decode_snapshot(encode_snapshot(negative))
