"""The log's small parts on their own: names, the two sparse indexes, the leader-epoch cache."""

from __future__ import annotations

import pytest
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.log import (
    LeaderEpochCache,
    LogError,
    OffsetIndex,
    TimeIndex,
    decode_offset_index,
    decode_time_index,
    parse_partition_dir,
    parse_segment_file,
    partition_dir,
    segment_file,
)

# -- names --------------------------------------------------------------------------------------


def test_partition_directories_and_segment_files_use_kafkas_names() -> None:
    assert partition_dir("page_visits", 4) == "page_visits-4"
    assert partition_dir("t", 0, log_dir="data") == "data/t-0"
    assert segment_file("t-0", 1207, ".log") == "t-0/00000000000000001207.log"
    assert parse_segment_file("00000000000000001207.timeindex") == (1207, ".timeindex")
    assert parse_segment_file("1207.log") is None
    assert parse_segment_file("00000000000000001207.log.cleaned") is None


def test_a_partition_directory_name_splits_at_the_last_dash() -> None:
    assert parse_partition_dir("my-topic-12") == ("my-topic", 12)
    assert parse_partition_dir("my-topic") is None
    assert parse_partition_dir("-3") is None
    assert parse_partition_dir("t-٣") is None  # a non-ASCII digit
    assert parse_partition_dir("bad/name-1") is None


def test_illegal_names_never_become_paths() -> None:
    with pytest.raises(LogError) as raised:
        partition_dir("..", 0)
    assert raised.value.code is ErrorCode.INVALID_TOPIC_EXCEPTION
    assert "'..'" in str(raised.value)


# -- the offset index ---------------------------------------------------------------------------


def make_index(interval_bytes: int = 100, bugs: BugFlags = NO_BUGS) -> OffsetIndex:
    return OffsetIndex(base_offset=50, interval_bytes=interval_bytes, max_entries=10, bugs=bugs)


def test_an_entry_goes_in_after_more_than_interval_bytes() -> None:
    index = make_index()
    # Batches of 60 bytes at positions 0, 60, 120...: each ends at offset 50 + 2n + 1.
    written = [
        index.maybe_append(last_offset=51 + 2 * n, position=60 * n, size=60) for n in range(5)
    ]
    assert [entry is not None for entry in written] == [False, False, True, False, True]
    assert [index.entry(n) for n in range(index.entries)] == [(55, 120), (59, 240)]
    assert written[2] == b"\x00\x00\x00\x05\x00\x00\x00\x78"


def test_a_lookup_finds_the_last_entry_at_or_below_the_offset() -> None:
    index = make_index()
    for n in range(5):
        index.maybe_append(last_offset=51 + 2 * n, position=60 * n, size=60)
    assert index.lookup(50) == (50, 0)  # before every entry: scan from the segment's start
    assert index.lookup(55) == (55, 120)
    assert index.lookup(58) == (55, 120)
    assert index.lookup(1_000) == (59, 240)


def test_the_off_by_one_bug_points_past_the_batch() -> None:
    index = make_index(bugs=BugFlags(index_entry_off_by_one=True))
    for n in range(3):
        index.maybe_append(last_offset=51 + 2 * n, position=60 * n, size=60)
    # Offset 55 lives in the batch at 120, but the buggy entry says 180: past it (LOG-3).
    assert index.lookup(55) == (55, 180)


def test_truncating_the_index_drops_entries_at_and_above_an_offset() -> None:
    index = make_index(interval_bytes=0)
    for n in range(5):
        index.maybe_append(last_offset=51 + 2 * n, position=60 * n, size=60)
    index.truncate_to(55)
    assert [index.entry(n)[0] for n in range(index.entries)] == [53]
    assert decode_offset_index(index.encode()) == [(3, 60)]


def test_a_torn_or_wrong_index_is_detected() -> None:
    assert decode_offset_index(b"\x00" * 12) is None
    index = make_index()
    index.load([(5, 100), (3, 200)], log_size=300)
    assert index.problems(log_size=300) == ["entry 1 (3, 200) does not rise"]
    index.load([(5, 400)], log_size=300)
    assert index.problems(log_size=300) == ["entry 0 (5, 400) points outside the segment"]


# -- the time index -----------------------------------------------------------------------------


def test_the_time_index_only_grows_when_the_timestamp_does() -> None:
    index = TimeIndex(base_offset=10, max_entries=5)
    assert index.maybe_append(timestamp=100, offset=12) is not None
    assert index.maybe_append(timestamp=100, offset=14) is None
    assert index.maybe_append(timestamp=90, offset=16) is None
    assert index.maybe_append(timestamp=150, offset=18) is not None
    assert index.lookup(99) == 10
    assert index.lookup(120) == 12
    assert index.lookup(10**12) == 18
    assert decode_time_index(index.encode()) == [(100, 2), (150, 8)]
    index.truncate_to(18)
    assert index.last_entry() == (100, 12)


# -- the leader-epoch cache (KIP-101, KIP-279) --------------------------------------------------


def cache(*entries: tuple[int, int]) -> LeaderEpochCache:
    return LeaderEpochCache(entries=list(entries))


def test_assign_keeps_epochs_and_offsets_rising() -> None:
    epochs = cache()
    assert epochs.assign(epoch=0, start_offset=0)
    assert not epochs.assign(epoch=0, start_offset=5)
    assert epochs.assign(epoch=2, start_offset=10)
    assert epochs.assign(epoch=3, start_offset=10)  # epoch 2 wrote nothing: it is replaced
    assert epochs.entries == [(0, 0), (3, 10)]
    assert not epochs.assign(epoch=-1, start_offset=20)


@pytest.mark.parametrize(
    ("requested", "answer"),
    [
        (3, (3, 100)),  # the latest epoch ends at the log end
        (2, (2, 70)),  # an older one ends where the next begins
        (1, (0, 30)),  # never wrote here: the largest epoch below it, and its end
        (-1, (-1, -1)),
        (4, (-1, -1)),  # newer than any: unknown
    ],
)
def test_end_offset_for_epoch_follows_kip_279(requested: int, answer: tuple[int, int]) -> None:
    assert cache((0, 0), (2, 30), (3, 70)).end_offset_for(requested, log_end_offset=100) == answer


def test_an_epoch_older_than_every_entry_ends_at_the_first_start() -> None:
    assert cache((5, 40), (6, 50)).end_offset_for(2, log_end_offset=60) == (2, 40)


def test_truncation_from_the_end_and_from_the_start() -> None:
    epochs = cache((0, 0), (2, 30), (3, 70))
    assert epochs.truncate_from_end(70)
    assert epochs.entries == [(0, 0), (2, 30)]
    assert epochs.truncate_from_start(40)
    assert epochs.entries == [(2, 40)]
    assert not epochs.truncate_from_start(40)
    assert not epochs.truncate_from_start(10)
