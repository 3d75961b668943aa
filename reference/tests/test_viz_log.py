"""The picture of a partition log: segments, index arrows, and the log start/end markers."""

from __future__ import annotations

import pytest
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import TopicConfig
from glasskafka.log import PartitionLog
from glasskafka.records import Record, encode_batch
from glasskafka.storage import SimDisk
from glasskafka.viz.log import log_picture

from model_tests.support import require_tool


def make_log(bugs: BugFlags = NO_BUGS) -> PartitionLog:
    config = TopicConfig(segment_bytes=400, index_interval_bytes=100, retention_ms=1_000)
    log = PartitionLog.open(SimDisk(), "orders", 0, config, now_ms=0, bugs=bugs)
    for number in range(10):
        records = [Record(key=b"k", value=b"v%d" % number, timestamp=100 * number)] * 2
        log.append_as_leader(encode_batch(records), leader_epoch=0, now_ms=0)
    return log


def test_the_picture_names_segments_batches_index_entries_and_offsets() -> None:
    log = make_log()
    log.delete_old_segments(now_ms=1_450)
    source = log_picture(log, high_watermark=18).source
    first = log.segments[0]
    assert f"{first.base_offset:020d}.log" in source
    assert "00000000000000000000.log" not in source  # deleted by retention
    assert f"log start offset = {log.log_start_offset}" in source
    assert f"log end offset = {log.log_end_offset}" in source
    assert "high watermark = 18" in source
    entry_position = first.offset_index.positions[0]
    assert f"+{first.offset_index.relative_offsets[0]} -&gt; {entry_position}" in source
    assert f"index0:e0 -> segment0:p{entry_position} [constraint=false style=dashed]" in source


def test_an_index_entry_that_misses_its_batch_is_drawn_red() -> None:
    # With the bug, an entry points at the batch after the one whose last offset it names.
    source = log_picture(make_log(BugFlags(index_entry_off_by_one=True))).source
    assert "index0:e0 -> segment0:p243 [color=red constraint=false]" in source
    assert "color=red" not in log_picture(make_log()).source


def test_long_segments_are_summarised() -> None:
    source = log_picture(make_log(), max_batches=1).source
    assert "more batches" in source


def test_the_picture_renders_with_graphviz() -> None:
    require_tool("dot")
    svg = log_picture(make_log()).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "log end offset = 20" in svg


@pytest.mark.parametrize("high_watermark", [None, 0, 20])
def test_markers_at_the_ends_of_the_log(high_watermark: int | None) -> None:
    log = make_log()
    source = log_picture(log, high_watermark=high_watermark).source
    assert "log_start_offset -> segment0:p0" in source
    assert source.count("log_end_offset ->") == 1
