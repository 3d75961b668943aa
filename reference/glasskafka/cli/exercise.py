"""``glasskafka exercise``: start, check and list the implement-it labs.

Theory of operation
-------------------
Three actions, as the labs guide describes them::

    glasskafka exercise list
    glasskafka exercise start NAME [--dir DIR]
    glasskafka exercise check NAME [--dir DIR] [--max-examples N]

``start`` writes the workspace (default ``./glasskafka-labs/NAME``) and refuses to overwrite one
that exists.  ``check`` loads the student's file, runs the lab's checks with the student's code
plugged in, prints the verdict and exits 0 when every check passed, 1 when one failed; bad input
(an unknown lab, a missing workspace, a file that does not compile or lacks the function) is a
one-line message and exit 2, never a traceback.  Pictures of a counterexample are written into
the workspace.

The labs package is imported only when the command runs, so ``glasskafka --help`` does not need
Hypothesis, which the checks use.

Spec IDs: none (a command); the labs' checks name theirs.

Simplified from Kafka: Kafka has no such script.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``exercise`` with its ``list``, ``start`` and ``check`` actions."""
    parser = subparsers.add_parser(
        "exercise",
        help="implement-it labs: list, start NAME, check NAME",
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
    check.add_argument("name", help="the lab")
    check.add_argument("--dir", help="workspace directory (default ./glasskafka-labs/NAME)")
    check.add_argument(
        "--max-examples",
        type=_positive,
        default=None,
        help="examples per property or model run (default: the GLASSKAFKA_PROFILE profile's)",
    )
    check.set_defaults(func=_check)
    parser.set_defaults(func=_usage(parser))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--max-examples must be a whole number >= 1: {text!r}")
    return value


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return run


def _list(args: argparse.Namespace) -> int:
    from glasskafka.exercises import LABS

    width = max(len(name) for name in LABS)
    for lab in LABS.values():
        print(f"{lab.name:<{width}}  ~{lab.minutes:>2} min  {lab.title}")
    return 0


def _start(args: argparse.Namespace) -> int:
    from glasskafka.exercises import lab_named, start_workspace

    lab = lab_named(args.name)
    directory = start_workspace(lab, args.dir)
    print(f"Started lab {lab.name} in {directory}")
    print(f"  edit {directory / lab.file_name} (read README.md there first), then run:")
    print(f"  glasskafka exercise check {lab.name} --dir {directory}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from glasskafka.exercises import check_lab, format_verdict, lab_named, load_student
    from glasskafka.exercises.workspace import student_file

    lab = lab_named(args.name)
    path = student_file(lab, args.dir)
    student = load_student(lab, args.dir)
    verdict = check_lab(
        lab,
        student,
        student_path=path,
        max_examples=args.max_examples,
        picture_dir=Path(path).parent,
    )
    print(format_verdict(verdict), end="")
    return 0 if verdict.passed else 1
