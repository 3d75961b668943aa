"""Lab ``index-lookup``: the binary search of the sparse offset index.

Theory of operation
-------------------
The student writes ``largest_lower_bound_slot_for(relative_offsets, target)``, Kafka's
``AbstractIndex.largestLowerBoundSlotFor``: the slot of the last index entry at or below the
target.  The substitution point is ``glasskafka.log.index.OffsetIndex.lookup``, the method every
segment read, time lookup and truncation calls (``segment.py``); during the check it is replaced
by a ``lookup`` that asks the student's function for the slot and then does what the reference
does with it (``(base_offset, 0)`` for -1, else that entry).  A slot outside -1..n-1 is
reported as a failure at once rather than left to crash the log.

The checks, in order:

1. golden examples (below, at, between and above the entries; an empty index);
2. a property: the same slot as the rule on random strictly increasing indexes;
3. the partition-log model suite, where LOG-3 ("a lookup lands at or before the batch holding
   the offset") and LOG-2 (reads return the appended records) judge the search in place.

When a check fails, :func:`draw_counterexample` builds a small log, finds an offset the
student's search gets wrong, and draws the log picture of ``glasskafka.viz.log`` with that
lookup marked: ``index-lookup-counterexample.dot`` (and ``.svg`` when Graphviz is installed).

The usual wrong answer is off by one: the first entry *at or above* the target (``bisect_left``)
instead of the last at or below, which lands one batch too late, as bug flag
``index_entry_off_by_one`` does from the other side.

Spec IDs: LOG-2, LOG-3 (through the model suite).

Simplified from Kafka: no warm-section search; the entries are passed as a list.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from glasskafka.config import TopicConfig
from glasskafka.errors import GlassKafkaError
from glasskafka.exercises.lab import (
    Check,
    CheckContext,
    Lab,
    LabFailure,
    Student,
    Substitution,
    raised,
    shown,
)
from glasskafka.exercises.runner import check_settings
from glasskafka.exercises.suites import log_model_check
from glasskafka.log import LogManager
from glasskafka.log.index import OffsetIndex
from glasskafka.records import Record, encode_batch
from glasskafka.storage import SimDisk
from glasskafka.viz.log import log_picture
from glasskafka.viz.render import render

__all__ = ["LAB", "draw_counterexample"]

_NAME = "largest_lower_bound_slot_for"
_GOLDEN: tuple[tuple[tuple[int, ...], int, int], ...] = (
    ((), 5, -1),
    ((3, 7, 12), 2, -1),
    ((3, 7, 12), 3, 0),
    ((3, 7, 12), 7, 1),
    ((3, 7, 12), 11, 1),
    ((3, 7, 12), 12, 2),
    ((3, 7, 12), 99, 2),
    ((0,), 0, 0),
    ((0,), -1, -1),
    ((2, 5, 9, 14, 20, 27, 35, 44), 43, 6),
)


def _rule(relative_offsets: tuple[int, ...], target: int) -> int:
    return bisect.bisect_right(relative_offsets, target) - 1


def _ask(find: Callable[..., object], entries: tuple[int, ...], target: int) -> object:
    try:
        return find(entries, target)
    except Exception as error:
        return raised(error)


def _golden(context: CheckContext) -> None:
    find = context.student[_NAME]
    for entries, target, expected in _GOLDEN:
        got = _ask(find, entries, target)
        if got != expected:
            raise LabFailure(
                inputs=f"{_NAME}({list(entries)}, {target})", expected=str(expected), got=shown(got)
            )


def _agrees(context: CheckContext) -> None:
    find = context.student[_NAME]
    indexes = st.lists(st.integers(0, 10_000), max_size=40, unique=True).map(
        lambda found: tuple(sorted(found))
    )

    @check_settings(context)
    @given(entries=indexes, target=st.integers(-5, 10_005))
    def agrees(entries: tuple[int, ...], target: int) -> None:
        expected = _rule(entries, target)
        got = _ask(find, entries, target)
        if got != expected:
            raise LabFailure(
                inputs=f"{_NAME}({list(entries)}, {target})", expected=str(expected), got=shown(got)
            )

    agrees()


def _lookup_with(student: Student) -> Callable[[OffsetIndex, int], tuple[int, int]]:
    find = student[_NAME]

    def lookup(self: OffsetIndex, offset: int) -> tuple[int, int]:
        """``OffsetIndex.lookup`` with the student's search choosing the slot."""
        entries = tuple(self.relative_offsets)
        slot = find(entries, offset - self.base_offset)
        if not isinstance(slot, int) or not -1 <= slot < len(entries):
            raise LabFailure(
                inputs=f"{_NAME}({list(entries)}, {offset - self.base_offset})",
                expected=f"a slot from -1 to {len(entries) - 1}",
                got=repr(slot),
            )
        return (self.base_offset, 0) if slot < 0 else self.entry(slot)

    return lookup


def draw_counterexample(student: Student, directory: Path) -> list[Path]:
    """Draw a small log with a lookup the student's search gets wrong; return the files."""
    manager = LogManager(
        disk=SimDisk(), default_config=TopicConfig(index_interval_bytes=64, segment_bytes=4096)
    )
    log = manager.get_or_create_log("lab", 0, now_ms=0)
    for number in range(10):
        records = [Record(value=b"v" * 12) for _ in range(1 + number % 3)]
        log.append_as_leader(encode_batch(records), leader_epoch=0, now_ms=0)
    index = log.segments[0].offset_index
    entries = tuple(index.relative_offsets)
    for offset in range(log.log_end_offset):
        got = _ask(student[_NAME], entries, offset - index.base_offset)
        expected = _rule(entries, offset - index.base_offset)
        if got != expected:
            break
    else:
        return []
    graph = log_picture(log)
    graph.node(
        "lookup",
        label=f"lookup of offset {offset}:\\n{_NAME}({list(entries)}, {offset})\\n"
        f"expected slot {expected}, got {got}",
        shape="note",
        color="red",
        fontcolor="red",
    )
    if isinstance(got, int) and 0 <= got < len(entries):
        graph.edge("lookup", f"index0:e{got}", color="red", label="yours")
    dot_path = directory / "index-lookup-counterexample.dot"
    dot_path.write_text(graph.source, encoding="utf-8")
    written = [dot_path]
    try:
        svg = render(graph.source)
    except GlassKafkaError:  # no Graphviz: the DOT text is still there to render elsewhere
        return written
    svg_path = dot_path.with_suffix(".svg")
    svg_path.write_bytes(svg)
    return [*written, svg_path]


LAB = Lab(
    name="index-lookup",
    title="The sparse offset index lookup",
    teaches="Why Kafka's index is sparse, and why the lookup must land at or before the "
    "wanted offset, never after it.",
    minutes=25,
    reference="glasskafka.log.index.OffsetIndex.lookup",
    file_name="index_lookup_lab.py",
    template="index_lookup",
    entry_points=(_NAME,),
    readme="""
## Goal

Write `largest_lower_bound_slot_for(relative_offsets, target)`: the binary search a segment's
sparse offset index does to find where in the `.log` file a read of some offset should start.
While the check runs, every read of the partition log goes through your search.

## Hints

- The index is sparse: one entry per `index.interval.bytes` (4096 by default) of log, each
  `(relative offset, file position)`.  A read starts at an entry and scans *forward*.
- So the answer is the last entry at or below the target: one slot too far skips records.
- Keep an invariant for your two bounds and the loop writes itself; check `[]` and a target
  below every entry (answer -1).
- `bisect` does this in one line; the lab is to write the loop and know why it is right.
""",
    substitutions=(
        Substitution(target="glasskafka.log.index.OffsetIndex.lookup", build=_lookup_with),
    ),
    checks=(
        Check(name="golden lookups", kind="unit", run=_golden),
        Check(name="the slot of the largest entry <= target", kind="property", run=_agrees),
        log_model_check(),
    ),
    picture=draw_counterexample,
)
