"""``glasskafka zk-shell``: the coordination service's shell (ZooKeeper's ``zkCli.sh``).

Theory of operation
-------------------
The course connects with ``bin/zkCli.sh -server 127.0.0.1:2181`` and types ``ls /``,
``create /zk_test my_data``, ``get /zk_test``; with glasskafka the first word changes::

    glasskafka zk-shell -server 127.0.0.1:2181            # interactive, zkCli.sh's prompt
    glasskafka zk-shell -server 127.0.0.1:2181 ls /        # one command, then exit
    glasskafka zk-shell 127.0.0.1:2181 -c "ls /brokers/ids" -c "get /controller"

The server may be given as ``-server host:port`` (``zkCli.sh``'s option) or as the first word;
the default is ``localhost:2181``.  Words after it are one command, run at once (``zkCli.sh``'s
one-shot form); ``-c COMMAND`` may be repeated to run several.  Without a command the shell reads
lines from standard input.  The commands and their output are ``zkCli.sh``'s
(``glasskafka.coordination.shell``); the session runs over the coordination service's own
frames (``glasskafka.runtime.zk_codec``).

Spec IDs: none.

Simplified from Kafka: Kafka ships ``zookeeper-shell.sh`` (the same program as ``zkCli.sh``);
``-timeout``, ``-r`` (read-only) and ``-waitforconnection`` are not offered.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys

from glasskafka.errors import GlassKafkaError
from glasskafka.runtime.shell_process import run_shell
from glasskafka.runtime.zk_wire import parse_zookeeper_connect

__all__ = ["register"]

_ADDRESS = re.compile(r"^[^\s/]+:[0-9]+$")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``zk-shell`` subcommand."""
    parser = subparsers.add_parser(
        "zk-shell",
        help="the coordination service's shell (zkCli.sh)",
        description="Connect to the coordination service and run zkCli.sh commands: ls, create, "
        "get, set, delete, stat, quit.",
    )
    parser.add_argument(
        "-server", dest="server", metavar="HOST:PORT", help="default localhost:2181"
    )
    parser.add_argument(
        "-c", dest="commands", action="append", metavar="COMMAND", help="run COMMAND (repeatable)"
    )
    parser.add_argument("words", nargs=argparse.REMAINDER, help="[HOST:PORT] [command args...]")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    server: str | None = args.server
    options: list[str] = list(args.commands or [])
    words: list[str] = list(args.words)
    # argparse stops at the first positional word; ``-server``/``-c`` may still follow an address.
    while words:
        if words[0] in ("-server", "-c") and len(words) >= 2:
            flag, value = words.pop(0), words.pop(0)
            if flag == "-c":
                options.append(value)
            else:
                server = value
        elif server is None and _ADDRESS.match(words[0]):
            server = words.pop(0)
        elif words[0] in ("-server", "-c"):
            raise GlassKafkaError(f"option {words[0]} needs a value")
        else:
            break
    address = parse_zookeeper_connect(server or "localhost:2181", key="-server")
    commands: list[str] | None = options or None
    if words:
        commands = [*options, " ".join(_quoted(word) for word in words)]
    return asyncio.run(run_shell(address, commands, out=sys.stdout))


def _quoted(word: str) -> str:
    """Keep a word with blanks whole through the shell's own line splitting."""
    if word and not any(c.isspace() for c in word):
        return word
    return f"'{word}'" if '"' in word else f'"{word}"'
