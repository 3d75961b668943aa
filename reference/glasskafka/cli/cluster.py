"""``glasskafka cluster up|down|status``: a local cluster of real processes in one directory.

Theory of operation
-------------------
The course builds a cluster by hand -- ZooKeeper, then one ``kafka-server-start.sh`` per broker
with its own ``server.properties`` -- and stops it with a script that kills the brokers.  This
command does the same on one machine (``glasskafka.runtime.cluster``)::

    glasskafka cluster up --brokers 3 --dir /tmp/glasskafka-cluster
    glasskafka cluster status --dir /tmp/glasskafka-cluster
    glasskafka cluster down --dir /tmp/glasskafka-cluster

``up`` writes the properties files, starts the processes in the background on free loopback
ports (or ``--zookeeper-port`` / ``--broker-port`` and the ports after it), waits until every
broker is registered and a controller is elected, and prints one line per process and the
``bootstrap.servers`` to give clients.  ``--override key=value`` adds a ``server.properties``
entry for every broker.  ``down`` stops the brokers, then the coordination service, by the pids
in ``DIR/run``.  ``status`` lists them; it exits 0 only if every process runs.

Spec IDs: none.

Simplified from Kafka: Kafka has no such command; it stands for the course's start and stop
scripts, run on one machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glasskafka.config import parse_overrides
from glasskafka.runtime.cluster import cluster_down, cluster_status, cluster_up

__all__ = ["DEFAULT_DIRECTORY", "register"]

DEFAULT_DIRECTORY = "/tmp/glasskafka-cluster"
"""Where ``cluster`` keeps its files unless ``--dir`` says otherwise (Kafka's defaults live in
``/tmp`` too: ``/tmp/kafka-logs``, ``/tmp/zookeeper``)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cluster`` subcommand."""
    parser = subparsers.add_parser(
        "cluster",
        help="start, stop or list a local cluster of real processes",
        description="Start a coordination service and N brokers as background processes, "
        "stop them, or list them.",
    )
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--dir", default=DEFAULT_DIRECTORY, help=f"(default {DEFAULT_DIRECTORY})")
    parser.add_argument("--brokers", type=int, default=1, help="number of brokers (default 1)")
    parser.add_argument(
        "--zookeeper-port", type=int, default=0, help="clientPort (default: a free port)"
    )
    parser.add_argument(
        "--broker-port", type=int, default=0,
        help="the first broker's port; the next brokers take the next ports (default: free ports)",
    )  # fmt: skip
    parser.add_argument(
        "--override", action="append", default=[], metavar="KEY=VALUE",
        help="a server.properties entry for every broker (repeatable)",
    )  # fmt: skip
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    match args.action:
        case "up":
            return _up(args, directory)
        case "down":
            for process, outcome in cluster_down(directory):
                print(f"{process.name}: pid {process.pid} {outcome}")
            return 0
        case _:
            return _status(directory)


def _up(args: argparse.Namespace, directory: Path) -> int:
    processes = cluster_up(
        directory,
        brokers=args.brokers,
        zookeeper_port=args.zookeeper_port,
        broker_port=args.broker_port,
        overrides=parse_overrides(args.override),
    )
    for process in processes:
        where = f"(pid {process.pid}, log {process.log_file})"
        print(f"Started {process.name} on {process.address} {where}")
    brokers = [p.address for p in processes if p.name.startswith("broker-")]
    zookeeper = next(p.address for p in processes if p.name == "zookeeper")
    print(f"bootstrap.servers={','.join(brokers)}")
    print(f"zookeeper.connect={zookeeper}")
    sys.stdout.flush()
    return 0


def _status(directory: Path) -> int:
    listed = cluster_status(directory)
    if not listed:
        print(f"no cluster in {directory}")
        return 1
    for process, alive in listed:
        state = "running" if alive else "stopped"
        print(f"{process.name:<12} pid {process.pid:<8} {process.address:<21} {state}")
    return 0 if all(alive for _, alive in listed) else 1
