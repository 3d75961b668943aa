"""The bug hunt: every bug flag is hunted, the flag stays hidden, and answers are judged.

Each of the sixteen flags of ``glasskafka.bugs.CATALOGUE`` is hunted once (one test per flag,
the teeth tests' budgets without the shrink phase, about a second each; one more hunt shrinks,
as a student's does): the search must find a spec ID the flag's entry names, the printed hunt
must never name the flag or its file, and the flag's name, its file and its function must each
be confirmed while another flag is refuted without the right answer showing.  The command line
is then checked end to end, bad input included.
"""

from __future__ import annotations

import pytest
from glasskafka.bugs import CATALOGUE
from glasskafka.cli import main
from glasskafka.errors import GlassKafkaError
from glasskafka.exercises.bughunt import (
    flag_for_seed,
    format_hunt,
    functions_of,
    hunt_seed,
    judge_answer,
    run_hunt,
    scrub,
)
from glasskafka.exercises.hunts import HUNTS

FLAGS = list(CATALOGUE)


def test_every_bug_flag_has_a_hunt_in_catalogue_order() -> None:
    assert list(HUNTS) == FLAGS


def test_seeds_walk_through_every_flag_and_students_are_fixed() -> None:
    assert [flag_for_seed(n) for n in range(len(FLAGS))] == FLAGS
    assert hunt_seed("alice", None) == hunt_seed(" alice ", None)
    assert hunt_seed("alice", 1) != hunt_seed("alice", 2) != hunt_seed("alice", None)
    assert hunt_seed(None, 5) == 5 and hunt_seed(None, None) == 0
    chosen = {flag_for_seed(hunt_seed(f"student-{n}", None)) for n in range(200)}
    assert chosen == set(FLAGS)  # a class of 200 meets every bug


@pytest.mark.parametrize("flag", FLAGS)
def test_the_hunt_finds_the_flag_and_hides_it(flag: str) -> None:
    report = run_hunt(flag, shrink=False)
    assert report.spec_id in CATALOGUE[flag].breaks, report
    assert report.statement and report.steps and report.steps[0].startswith("state = ")
    text = format_hunt(report, who="student s1", arguments="--student s1")
    assert report.spec_id in text and "--student s1 --answer" in text
    for name in FLAGS:
        assert name not in text.lower()
    assert CATALOGUE[flag].location not in text
    assert "bugs." not in text


def test_a_student_hunt_shrinks_to_a_short_run() -> None:
    report = run_hunt("index_entry_off_by_one")
    assert report.spec_id == "LOG-3" and len(report.steps) <= 6


@pytest.mark.parametrize("flag", FLAGS)
def test_the_flag_its_file_and_its_function_are_confirmed(flag: str) -> None:
    info = CATALOGUE[flag]
    (function, *_) = functions_of(flag)
    answers = [
        flag,
        flag.upper().replace("_", "-"),
        f"bugs.{flag}",
        info.location,
        f"reference/{info.location}",
        info.location.removeprefix("glasskafka/"),
        f"{info.location}:{function}",
        f"{info.location}:{function.split('.')[-1]}",
    ]
    for answer in answers:
        judgement = judge_answer(flag, answer)
        assert judgement.confirmed, answer
        assert judgement.message.startswith("CONFIRMED") and flag in judgement.message


@pytest.mark.parametrize("flag", FLAGS)
def test_a_wrong_answer_is_refuted_without_the_right_one(flag: str) -> None:
    info = CATALOGUE[flag]
    other = next(f for f in FLAGS if CATALOGUE[f].location != info.location)
    for answer in (other, CATALOGUE[other].location, f"{info.location}:no_such_function"):
        judgement = judge_answer(flag, answer)
        assert not judgement.confirmed and judgement.message.startswith("REFUTED")
        assert flag not in judgement.message
        assert info.location not in judgement.message.replace(answer, "")


@pytest.mark.parametrize(
    "answer", ["", "   ", "no_such_flag", "glasskafka/records/batch.py", "../../etc/passwd", ":"]
)
def test_an_answer_naming_no_flag_and_no_file_is_bad_input(answer: str) -> None:
    with pytest.raises(GlassKafkaError, match="--answer"):
        judge_answer(FLAGS[0], answer)


def test_scrub_hides_flag_names_in_any_case() -> None:
    text = "Machine_UNFENCED_FETCH BugFlags(unfenced_fetch=True) kip101_lookup"
    assert scrub(text) == "Machine_<hidden> BugFlags(<hidden>) <hidden>"


# ---------------------------------------------------------------------------------------------
# The command line


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["exercise", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_hunt_and_its_answers_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    flag = flag_for_seed(hunt_seed("ada", 7))
    status, out, _ = run(["bughunt", "--student", "ada", "--seed", "7"], capsys)
    assert status == 0
    assert out.startswith("bug hunt for student ada")
    assert "check bughunt --student ada --seed 7 --answer" in out
    assert flag not in out
    right = ["check", "bughunt", "--student", "ada", "--seed", "7", "--answer", flag]
    status, out, _ = run(right, capsys)
    assert status == 0 and out.startswith("CONFIRMED")
    other = next(f for f in FLAGS if CATALOGUE[f].location != CATALOGUE[flag].location)
    wrong = [*right[:-1], other]
    status, out, _ = run(wrong, capsys)
    assert status == 1 and out.startswith("REFUTED") and flag not in out


def test_a_hunt_without_student_or_seed_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["bughunt"], capsys)
    assert status == 0 and "same hunt for everyone" in out
    assert "glasskafka exercise check bughunt --answer NAME_OR_FILE" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "bughunt", "--student", "ada"], "needs --answer"),
        (["check", "bughunt", "--student", "ada", "--answer", "nope"], "neither a bug flag"),
        (["check", "bughunt", "--answer", "x", "--dir", "d"], "takes --student, --seed"),
        (["check", "crc32c", "--answer", "kip101_lookup"], "belong to 'check bughunt'"),
        (["check", "crc32c", "--student", "ada"], "belong to 'check bughunt'"),
        (["start", "bughunt"], "bughunt has no workspace"),
    ],
)
def test_bad_bughunt_input_is_one_line_and_exit_2(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(args, capsys)
    assert status == 2 and expected in err
    assert "Traceback" not in out + err
    for name in FLAGS:
        assert name not in out  # bad input never reveals the hidden flag


@pytest.mark.parametrize(
    "args",
    [
        ["bughunt", "--seed", "-1"],
        ["bughunt", "--seed", "many"],
        ["bughunt", "--seed", str(2**63)],
        ["bughunt", "--student", ""],
        ["bughunt", "--student", "a\nb"],
        ["bughunt", "--student", "x" * 201],
        ["check", "bughunt", "--seed", "1.5", "--answer", "x"],
    ],
)
def test_bad_student_or_seed_is_refused(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["exercise", *args])
    assert exit_info.value.code == 2
    assert "must be" in capsys.readouterr().err


def test_the_hunt_needs_a_source_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    import glasskafka.exercises.bughunt as bughunt

    monkeypatch.setattr(bughunt, "source_checkout", lambda: None)
    with pytest.raises(GlassKafkaError, match="needs a glasskafka source checkout"):
        bughunt.run_hunt(FLAGS[0])


def test_a_student_id_with_shell_characters_is_quoted_in_the_answer_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(["bughunt", "--student", "o'brien; rm -rf ~", "--seed", "0"], capsys)
    assert status == 0
    assert "check bughunt --student 'o'\"'\"'brien; rm -rf ~' --seed 0 --answer" in out
