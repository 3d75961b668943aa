"""The simulator's small parts on their own: clock, event queue, random streams, disk faults."""

from __future__ import annotations

import copy
import hashlib
import random

import pytest
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.sim import Clock, DiskFault, DropReason, FileImage, derive_rng, derive_seed
from glasskafka.sim.events import Arrival, EventQueue, LossNotice, TimerDue
from glasskafka.sim.faults import apply_disk_fault, disk_image
from glasskafka.sim.randomness import SimRandom
from glasskafka.storage import SimDisk

A, B = NodeId("a"), NodeId("b")


def test_clock_moves_forward_only() -> None:
    clock = Clock()
    clock.advance_to(10)
    clock.advance_to(4)  # an event that is late happens now, not in the past
    assert clock.now_ms == 10
    clock.advance_by(5)
    assert clock.now_ms == 15


@pytest.mark.parametrize("duration", [-1, "5", 1.5, None])
def test_clock_refuses_to_run_backwards_or_by_nonsense(duration: object) -> None:
    clock = Clock(now_ms=Millis(7))
    with pytest.raises(GlassKafkaError, match="duration_ms"):
        clock.advance_by(duration)  # type: ignore[arg-type]
    assert clock.now_ms == 7


def test_queue_orders_by_time_then_by_scheduling_order() -> None:
    queue = EventQueue()
    late = queue.schedule(20, TimerDue(A, "late"))
    first_tie = queue.schedule(10, Arrival(A, B))
    second_tie = queue.schedule(10, LossNotice(B, A))
    popped = [queue.pop_due(100) for _ in range(3)]
    assert [(entry[0], entry[1]) for entry in popped if entry] == [
        (10, first_tie),
        (10, second_tie),
        (20, late),
    ]
    assert queue.pop_due(100) is None


def test_queue_pops_nothing_that_is_not_due() -> None:
    queue = EventQueue()
    queue.schedule(30, TimerDue(A, "t"))
    assert queue.pop_due(29) is None
    assert queue.next_at_ms() == 30 and len(queue) == 1
    entry = queue.pop_due(30)
    assert entry is not None and entry[2] == TimerDue(A, "t")


def test_sequence_numbers_only_grow() -> None:
    queue = EventQueue()
    numbers = [queue.new_sequence(), queue.schedule(5, Arrival(A, B)), queue.new_sequence()]
    assert numbers == sorted(set(numbers))


def test_derived_seed_is_sha256_of_the_labels() -> None:
    expected = int.from_bytes(hashlib.sha256(b"7/node/a/0").digest()[:8], "big")
    assert derive_seed(7, "node", "a", 0) == expected


def test_streams_differ_by_label_and_seed() -> None:
    draws = {
        (seed, label): derive_rng(seed, "node", label).random()
        for seed in (1, 2)
        for label in ("a", "b")
    }
    assert len(set(draws.values())) == 4


def test_a_copied_stream_continues_identically() -> None:
    rng = derive_rng(3, "network")
    rng.random()
    twin = copy.deepcopy(rng)
    assert isinstance(twin, SimRandom) and twin is not rng
    assert [rng.randint(0, 10**9) for _ in range(5)] == [twin.randint(0, 10**9) for _ in range(5)]


def test_enum_reprs_are_valid_python() -> None:
    for value in (*DiskFault, *DropReason):
        assert eval(repr(value)) is value


@pytest.mark.parametrize("bad", ["Power", "", "crash", None, 1])
def test_disk_fault_names_the_choices(bad: object) -> None:
    with pytest.raises(GlassKafkaError, match="'keep', 'power', 'lossy'"):
        DiskFault.parse(bad)


def make_disk() -> SimDisk:
    disk = SimDisk()
    disk.append("log", b"synced")
    disk.fsync("log")
    disk.append("log", b"+tail")
    disk.write("fresh", b"never synced")
    return disk


def test_disk_image_is_plain_sorted_data() -> None:
    assert disk_image(make_disk()) == (
        FileImage(path="fresh", current=b"never synced", durable=None),
        FileImage(path="log", current=b"synced+tail", durable=b"synced"),
    )


def test_keep_leaves_the_disk_alone() -> None:
    disk = make_disk()
    apply_disk_fault(disk, DiskFault.KEEP, random.Random(0))
    assert disk == make_disk()


def test_power_keeps_exactly_the_synced_bytes() -> None:
    disk = make_disk()
    apply_disk_fault(disk, DiskFault.POWER, random.Random(0))
    assert disk_image(disk) == (FileImage(path="log", current=b"synced", durable=b"synced"),)


def test_lossy_keeps_synced_bytes_and_a_prefix_of_the_tail() -> None:
    kept = set()
    for seed in range(40):
        disk = make_disk()
        apply_disk_fault(disk, DiskFault.LOSSY, random.Random(seed))
        log = disk.read("log")
        assert log.startswith(b"synced") and b"synced+tail".startswith(log)
        kept.add(log)
    assert len(kept) > 1, "a lossy crash should sometimes keep part of the tail"
