"""The ``glasskafka`` command: Kafka's scripts, one subcommand each.

Theory of operation
-------------------
Each subcommand lives in its own module of this package and exposes
``register(subparsers) -> None``, which adds an ``argparse`` parser whose ``func`` attribute runs
the command and returns the exit status.  :data:`COMMANDS` lists the modules in the order ``--help``
shows them.  Flags, property names and output lines follow Kafka's scripts (``kafka-topics.sh``,
``kafka-dump-log.sh``...), so course notes work with the script name changed (DESIGN §6).

Bad input (a missing file, an unknown flag, a bad property) ends with a one-line message on
stderr and exit status 2, never a traceback: :class:`~glasskafka.errors.GlassKafkaError` is caught
here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from glasskafka import __version__
from glasskafka.errors import GlassKafkaError

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS: tuple[str, ...] = (
    "quickstart",
    "dump-log",
    "check-history",
    "zookeeper-start",
    "broker-start",
    "cluster",
    "topics",
    "console-producer",
    "console-consumer",
    "consumer-groups",
    "zk-shell",
    "exercise",
    "producer-perf-test",
    "consumer-perf-test",
)
"""Subcommand modules of ``glasskafka.cli``, in help order."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="glasskafka",
        description="A glass-box Kafka for teaching: Kafka's scripts as subcommands.",
    )
    parser.add_argument("--version", action="version", version=f"glasskafka {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"glasskafka.cli.{name.replace('-', '_')}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``glasskafka`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except GlassKafkaError as error:
        print(f"glasskafka {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
