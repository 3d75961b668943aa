"""``glasskafka broker-start``: run one broker (Kafka's ``kafka-server-start.sh``).

Theory of operation
-------------------
``glasskafka broker-start config/server.properties [--override key=value]...`` reads the
broker's properties -- Kafka's names: ``broker.id``, ``listeners``, ``log.dirs``,
``zookeeper.connect`` and the rest of :class:`~glasskafka.config.BrokerConfig` -- applies the
overrides (``kafka-server-start.sh`` takes ``--override`` too), and runs the broker in the
foreground, logging to standard output in Kafka's layout, until it is interrupted or sent
``SIGTERM``.  A bad or unknown property stops it before anything starts, with a message naming
the key (glasskafka refuses unknown keys; see ``glasskafka.config``).

Spec IDs: none.

Simplified from Kafka: no ``-daemon`` flag and no JVM options; ``glasskafka cluster up`` starts
brokers in the background.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from glasskafka.config import (
    BrokerConfig,
    config_from_properties,
    parse_overrides,
    parse_properties,
)
from glasskafka.errors import GlassKafkaError
from glasskafka.runtime.broker_process import serve_broker
from glasskafka.runtime.logs import configure_logging

__all__ = ["read_properties", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``broker-start`` subcommand."""
    parser = subparsers.add_parser(
        "broker-start",
        help="run one broker in the foreground (kafka-server-start.sh)",
        description="Start a broker from a server.properties file.",
    )
    parser.add_argument("properties", help="server.properties file")
    parser.add_argument(
        "--override", action="append", default=[], metavar="KEY=VALUE",
        help="set one property, overriding the file (repeatable)",
    )  # fmt: skip
    parser.set_defaults(func=_run)


def read_properties(path: str) -> dict[str, str]:
    """The properties in file ``path``; raises :class:`GlassKafkaError` if it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise GlassKafkaError(f"cannot read properties file {path!r}: {error}") from None
    return parse_properties(text, source=path)


def _run(args: argparse.Namespace) -> int:
    properties = read_properties(args.properties)
    properties.update(parse_overrides(args.override))
    config = config_from_properties(BrokerConfig, properties)
    configure_logging(sys.stdout)
    return asyncio.run(serve_broker(config))
