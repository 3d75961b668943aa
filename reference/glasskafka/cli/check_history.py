"""``glasskafka check-history``: judge a client-observed history for delivery anomalies.

Theory of operation
-------------------
The command reads a history file (JSON lines, ``docs/concepts/history-checker.md``), runs the
checker of ``glasskafka.history`` and prints the verdict with counted, line-numbered examples per
anomaly kind, as text or (``--format json``) as one JSON object.  ``--picture OUT`` also draws
each failing partition's offsets (``glasskafka.viz.history``) as ``.svg``, ``.png`` or ``.dot``.
``FILE`` may be ``-`` for standard input, so a recorder's output can be piped straight in.

Exit status, as a test harness wants it:

* ``0``: the verdict is ``valid``;
* ``1``: the verdict is ``invalid`` (anomalies found) or ``unknown`` (nothing could be checked,
  which must not pass silently);
* ``2``: bad input: an unreadable file, a malformed line (the message names the line and the
  field), a bad flag, or a picture that cannot be written.  One line on stderr, never a
  traceback.

The picture's path is checked before the history is read, so a typo in ``--picture`` costs
nothing.  The report is printed before the picture is drawn: a Graphviz failure still leaves the
verdict on screen (and then exits 2).

Spec IDs: every DELIV id of ``specs/delivery.py``, as the checker reports them.

Simplified from Kafka: Kafka ships no such tool; Jepsen's checker runs inside a test, not as a
command.
"""

from __future__ import annotations

import argparse
import io
import json
import pathlib
import sys

from glasskafka.errors import GlassKafkaError
from glasskafka.history import Verdict, check_history, format_text, read_history, report_json
from glasskafka.history.model import History
from glasskafka.history.parse import parse_history
from glasskafka.viz.history import PICTURE_SUFFIXES, history_picture, write_picture

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check-history`` subcommand."""
    parser = subparsers.add_parser(
        "check-history",
        help="check a client history (JSON lines) for delivery anomalies",
        description="Check a client-observed history for lost, duplicated, reordered or "
        "redelivered records. Exit status: 0 valid, 1 invalid or unknown, 2 bad input.",
    )
    parser.add_argument("file", metavar="FILE", help="the history file; - reads standard input")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="report as text or JSON"
    )
    parser.add_argument(
        "--picture",
        metavar="OUT",
        help="also draw the failing partitions to OUT (.svg, .png or .dot)",
    )
    parser.set_defaults(func=run)


def _load(source: str) -> History:
    if source != "-":
        return read_history(source)
    try:
        return parse_history(sys.stdin.buffer.read())
    except GlassKafkaError as error:
        raise GlassKafkaError(f"<stdin>: {error}") from None


def _check_picture_path(picture: str | None) -> None:
    if picture is None:
        return
    target = pathlib.Path(picture)
    if target.suffix.lower() not in PICTURE_SUFFIXES:
        allowed = ", ".join(PICTURE_SUFFIXES)
        raise GlassKafkaError(f"--picture {picture!r}: the suffix must be one of {allowed}")
    if not target.parent.is_dir():
        raise GlassKafkaError(f"--picture {picture!r}: no directory {str(target.parent)!r}")


def run(args: argparse.Namespace) -> int:
    """Run the command with parsed ``args``; return the exit status (see the module docstring)."""
    _check_picture_path(args.picture)
    history = _load(args.file)
    report = check_history(history)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Record values may hold any Unicode; never fail on a terminal that cannot show them.
        sys.stdout.reconfigure(errors="backslashreplace")
    if args.format == "json":
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        source = "<stdin>" if args.file == "-" else args.file
        print(format_text(report, source=source), end="")
    sys.stdout.flush()
    if args.picture is not None:
        write_picture(history_picture(history, report), args.picture)
    return 0 if report.verdict is Verdict.VALID else 1
