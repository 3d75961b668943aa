"""Log lines in Kafka's layout, so a broker's output reads like ``server.log``.

Theory of operation
-------------------
Kafka's brokers log through log4j with the pattern ``[%d] %p %m (%c)%n``::

    [2024-05-01 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)

:func:`configure_logging` gives glasskafka's loggers the same layout on a stream (standard output
for a foreground ``broker-start``; the log file for a process started by ``cluster up``).  The
logger names are glasskafka's (``glasskafka.runtime.broker``), in the place where Kafka prints
its class name.  Messages carry the node in square brackets, as Kafka's do (``[KafkaServer
id=1]``, ``[Controller id=1]``, ``[Broker id=1]``), so the output of several processes can be
merged and still read as one story.

Spec IDs: none.

Simplified from Kafka: Kafka writes several files (``server.log``, ``controller.log``,
``state-change.log``) with rolling; glasskafka writes one stream and leaves rotation to the user.
"""

from __future__ import annotations

import logging
from typing import TextIO

__all__ = ["KAFKA_LAYOUT", "configure_logging"]

KAFKA_LAYOUT = "[%(asctime)s] %(levelname)s %(message)s (%(name)s)"
"""log4j's ``[%d] %p %m (%c)``; Python's default ``asctime`` is log4j's ``ISO8601`` format."""


def configure_logging(stream: TextIO, *, level: int = logging.INFO) -> None:
    """Send glasskafka's log records to ``stream`` in Kafka's layout (replacing any earlier)."""
    logger = logging.getLogger("glasskafka")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(KAFKA_LAYOUT))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
