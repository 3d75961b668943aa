"""The lab bench, part 1: run ``glasskafka quickstart`` from Python.

Run from the repository root::

    python -m tutorials.ch01_why_a_message_queue.quickstart_from_python
    python -m tutorials.ch01_why_a_message_queue.quickstart_from_python --seed 3

It calls :func:`glasskafka.cli.quickstart.run_quickstart`, the function behind the
``glasskafka quickstart`` command, and prints what it narrates: a coordination service and three
brokers start in the simulator, a topic is created, three events are produced and consumed, the
leader is killed and a new one elected, and each broker's log directory is listed.  The same
seed prints the same text, in a fraction of a second of real time.

Spec IDs: none (a demonstration).

Simplified from Kafka: Kafka's quickstart starts real processes; this one runs in the simulator
(see ``glasskafka/cli/quickstart.py``).
"""

from __future__ import annotations

import argparse
import sys

from glasskafka.cli.quickstart import run_quickstart

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse ``--seed`` and run the quickstart; a bad seed exits with status 2 (argparse)."""
    parser = argparse.ArgumentParser(
        prog="quickstart_from_python", description="Run glasskafka's quickstart from Python."
    )
    parser.add_argument("--seed", type=int, default=0, help="the simulation's seed (default 0)")
    args = parser.parse_args(argv)
    return run_quickstart(seed=args.seed, verbose=False, out=sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
