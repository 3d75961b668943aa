"""One contract for both disks: ``RealDisk`` (a directory) and ``SimDisk`` (memory) behave alike.

Every test of the first part runs against both implementations, so a node that works in the
simulator works on a real file system and the other way round.  The contract is
``glasskafka/storage/disk.py``'s: relative ``/`` paths only, bytes in and out, explicit fsync,
``DiskError`` (never a bare ``OSError``) for a bad path, a missing file or a bad range -- and a
refused operation creates or changes nothing.  The second part is ``SimDisk``'s durability model
(SIM-5): a power loss keeps exactly the synced bytes, a lossy one a prefix of the appended tail.
"""

from __future__ import annotations

import copy
import os
import pathlib
import random
from collections.abc import Callable, Iterator

import pytest
from glasskafka.storage import Disk, DiskError, RealDisk, SimDisk
from hypothesis import given
from hypothesis import strategies as st


@pytest.fixture(params=["real", "sim"])
def disk(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[Disk]:
    made: Disk = RealDisk(tmp_path / "disk") if request.param == "real" else SimDisk()
    yield made
    made.close()


def everything(disk: Disk, path: str = "") -> dict[str, bytes | None]:
    """Every file (with its bytes) and directory (``None``) on ``disk``, by path."""
    found: dict[str, bytes | None] = {}
    for name in disk.list_dir(path):
        full = f"{path}/{name}" if path else name
        try:
            found[full] = disk.read(full)
        except DiskError:
            found[full] = None
            found.update(everything(disk, full))
    return found


# -- the operations --------------------------------------------------------------------------


def test_write_then_read_whole_and_in_ranges(disk: Disk) -> None:
    disk.write("file", b"0123456789")
    assert disk.read("file") == b"0123456789"
    assert disk.read("file", 3) == b"3456789"
    assert disk.read("file", 3, 4) == b"3456"
    assert disk.read("file", 8, 100) == b"89", "a range past the end is cut short"
    assert disk.read("file", 50) == b"", "a position past the end reads nothing"
    assert disk.read("file", 10, 0) == b""
    assert disk.size("file") == 10


def test_write_replaces_and_append_returns_the_position(disk: Disk) -> None:
    disk.write("file", b"old contents")
    disk.write("file", b"new")
    assert disk.read("file") == b"new"
    assert disk.append("file", b"+one") == 3
    assert disk.append("file", bytearray(b"+two")) == 7
    assert disk.append("file", memoryview(b"xx+three")[2:]) == 11
    assert disk.read("file") == b"new+one+two+three"


def test_append_creates_a_missing_file(disk: Disk) -> None:
    assert disk.append("fresh", b"abc") == 0
    assert disk.read("fresh") == b"abc" and disk.exists("fresh")


def test_truncate_cuts_the_tail(disk: Disk) -> None:
    disk.write("file", b"keep|drop")
    disk.truncate("file", 4)
    assert disk.read("file") == b"keep"
    disk.truncate("file", 4)
    disk.truncate("file", 0)
    assert disk.size("file") == 0
    assert disk.append("file", b"again") == 0


def test_rename_replaces_the_target(disk: Disk) -> None:
    disk.write("checkpoint.tmp", b"new")
    disk.write("checkpoint", b"old")
    disk.rename("checkpoint.tmp", "checkpoint")
    assert disk.read("checkpoint") == b"new"
    assert not disk.exists("checkpoint.tmp")


def test_delete_removes_and_tolerates_a_missing_file(disk: Disk) -> None:
    disk.write("file", b"x")
    disk.delete("file")
    disk.delete("file")
    assert not disk.exists("file")
    with pytest.raises(DiskError):
        disk.read("file")


def test_directories_are_listed_sorted_by_name(disk: Disk) -> None:
    disk.make_dirs("topic-1/sub")
    disk.make_dirs("topic-1/sub")  # again: no error
    disk.make_dirs("topic-0")
    disk.write("topic-1/b.log", b"")
    disk.write("topic-1/a.log", b"x")
    assert disk.list_dir("") == ["topic-0", "topic-1"]
    assert disk.list_dir("topic-1") == ["a.log", "b.log", "sub"]
    assert disk.list_dir("topic-1/sub") == []
    assert disk.exists("topic-1/sub") and disk.exists("topic-1/a.log")


def test_every_operation_survives_reads_after_it(disk: Disk) -> None:
    """A cached file handle must never serve stale bytes after another operation."""
    disk.append("log", b"aaaa")
    assert disk.read("log") == b"aaaa"
    disk.truncate("log", 2)
    assert disk.read("log") == b"aa"
    disk.write("log", b"bbbbbb")
    assert disk.read("log") == b"bbbbbb"
    disk.append("log", b"c")
    disk.write("other", b"zz")
    disk.rename("other", "log")
    assert disk.read("log") == b"zz"
    disk.fsync("log")
    assert disk.append("log", b"!") == 2


# -- refusals: DiskError, and nothing created or changed -------------------------------------

HOSTILE_PATHS = [
    "",
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a//b",
    "a/",
    "./a",
    "a/.",
    "dir\\file",
    "nul\x00byte",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths_are_refused_everywhere_and_create_nothing(disk: Disk, path: str) -> None:
    disk.write("existing", b"data")
    before = everything(disk)
    operations: list[Callable[[], object]] = [
        lambda: disk.exists(path),
        lambda: disk.make_dirs(path),
        lambda: disk.list_dir(path) if path else disk.list_dir("/"),
        lambda: disk.size(path),
        lambda: disk.read(path),
        lambda: disk.write(path, b"x"),
        lambda: disk.append(path, b"x"),
        lambda: disk.truncate(path, 0),
        lambda: disk.fsync(path),
        lambda: disk.rename("existing", path),
        lambda: disk.rename(path, "existing"),
        lambda: disk.delete(path),
    ]
    for operation in operations:
        with pytest.raises(DiskError):
            operation()
    assert everything(disk) == before


@pytest.mark.parametrize("path", [7, None, b"bytes"])
def test_paths_that_are_not_strings_are_refused(disk: Disk, path: object) -> None:
    with pytest.raises(DiskError, match="non-empty string"):
        disk.write(path, b"x")  # type: ignore[arg-type]


def test_hostile_paths_leave_nothing_outside_a_real_disk(tmp_path: pathlib.Path) -> None:
    real = RealDisk(tmp_path / "disk")
    for path in HOSTILE_PATHS:
        with pytest.raises(DiskError):
            real.write(path, b"escaped")
    assert sorted(os.listdir(tmp_path)) == ["disk"]
    assert os.listdir(tmp_path / "disk") == []


@pytest.mark.parametrize(
    ("position", "length"),
    [(-1, None), (0, -1), (-5, -5)],
)
def test_bad_read_ranges_are_refused(disk: Disk, position: int, length: int | None) -> None:
    disk.write("file", b"0123")
    with pytest.raises(DiskError, match="bad read range"):
        disk.read("file", position, length)


@pytest.mark.parametrize("size", [-1, 5, 100])
def test_truncating_outside_the_file_is_refused_and_changes_nothing(disk: Disk, size: int) -> None:
    disk.write("file", b"0123")
    with pytest.raises(DiskError, match="cannot truncate"):
        disk.truncate("file", size)
    assert disk.read("file") == b"0123"


def test_missing_files_and_directories_are_disk_errors(disk: Disk) -> None:
    disk.make_dirs("dir")
    disk.write("file", b"x")
    refusals: dict[str, Callable[[], object]] = {
        "read a missing file": lambda: disk.read("missing"),
        "size of a missing file": lambda: disk.size("missing"),
        "fsync a missing file": lambda: disk.fsync("missing"),
        "truncate a missing file": lambda: disk.truncate("missing", 0),
        "rename a missing file": lambda: disk.rename("missing", "target"),
        "list a missing directory": lambda: disk.list_dir("missing"),
        "list a file": lambda: disk.list_dir("file"),
        "write into a missing directory": lambda: disk.write("missing/file", b"x"),
        "append into a missing directory": lambda: disk.append("missing/file", b"x"),
        "rename into a missing directory": lambda: disk.rename("file", "missing/file"),
        "read a directory": lambda: disk.read("dir"),
        "size of a directory": lambda: disk.size("dir"),
        "fsync a directory": lambda: disk.fsync("dir"),
        "write over a directory": lambda: disk.write("dir", b"x"),
        "append to a directory": lambda: disk.append("dir", b"x"),
        "rename over a directory": lambda: disk.rename("file", "dir"),
        "rename a directory": lambda: disk.rename("dir", "elsewhere"),
        "make a directory over a file": lambda: disk.make_dirs("file"),
        "make a directory inside a file": lambda: disk.make_dirs("file/sub"),
        "write inside a file": lambda: disk.write("file/sub", b"x"),
    }
    before = everything(disk)
    broken = []
    for name, refusal in refusals.items():
        try:
            refusal()
            broken.append(f"{name}: no error")
        except DiskError:
            pass
        except OSError as error:
            broken.append(f"{name}: {type(error).__name__}, not DiskError")
        if everything(disk) != before:
            broken.append(f"{name}: changed the disk")
    assert not broken, "\n".join(broken)


# -- SimDisk's durability model (SIM-5) -------------------------------------------------------


def test_a_power_loss_keeps_exactly_the_synced_bytes() -> None:
    disk = SimDisk()
    disk.make_dirs("log")
    disk.append("log/segment", b"synced")
    disk.fsync("log/segment")
    disk.append("log/segment", b"+unsynced")
    disk.write("log/never-synced", b"gone")
    disk.write("checkpoint", b"v1")
    disk.fsync("checkpoint")
    disk.write("checkpoint", b"v2, not synced")
    disk.crash()
    assert disk.read("log/segment") == b"synced"
    assert disk.read("checkpoint") == b"v1"
    assert not disk.exists("log/never-synced")
    assert disk.list_dir("log") == ["segment"], "directories survive (made durable at once)"
    assert disk.unsynced_bytes() == 0


def test_a_synced_rename_survives_a_power_loss() -> None:
    disk = SimDisk()
    disk.write("state.tmp", b"new state")
    disk.fsync("state.tmp")
    disk.rename("state.tmp", "state")
    disk.crash()
    assert disk.read("state") == b"new state" and not disk.exists("state.tmp")


def test_a_truncate_not_synced_is_undone_by_a_power_loss() -> None:
    disk = SimDisk()
    disk.write("log", b"0123456789")
    disk.fsync("log")
    disk.truncate("log", 3)
    disk.crash()
    assert disk.read("log") == b"0123456789"


chunks = st.lists(st.binary(min_size=1, max_size=8), min_size=1, max_size=6)


@given(synced=chunks, appended=chunks, seed=st.integers(0, 2**32 - 1))
def test_a_lossy_crash_keeps_the_synced_bytes_and_a_prefix_of_the_tail(
    synced: list[bytes], appended: list[bytes], seed: int
) -> None:
    disk = SimDisk()
    for chunk in synced:
        disk.append("log", chunk)
    disk.fsync("log")
    for chunk in appended:
        disk.append("log", chunk)
    disk.lossy_crash(random.Random(seed))
    kept = disk.read("log")
    durable, full = b"".join(synced), b"".join(synced + appended)
    assert kept.startswith(durable) and full.startswith(kept)
    disk.crash()
    assert disk.read("log") == kept, "what a lossy crash kept is now durable"


@given(appended=chunks, seed=st.integers(0, 2**32 - 1))
def test_a_lossy_crash_of_a_never_synced_file_keeps_a_prefix_or_nothing(
    appended: list[bytes], seed: int
) -> None:
    disk = SimDisk()
    for chunk in appended:
        disk.append("log", chunk)
    disk.lossy_crash(random.Random(seed))
    full = b"".join(appended)
    if disk.exists("log"):
        kept = disk.read("log")
        assert kept and full.startswith(kept)


def test_a_lossy_crash_reverts_a_file_rewritten_since_its_sync() -> None:
    for seed in range(20):
        disk = SimDisk()
        disk.write("state", b"synced")
        disk.fsync("state")
        disk.write("state", b"rewritten, longer than before")
        disk.lossy_crash(random.Random(seed))
        assert disk.read("state") == b"synced"


# -- SimDisk as plain data: copy, compare, digest (DESIGN §7) --------------------------------


def _filled(order: list[str]) -> SimDisk:
    disk = SimDisk()
    disk.make_dirs("a")
    for name in order:
        disk.write(f"a/{name}", name.encode())
    disk.fsync("a/x")
    return disk


def test_a_deep_copy_is_equal_and_independent() -> None:
    disk = _filled(["x", "y"])
    copy_ = copy.deepcopy(disk)
    assert copy_ == disk and copy_.digest() == disk.digest()
    copy_.append("a/y", b"more")
    assert copy_ != disk and copy_.digest() != disk.digest()
    assert disk.read("a/y") == b"y"


def test_the_digest_ignores_write_order_and_fsync_counts() -> None:
    first, second = _filled(["x", "y"]), _filled(["y", "x"])
    assert first.digest() == second.digest()
    second.fsync("a/x")  # the same bytes synced again: nothing held changes
    assert second != first, "== compares the fsync_count statistic too"
    assert first.digest() == second.digest()


def test_the_digest_tells_durable_from_unsynced_bytes() -> None:
    synced, unsynced = _filled(["x"]), _filled(["x"])
    synced.fsync("a/x")
    unsynced.write("a/x", b"x")
    synced.write("a/never", b"")
    unsynced.write("a/never", b"")
    synced.fsync("a/never")  # empty but durable vs empty and never synced
    assert synced.digest() != unsynced.digest()
    assert _filled(["x"]).digest() != SimDisk().digest()
