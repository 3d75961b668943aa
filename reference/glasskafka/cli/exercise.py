"""``glasskafka exercise``: the implement-it labs (list, start, check) and the bug hunt.

Theory of operation
-------------------
Five actions, as the labs guide describes them::

    glasskafka exercise list
    glasskafka exercise start NAME [--dir DIR]
    glasskafka exercise check NAME [--dir DIR] [--max-examples N] [--timeout SECONDS]
    glasskafka exercise bughunt [--student ID] [--seed N]
    glasskafka exercise check bughunt [--student ID] [--seed N] --answer FLAG_OR_LOCATION

``start`` writes the workspace (default ``./glasskafka-labs/NAME``) and refuses to overwrite one
that exists.  ``check`` loads the student's file, runs the lab's checks with the student's code
plugged in, prints the verdict and exits 0 when every check passed, 1 when one failed; bad input
(an unknown lab, a missing workspace, a file that does not compile or lacks the function) is a
one-line message and exit 2, never a traceback.  Pictures of a counterexample are written into
the workspace.  Each check runs under ``--timeout`` (default 300 s), so a student's endless loop
ends as a failed check.

``bughunt`` switches on one bug flag chosen from the student id (and seed), runs the model suite
that finds it, and prints the broken invariant and the run, never the flag
(``exercises/bughunt.py``).  ``check bughunt --answer`` confirms (exit 0) or refutes (exit 1) a
diagnosis; an answer that names neither a flag nor a file of the catalogue is bad input (exit 2).

The labs package is imported only when the command runs, so ``glasskafka --help`` does not need
Hypothesis, which the checks use.

Spec IDs: none (a command); the labs' checks name theirs.

Simplified from Kafka: Kafka has no such script.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from glasskafka.errors import GlassKafkaError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``exercise`` with its ``list``, ``start`` and ``check`` actions."""
    parser = subparsers.add_parser(
        "exercise",
        help="implement-it labs (list, start NAME, check NAME) and the bug hunt",
        description="Re-implement one piece of glasskafka and let its own suites judge it.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="list the labs")
    listing.set_defaults(func=_list)
    start = actions.add_parser("start", help="write a lab's workspace")
    start.add_argument("name", help="the lab (see 'glasskafka exercise list')")
    start.add_argument("--dir", help="workspace directory (default ./glasskafka-labs/NAME)")
    start.set_defaults(func=_start)
    check = actions.add_parser("check", help="check a lab's workspace")
    check.add_argument("name", help="the lab, or bughunt")
    check.add_argument("--dir", help="workspace directory (default ./glasskafka-labs/NAME)")
    check.add_argument(
        "--max-examples",
        type=_positive,
        default=None,
        help="examples per property or model run (default: the GLASSKAFKA_PROFILE profile's)",
    )
    check.add_argument("--answer", help="bughunt only: the bug flag or code location you found")
    _hunter_options(check, "bughunt only: ")
    check.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        help="seconds each check may run before it fails as unfinished (default 300)",
    )
    check.set_defaults(func=_check)
    hunt = actions.add_parser("bughunt", help="find a hidden bug flag from the invariant it breaks")
    _hunter_options(hunt, "")
    hunt.set_defaults(func=_bughunt)
    parser.set_defaults(func=_usage(parser))


def _hunter_options(parser: argparse.ArgumentParser, prefix: str) -> None:
    parser.add_argument(
        "--student", type=_student, help=f"{prefix}your student id (chooses your bug)"
    )
    parser.add_argument(
        "--seed", type=_seed, help=f"{prefix}a number mixed in (a teacher's per-class seed)"
    )


def _student(text: str) -> str:
    if not text.strip() or len(text) > 200 or not text.isprintable():
        raise argparse.ArgumentTypeError(
            f"--student must be 1 to 200 printable characters: {text[:40]!r}"
        )
    return text.strip()


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(
            f"--seed must be a whole number from 0 to 2**63-1: {text!r}"
        )
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--max-examples must be a whole number >= 1: {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(
            f"--timeout must be a number of seconds above 0 and at most 86400: {text!r}"
        )
    return value


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return run


_BUGHUNT = "bughunt"
_BUGHUNT_MINUTES = 30


def _list(args: argparse.Namespace) -> int:
    from glasskafka.exercises import LABS

    width = max(len(name) for name in [*LABS, _BUGHUNT])
    for lab in LABS.values():
        print(f"{lab.name:<{width}}  ~{lab.minutes:>2} min  {lab.title}")
    title = "Find the bug: a hidden bug flag, and the invariant it broke"
    print(f"{_BUGHUNT:<{width}}  ~{_BUGHUNT_MINUTES:>2} min  {title}")
    return 0


def _not_a_lab() -> GlassKafkaError:
    return GlassKafkaError(
        "bughunt has no workspace: run 'glasskafka exercise bughunt --student ID', then "
        "'glasskafka exercise check bughunt --student ID --answer FLAG_OR_LOCATION'"
    )


def _start(args: argparse.Namespace) -> int:
    from glasskafka.exercises import lab_named, start_workspace

    if args.name == _BUGHUNT:
        raise _not_a_lab()
    lab = lab_named(args.name)
    directory = start_workspace(lab, args.dir)
    print(f"Started lab {lab.name} in {directory}")
    print(f"  edit {directory / lab.file_name} (read README.md there first), then run:")
    print(f"  glasskafka exercise check {lab.name} --dir {directory}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from glasskafka.exercises import check_lab, format_verdict, lab_named, load_student
    from glasskafka.exercises.limits import DEFAULT_TIMEOUT_S
    from glasskafka.exercises.workspace import student_file

    if args.name == _BUGHUNT:
        return _check_bughunt(args)
    if args.answer is not None or args.student is not None or args.seed is not None:
        raise GlassKafkaError(
            "--answer, --student and --seed belong to 'check bughunt'; a lab is checked "
            f"with 'glasskafka exercise check {args.name} --dir DIR'"
        )
    lab = lab_named(args.name)
    timeout_s = args.timeout or DEFAULT_TIMEOUT_S
    path = student_file(lab, args.dir)
    student = load_student(lab, args.dir, timeout_s=timeout_s)
    verdict = check_lab(
        lab,
        student,
        student_path=path,
        max_examples=args.max_examples,
        picture_dir=Path(path).parent,
        timeout_s=timeout_s,
    )
    print(format_verdict(verdict), end="")
    return 0 if verdict.passed else 1


def _hunter(args: argparse.Namespace) -> tuple[str, str, int]:
    """``(who, arguments, number)``: the heading's name, the options, the hunt's number."""
    from glasskafka.exercises.bughunt import hunt_seed

    parts = []
    if args.student is not None:
        parts.append(f"--student {shlex.quote(args.student)}")
    if args.seed is not None:
        parts.append(f"--seed {args.seed}")
    who = f"student {args.student}" if args.student is not None else "an anonymous hunter"
    return who, " ".join(parts), hunt_seed(args.student, args.seed)


def _bughunt(args: argparse.Namespace) -> int:
    from glasskafka.exercises.bughunt import flag_for_seed, format_hunt, run_hunt

    who, arguments, number = _hunter(args)
    if not arguments:
        print("(no --student or --seed given: this is the same hunt for everyone)")
    report = run_hunt(flag_for_seed(number))
    print(format_hunt(report, who=who, arguments=arguments), end="")
    return 0


def _check_bughunt(args: argparse.Namespace) -> int:
    from glasskafka.exercises.bughunt import flag_for_seed, judge_answer

    if args.answer is None:
        raise GlassKafkaError(
            "check bughunt needs --answer FLAG_OR_LOCATION (a bug flag, or a file such as "
            "glasskafka/log/index.py, optionally :function)"
        )
    if args.dir is not None or args.max_examples is not None:
        raise GlassKafkaError("check bughunt takes --student, --seed and --answer only")
    _, _, number = _hunter(args)
    judgement = judge_answer(flag_for_seed(number), args.answer)
    print(judgement.message, end="")
    return 0 if judgement.confirmed else 1
