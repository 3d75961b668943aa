"""``glasskafka exercise``: listing, and every kind of bad input a student can give it.

Bad input ends with one clear line on stderr and exit status 2, never a traceback, and never
touches a workspace that exists.  The model suites judge the substituted code in place: with
the student's code swapped in, they find the violation themselves (the last tests).
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from glasskafka.cli import main
from glasskafka.exercises import LABS, check_lab, load_student
from glasskafka.exercises.solutions import auto_commit as auto_commit_solution
from glasskafka.exercises.solutions import idempotent_dedupe as dedupe_solution
from glasskafka.exercises.solutions import murmur2 as murmur2_solution
from glasskafka.exercises.suites import log_model_check, replication_model_check

BUDGET = ["--max-examples", "10"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["exercise", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_list_names_every_lab_with_its_time(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["list"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [*LABS, "bughunt"]
    assert all(" min " in line for line in lines)


def test_no_action_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run([], capsys)
    assert status == 2 and "start" in out and "check" in out


@pytest.mark.parametrize("action", ["start", "check"])
def test_an_unknown_lab_is_refused_with_the_list(
    action: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run([action, "kraft", "--dir", str(tmp_path / "x")], capsys)
    assert status == 2
    assert "unknown lab 'kraft'" in err and "crc32c" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_start_refuses_an_existing_workspace_and_keeps_it(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "mine"
    assert run(["start", "crc32c", "--dir", str(workspace)], capsys)[0] == 0
    work = workspace / LABS["crc32c"].file_name
    work.write_text("# my work\n", encoding="utf-8")
    status, _, err = run(["start", "crc32c", "--dir", str(workspace)], capsys)
    assert status == 2 and "already exists" in err and "refusing to overwrite" in err
    assert work.read_text(encoding="utf-8") == "# my work\n"


def test_start_refuses_a_path_through_a_file(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    status, _, err = run(["start", "crc32c", "--dir", str(blocker / "ws")], capsys)
    assert status == 2 and "cannot create workspace" in err


def test_start_defaults_to_glasskafka_labs_in_the_current_directory(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["start", "varint"], capsys)[0] == 0
    assert (tmp_path / "glasskafka-labs" / "varint" / LABS["varint"].file_name).is_file()


def test_check_without_a_workspace_says_how_to_start(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(["check", "crc32c", "--dir", str(tmp_path / "none"), *BUDGET], capsys)
    assert status == 2 and "no workspace" in err and "exercise start crc32c" in err


def started(name: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> pathlib.Path:
    workspace = tmp_path / name
    assert run(["start", name, "--dir", str(workspace)], capsys)[0] == 0
    return workspace


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def crc32c(data, crc=0):\n    return (\n", "line 2: syntax error"),
        ("def crc32c(data, crc=0)\n    return 0\n", "line 1: syntax error"),
        ("x = 1\0\n", "cannot be compiled"),
        ("import no_such_module_here\n", "importing crc32c_lab.py failed: ModuleNotFoundError"),
        ("raise RuntimeError('boom')\n", "RuntimeError: boom (raised at crc32c_lab.py line 1"),
        ("def crc(data):\n    return 0\n", "defines no 'crc32c'"),
        ("crc32c = 42\n", "'crc32c' is a int, not a function"),
    ],
)
def test_a_broken_student_file_is_bad_input(
    source: str,
    expected: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    workspace = started("crc32c", tmp_path, capsys)
    (workspace / "crc32c_lab.py").write_text(source, encoding="utf-8")
    status, out, err = run(["check", "crc32c", "--dir", str(workspace), *BUDGET], capsys)
    assert status == 2, out
    assert expected in err and "Traceback" not in err + out
    assert err.startswith("glasskafka exercise: error: ")


def test_a_syntax_error_shows_the_line(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = started("crc32c", tmp_path, capsys)
    (workspace / "crc32c_lab.py").write_text("x = [1, 2\ny = (\n", encoding="utf-8")
    status, _, err = run(["check", "crc32c", "--dir", str(workspace)], capsys)
    assert status == 2 and "crc32c_lab.py line" in err and "    " in err


def test_a_file_that_is_not_utf8_is_bad_input(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = started("crc32c", tmp_path, capsys)
    (workspace / "crc32c_lab.py").write_bytes(b"\xff\xfe\x00garbage")
    status, _, err = run(["check", "crc32c", "--dir", str(workspace)], capsys)
    assert status == 2 and "cannot read" in err


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_bad_budget_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["exercise", "check", "crc32c", "--max-examples", value])
    assert exit_info.value.code == 2
    assert "--max-examples must be a whole number >= 1" in capsys.readouterr().err


def test_the_student_file_cannot_shadow_a_real_module(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import crc32c as library

    workspace = started("crc32c", tmp_path, capsys)
    (workspace / "crc32c.py").write_text("raise SystemExit('shadowed')\n", encoding="utf-8")
    load_student(LABS["crc32c"], workspace)
    import crc32c as again

    assert again is library


def test_the_answer_may_raise_anything_and_the_verdict_still_prints(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = started("index-lookup", tmp_path, capsys)
    (workspace / "index_lookup_lab.py").write_text(
        "def largest_lower_bound_slot_for(relative_offsets, target):\n"
        "    return relative_offsets[target]\n",
        encoding="utf-8",
    )
    status, out, _ = run(["check", "index-lookup", "--dir", str(workspace), *BUDGET], capsys)
    assert status == 1
    assert "IndexError" in out and "index_lookup_lab.py line 2" in out


# ---------------------------------------------------------------------------------------------
# The model suites judge the substituted code themselves


def test_the_log_model_suite_finds_an_off_by_one_lookup(tmp_path: pathlib.Path) -> None:
    """LOG-3, found by the LogMachine running through the student's search alone."""

    def one_slot_too_far(relative_offsets: list[int], target: int) -> int:
        slots = [s for s, o in enumerate(relative_offsets) if o <= target]
        return min(slots[-1] + 1, len(relative_offsets) - 1) if slots else -1

    lab = dataclasses.replace(LABS["index-lookup"], checks=(log_model_check(),), picture=None)
    verdict = check_lab(
        lab,
        {"largest_lower_bound_slot_for": one_slot_too_far},
        student_path=tmp_path / "student.py",
        max_examples=150,
        stateful_step_count=12,
    )
    (outcome,) = verdict.outcomes
    assert not outcome.passed and outcome.counterexample is not None
    assert "LOG-3 violated" in outcome.counterexample.got
    assert "state = LogMachine()" in outcome.counterexample.inputs


def test_the_replication_model_suite_finds_a_maximum_high_watermark(
    tmp_path: pathlib.Path,
) -> None:
    """The classic wrong rule, found by three simulated brokers alone (REPL-2 or another)."""

    def largest(*, leader_log_end_offset: int, follower_log_end_offsets: dict[int, int]) -> int:
        return max([leader_log_end_offset, *follower_log_end_offsets.values()])

    lab = dataclasses.replace(LABS["high-watermark"], checks=(replication_model_check(),))
    verdict = check_lab(
        lab, {"high_watermark": largest}, student_path=tmp_path / "s.py", max_examples=200
    )
    (outcome,) = verdict.outcomes
    assert not outcome.passed and outcome.counterexample is not None
    assert re.search(r"REPL-\d+ violated", outcome.counterexample.got)


def test_the_murmur2_model_check_finds_abs_instead_of_to_positive(tmp_path: pathlib.Path) -> None:
    """A keyed producer in the simulator finds a key that abs() sends to the wrong partition."""

    def with_abs(key_bytes: bytes, num_partitions: int) -> int:
        return abs(murmur2_solution.murmur2(key_bytes)) % num_partitions

    lab = LABS["murmur2"]
    lab = dataclasses.replace(lab, checks=(lab.checks[-1],), picture=None)
    student: dict[str, Callable[..., Any]] = {
        "murmur2": murmur2_solution.murmur2,
        "keyed_partition": with_abs,
    }
    verdict = check_lab(lab, student, student_path=tmp_path / "s.py", max_examples=50)
    (outcome,) = verdict.outcomes
    assert not outcome.passed and outcome.counterexample is not None
    assert "as Kafka's Java client chooses" in outcome.counterexample.expected
    assert "a producer sends a record with key b" in outcome.counterexample.inputs


def test_the_producer_state_suite_finds_a_first_sequence_dedupe(tmp_path: pathlib.Path) -> None:
    """IDEM-3, found by the producer-state suite running through the student's decision."""

    def first_seq_only(**batch: Any) -> object:
        window: list[tuple[int, int]] = batch["window"]
        for position, (first, _) in enumerate(window):
            if first == batch["first_seq"]:
                return position
        return dedupe_solution.check_batch(**batch)

    lab = LABS["idempotent-dedupe"]
    lab = dataclasses.replace(lab, checks=(lab.checks[-1],), picture=None)
    verdict = check_lab(
        lab, {"check_batch": first_seq_only}, student_path=tmp_path / "s.py", max_examples=100
    )
    (outcome,) = verdict.outcomes
    assert not outcome.passed and outcome.counterexample is not None
    assert "IDEM-3 violated" in outcome.counterexample.got
    assert "state.bump_epoch()" in outcome.counterexample.inputs
    assert "state.no_sequence_twice()" not in outcome.counterexample.inputs  # invariants hidden


def test_the_consumer_suite_finds_a_commit_before_processing(tmp_path: pathlib.Path) -> None:
    """DELIV-19, found by two crashing group members whose consumers commit the student's way."""

    def eager(**when: object) -> object:
        if when["moment"] == "poll-return":
            return dict(when["positions"]), when["next_auto_commit_ms"]  # type: ignore[call-overload]
        return auto_commit_solution.auto_commit(**when)  # type: ignore[arg-type]

    lab = LABS["auto-commit"]
    lab = dataclasses.replace(lab, checks=(lab.checks[-1],), picture=None)
    # The crash has to land between a poll and the processing of its records: a random search
    # finds that within a few examples nearly always, and within 300 in practice always.
    verdict = check_lab(
        lab, {"auto_commit": eager}, student_path=tmp_path / "s.py", max_examples=300
    )
    (outcome,) = verdict.outcomes
    assert not outcome.passed and outcome.counterexample is not None
    assert "DELIV-19 violated" in outcome.counterexample.got


# ---------------------------------------------------------------------------------------------
# Hostile student files for the new labs, and code that never finishes


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        ("murmur2", "def murmur2(data):\n    return 0\n", "defines no 'keyed_partition'"),
        ("murmur2", "", "defines no 'murmur2'"),
        ("idempotent-dedupe", "check_batch = 'append'\n", "'check_batch' is a str"),
        ("auto-commit", "import os\nos.exit(3)\n", "AttributeError"),
        ("auto-commit", "def auto_commit(:\n", "syntax error"),
    ],
)
def test_broken_files_for_the_new_labs_are_bad_input(
    name: str,
    source: str,
    expected: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    workspace = started(name, tmp_path, capsys)
    (workspace / LABS[name].file_name).write_text(source, encoding="utf-8")
    status, out, err = run(["check", name, "--dir", str(workspace), *BUDGET], capsys)
    assert status == 2, out
    assert expected in err and "Traceback" not in err + out


def test_a_file_that_loops_on_import_is_stopped(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = started("murmur2", tmp_path, capsys)
    (workspace / "murmur2_lab.py").write_text("while True:\n    pass\n", encoding="utf-8")
    status, _, err = run(["check", "murmur2", "--dir", str(workspace), "--timeout", "1"], capsys)
    assert status == 2
    assert "did not finish within 1 s" in err and "loop forever" in err


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("idempotent-dedupe", "def check_batch(**batch):\n    while True:\n        pass\n"),
        (
            "auto-commit",
            "def auto_commit(**when):\n    n = 0\n    while n >= 0:\n        n += 1\n",
        ),
    ],
)
def test_an_answer_that_loops_fails_its_check_and_the_verdict_prints(
    name: str, source: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = started(name, tmp_path, capsys)
    (workspace / LABS[name].file_name).write_text(source, encoding="utf-8")
    status, out, _ = run(["check", name, "--dir", str(workspace), "--timeout", "1"], capsys)
    assert status == 1
    assert "did not finish within 1 s" in out and "FAILED: 0 of" in out
    assert "not run: fix the failure above first" in out and "Traceback" not in out


@pytest.mark.parametrize("answer", ["'append '", "7", "None", "True", "(0,)"])
def test_a_dedupe_answer_of_the_wrong_kind_is_a_counterexample(
    answer: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = started("idempotent-dedupe", tmp_path, capsys)
    (workspace / "idempotent_dedupe_lab.py").write_text(
        f"def check_batch(**batch):\n    return {answer}\n", encoding="utf-8"
    )
    status, out, _ = run(["check", "idempotent-dedupe", "--dir", str(workspace), *BUDGET], capsys)
    assert status == 1 and "counterexample for" in out
    assert "expected: 'append'" in out and "Traceback" not in out


def test_an_auto_commit_answer_of_the_wrong_shape_is_caught_inside_the_consumer(
    tmp_path: pathlib.Path,
) -> None:
    """The substitution refuses a malformed answer before the consumer acts on it."""

    def unassigned(**when: object) -> object:
        return {("elsewhere", 9): 1}, 0

    lab = LABS["auto-commit"]
    lab = dataclasses.replace(lab, checks=(lab.checks[2],), picture=None)
    verdict = check_lab(lab, {"auto_commit": unassigned}, student_path=tmp_path / "s.py")
    (outcome,) = verdict.outcomes
    assert not outcome.passed and outcome.counterexample is not None
    assert "offsets for assigned partitions only" in outcome.counterexample.expected


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf", "100000"])
def test_a_bad_timeout_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["exercise", "check", "murmur2", "--timeout", value])
    assert exit_info.value.code == 2
    assert "--timeout must be a number of seconds" in capsys.readouterr().err


def test_the_seam_refuses_a_window_position_out_of_range(tmp_path: pathlib.Path) -> None:
    """Inside the broker's path, a duplicate position outside the window is reported at once."""
    lab = LABS["idempotent-dedupe"]
    lab = dataclasses.replace(lab, checks=(lab.checks[2],), picture=None)
    verdict = check_lab(lab, {"check_batch": lambda **batch: 7}, student_path=tmp_path / "s.py")
    (outcome,) = verdict.outcomes
    assert not outcome.passed and outcome.counterexample is not None
    assert "a window position from 0 to" in outcome.counterexample.expected
