"""``glasskafka zookeeper-start``: run the coordination service (``zookeeper-server-start.sh``).

Theory of operation
-------------------
Kafka's quickstart starts ZooKeeper with ``bin/zookeeper-server-start.sh
config/zookeeper.properties``; this is the same with the script name changed.  The properties are
ZooKeeper's (``dataDir``, ``clientPort``, ``tickTime``, ``minSessionTimeout``...), read by
:func:`~glasskafka.config.parse_properties`; ``--override key=value`` changes one.  Without a file
the defaults apply (``clientPort=2181``, ``dataDir=/tmp/zookeeper``).  The process runs in the
foreground and logs to standard output until it is interrupted or sent ``SIGTERM``.

Spec IDs: none.

Simplified from Kafka: no ``-daemon`` flag; run it in the background with your shell, or use
``glasskafka cluster up``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from glasskafka.cli.broker_start import read_properties
from glasskafka.config import CoordinationConfig, config_from_properties, parse_overrides
from glasskafka.runtime.coordination_process import serve_coordination
from glasskafka.runtime.logs import configure_logging

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``zookeeper-start`` subcommand."""
    parser = subparsers.add_parser(
        "zookeeper-start",
        help="run the coordination service in the foreground (zookeeper-server-start.sh)",
        description="Start glasskafka's ZooKeeper-like coordination service.",
    )
    parser.add_argument(
        "properties", nargs="?", help="zookeeper.properties file (default: built-in defaults)"
    )
    parser.add_argument(
        "--override", action="append", default=[], metavar="KEY=VALUE",
        help="set one property, overriding the file (repeatable)",
    )  # fmt: skip
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    properties = read_properties(args.properties) if args.properties else {}
    properties.update(parse_overrides(args.override))
    config = config_from_properties(CoordinationConfig, properties)
    configure_logging(sys.stdout)
    return asyncio.run(serve_coordination(config))
