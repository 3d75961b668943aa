"""``glasskafka check-history``: verdicts, exit statuses, JSON output, pictures and bad input."""

from __future__ import annotations

import io
import json
import pathlib
import sys

import pytest
from glasskafka.cli import main
from tests.test_history_examples import EXAMPLES

from model_tests.support import require_tool


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check-history", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def write(tmp_path: pathlib.Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def test_a_good_history_is_valid_with_status_0(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "good.jsonl", EXAMPLES["good"][0].text())
    status, out, err = run(capsys, path)
    assert (status, err) == (0, "")
    assert out.splitlines()[:2] == [
        f"{path}: 16 operations by 3 processes",
        "verdict: valid (no anomalies found)",
    ]
    assert "  committed: group 'g' t-0 -> 4 (line 16)" in out


def test_a_bad_history_lists_kinds_with_ids_counts_and_lines(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "lost.jsonl", EXAMPLES["lost-write"][0].text())
    status, out, _ = run(capsys, path)
    assert status == 1
    lines = out.splitlines()
    assert lines[1] == "verdict: invalid (anomalies found: lost-write (1), unseen (1))"
    assert "lost-write [DELIV-5]: 1 fatal" in lines
    assert any(line.startswith("  - t-0: value 'b'") and "[lines 2, 7]" in line for line in lines)


def test_json_output_has_the_documented_shape(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "skip.jsonl", EXAMPLES["poll-skip while subscribed"][0].text())
    status, out, _ = run(capsys, path, "--format", "json")
    report = json.loads(out)
    assert status == 0 and report["verdict"] == "valid"
    (anomaly,) = report["anomalies"]
    assert {k: anomaly[k] for k in ("kind", "spec", "fatal", "allowed")} == {
        "kind": "poll-skip",
        "spec": "DELIV-7",
        "fatal": 0,
        "allowed": 1,
    }
    assert anomaly["meaning"].startswith("a consumer's next poll of a partition began past")
    (example,) = anomaly["examples"]
    assert example["lines"] == [5, 6] and example["offsets"] == [0, 2]
    assert example["partition"] == {"topic": "t", "partition": 0}
    assert set(report["information"]) == {
        "partitions",
        "committed",
        "unknown_causes",
        "double_consumption",
        "realtime_lags",
    }


def test_unknown_is_not_a_pass(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, write(tmp_path, "empty.jsonl", ""))
    assert status == 1
    assert "verdict: unknown (nothing to check" in out


def test_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = EXAMPLES["G1a"][0].text().encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, out, _ = run(capsys, "-")
    assert status == 1
    assert out.startswith("<stdin>: 2 operations")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xff\n")))
    status, _, err = run(capsys, "-")
    assert status == 2 and err.startswith("glasskafka check-history: error: <stdin>: line 1")


HOSTILE = {
    "binary garbage": (b"\x89PNG\r\n\x1a\n\x00\x00", "line 1: not UTF-8 text"),
    "huge number": (b'{"op":"crash","process":' + b"9" * 5000 + b"}\n", "line 1: not valid JSON"),
    "deep json": (b"[" * 50_000 + b"]" * 50_000 + b"\n", "line 1: JSON nested too deeply"),
    "truncated last line": (
        EXAMPLES["good"][0].text().encode()[:-20],
        "line 16: not valid JSON",
    ),
    "unknown op": (b'{"op":"explode","process":0,"client":"c","index":0}\n', "line 1, field 'op'"),
    "wrong type": (
        b'{"op":"crash","process":"zero","client":"c","index":0}\n',
        "line 1, field 'process': expected an integer",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_get_one_line_and_status_2(
    name: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, says = HOSTILE[name]
    path = write(tmp_path, "bad.jsonl", content)
    status, out, err = run(capsys, path)
    assert (status, out) == (2, "")
    assert err.startswith(f"glasskafka check-history: error: {path}: {says}"), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_missing_file_is_bad_input(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, str(tmp_path / "nope.jsonl"))
    assert status == 2 and "cannot read history file" in err


def test_a_bad_format_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check-history", "x.jsonl", "--format", "yaml"])
    assert exited.value.code == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_the_picture_as_dot_text(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "dup.jsonl", EXAMPLES["duplicate"][0].text())
    picture = tmp_path / "dup.dot"
    status, _, _ = run(capsys, path, "--picture", str(picture))
    assert status == 1
    source = picture.read_text(encoding="utf-8")
    assert "t-0: duplicate" in source
    assert "record also at another offset" in source


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_the_picture_rendered_by_graphviz(
    suffix: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_tool("dot")
    path = write(tmp_path, "lost.jsonl", EXAMPLES["lost-write"][0].text())
    picture = tmp_path / f"lost{suffix}"
    status, _, _ = run(capsys, path, "--picture", str(picture))
    assert status == 1
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data


def test_a_bad_picture_path_is_refused_before_reading(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "never-read.jsonl", "--picture", str(tmp_path / "x.gif"))
    assert (status, out) == (2, "")
    assert "the suffix must be one of .svg, .png, .dot" in err
    status, _, err = run(capsys, "never-read.jsonl", "--picture", str(tmp_path / "no/x.svg"))
    assert status == 2 and "no directory" in err


def test_unicode_values_are_printed(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLES["unseen"][0].text().replace('"b"', '"\\u00e9\\u6f22"')
    status, out, _ = run(capsys, write(tmp_path, "u.jsonl", text))
    assert status == 1 and "value 'é漢'" in out
