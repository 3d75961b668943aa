"""``glasskafka dump-log``: kafka-dump-log.sh's line shapes, and bad files handled calmly."""

from __future__ import annotations

import pathlib
import re
import struct

import pytest
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.cli import main
from glasskafka.config import TopicConfig
from glasskafka.log import AppendOrigin, PartitionLog
from glasskafka.records import Record, encode_batch, encode_control_batch
from glasskafka.storage import RealDisk

SEGMENT = "orders-0/00000000000000000000"


def make_log(root: pathlib.Path, bugs: BugFlags = NO_BUGS) -> pathlib.Path:
    disk = RealDisk(root)
    log = PartitionLog.open(
        disk, "orders", 0, TopicConfig(index_interval_bytes=50), now_ms=0, bugs=bugs
    )
    for number in range(3):
        records = [
            Record(key=b"user-%d" % number, value=b"hello", timestamp=1_700_000_000_000 + number),
            Record(key=None, value=None, headers=(("trace", b"1"),), timestamp=1_700_000_000_000),
        ]
        log.append_as_leader(encode_batch(records), leader_epoch=2, now_ms=0)
    marker = encode_control_batch(commit=True, producer_id=9, producer_epoch=0, coordinator_epoch=4)
    log.append_as_leader(marker, leader_epoch=2, now_ms=0, origin=AppendOrigin.COORDINATOR)
    disk.close()
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    status = main(["dump-log", *argv])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


BATCH_LINE = re.compile(
    r"baseOffset: \d+ lastOffset: \d+ count: \d+ baseSequence: -?\d+ lastSequence: -?\d+ "
    r"producerId: -?\d+ producerEpoch: -?\d+ partitionLeaderEpoch: -?\d+ "
    r"isTransactional: (true|false) isControl: (true|false) deleteHorizonMs: OptionalLong.empty "
    r"position: \d+ (CreateTime|LogAppendTime): -?\d+ size: \d+ magic: 2 compresscodec: none "
    r"crc: \d+ isvalid: (true|false)"
)


def test_a_log_file_prints_one_kafka_shaped_line_per_batch(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_log(tmp_path)
    status, lines, err = run(capsys, str(root / f"{SEGMENT}.log"))
    assert status == 0 and err == ""
    assert lines[0] == f"Dumping {root / SEGMENT}.log"
    assert lines[1] == "Log starting offset: 0"
    assert len(lines) == 6 and all(BATCH_LINE.fullmatch(line) for line in lines[2:])
    assert lines[2].startswith("baseOffset: 0 lastOffset: 1 count: 2 ")
    assert " partitionLeaderEpoch: 2 " in lines[2] and " position: 0 " in lines[2]
    assert " CreateTime: 1700000000000 " in lines[2] and lines[2].endswith(" isvalid: true")
    assert "isTransactional: true isControl: true" in lines[5]


def test_print_data_log_adds_records_with_key_and_payload(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_log(tmp_path)
    _, lines, _ = run(capsys, "--print-data-log", "--files", str(root / f"{SEGMENT}.log"))
    assert lines[3] == (
        "| offset: 0 CreateTime: 1700000000000 keySize: 6 valueSize: 5 sequence: -1 "
        "headerKeys: [] key: user-0 payload: hello"
    )
    assert lines[4] == (
        "| offset: 1 CreateTime: 1700000000000 keySize: -1 valueSize: -1 sequence: -1 "
        "headerKeys: [trace]"
    )
    assert lines[-1].endswith("endTxnMarker: COMMIT coordinatorEpoch: 4")


def test_deep_iteration_prints_records_without_their_data(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_log(tmp_path)
    _, lines, _ = run(capsys, "--deep-iteration", str(root / f"{SEGMENT}.log"))
    assert lines[3].endswith("headerKeys: []")


def test_index_and_timeindex_files(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_log(tmp_path)
    files = ",".join(str(root / f"{SEGMENT}{suffix}") for suffix in (".index", ".timeindex"))
    status, lines, err = run(capsys, "--files", files)
    assert status == 0 and err == ""
    assert lines[1].startswith("offset: 3 position: ")
    assert re.fullmatch(r"offset: \d+ position: \d+", lines[1])
    timeindex = lines.index(f"Dumping {root / SEGMENT}.timeindex")
    assert lines[timeindex + 1] == "timestamp: 1700000000001 offset: 3"


def test_index_entries_that_miss_their_batch_are_reported(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_log(tmp_path, bugs=BugFlags(index_entry_off_by_one=True))
    status, _, err = run(capsys, "--verify-index-only", str(root / f"{SEGMENT}.index"))
    assert status == 0  # a finding, as in Kafka's tool, not bad input
    assert f"Mismatches in :{(root / SEGMENT).resolve()}.index" in err
    assert re.search(r"Index offset: 3, log offset: \d+", err)


def test_trailing_garbage_is_counted(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_log(tmp_path)
    with (root / f"{SEGMENT}.log").open("ab") as stream:
        stream.write(b"\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x10\x00torn")
    status, lines, _ = run(capsys, str(root / f"{SEGMENT}.log"))
    assert status == 0
    assert lines[-1] == "Found 16 invalid bytes at the end of 00000000000000000000.log"


def test_a_damaged_batch_is_shown_invalid(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_log(tmp_path)
    path = root / f"{SEGMENT}.log"
    data = bytearray(path.read_bytes())
    data[70] ^= 0xFF
    path.write_bytes(bytes(data))
    _, lines, _ = run(capsys, "--print-data-log", str(path))
    assert lines[2].endswith("isvalid: false")
    assert lines[3].startswith("baseOffset: 2 ")  # no records printed for the damaged batch


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.log", None, "No such file"),
        ("x" * 300 + ".log", None, "too long"),
        ("a-directory", "dir", "is a directory"),
        ("notes.txt", b"hello", "Ignoring unknown file"),
        ("00000000000000000000.index", b"\x00" * 11, "not a whole number of 8-byte entries"),
        ("00000000000000000000.log", b"\xff" * 3, None),
    ],
)
def test_bad_files_get_a_message_and_status_2_and_the_rest_is_dumped(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes | str | None,
    message: str | None,
) -> None:
    root = make_log(tmp_path / "good")
    bad = tmp_path / name
    if content == "dir":
        bad.mkdir()
    elif isinstance(content, bytes):
        bad.write_bytes(content)
    status, lines, err = run(capsys, str(bad), str(root / f"{SEGMENT}.timeindex"))
    assert "Traceback" not in err
    assert any(line.startswith("timestamp: ") for line in lines)
    if message is None:  # garbage .log: dumped as invalid bytes, not an error
        assert status == 0 and "Found 3 invalid bytes" in lines[2]
    else:
        assert status == 2 and message in err


def test_no_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys)
    assert status == 2 and "at least one FILE" in err


def test_negative_max_bytes_is_refused(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "--max-bytes", "-1", str(tmp_path / "x.log"))
    assert status == 2 and "--max-bytes" in err


def test_max_bytes_stops_early(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_log(tmp_path)
    first = struct.unpack(">i", (root / f"{SEGMENT}.log").read_bytes()[8:12])[0] + 12
    _, lines, _ = run(capsys, "--max-bytes", str(first), str(root / f"{SEGMENT}.log"))
    assert len(lines) == 3
