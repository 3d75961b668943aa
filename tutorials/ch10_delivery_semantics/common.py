"""What the scripts of chapter 10 share: chapter 8's lab, and judging a run's history.

Every script runs real consumers on the simulated cluster of chapter 8
(:class:`~tutorials.ch08_consumer_groups_and_rebalancing.common.GroupLab`), writes what the
clients saw as a JSON-lines history, and runs ``glasskafka check-history`` on the file exactly as
a student would at a shell: :func:`check_history_file` prints the command line, then the
command's own output and exit status.  The files go to the directory named by ``--out DIR``
(default: a new temporary directory), so a script can be run anywhere and its histories kept.

Spec IDs: none directly; the checker reports DELIV-19, DELIV-20 and DELIV-21.

Simplified from Kafka: Kafka applications record no histories; a test harness around a real
client would write the same lines (``docs/concepts/history-checker.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from glasskafka.cli import main as glasskafka
from glasskafka.history import Delivery

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab

__all__ = ["check_history_file", "output_directory"]


def output_directory(argv: list[str], *, script: str) -> Path:
    """The directory of ``--out DIR`` (which must exist), else a new temporary directory."""
    parser = argparse.ArgumentParser(
        prog=script, description="Run the scenario, write and check its history."
    )
    parser.add_argument("--out", metavar="DIR", help="where to write the history files")
    args = parser.parse_args(argv)
    if args.out is None:
        return Path(tempfile.mkdtemp(prefix="glasskafka-ch10-"))
    out = Path(args.out)
    if not out.is_dir():
        parser.error(f"--out {args.out!r}: no such directory")
    return out


def check_history_file(
    lab: GroupLab, out: Path, name: str, *, delivery: Delivery | None = None
) -> int:
    """Write the lab's history to ``out/name`` and run ``glasskafka check-history name`` in
    ``out``; print both the command and its output.  Returns the command's exit status."""
    lab.recording.write(out / name, delivery=delivery)
    print(f"$ glasskafka check-history {name}")
    sys.stdout.flush()
    with contextlib.chdir(out):
        status = glasskafka(["check-history", name])
    sys.stdout.flush()
    print(f"(exit status {status})")
    return status
