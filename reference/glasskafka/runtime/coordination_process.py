"""The coordination service process: one :class:`~glasskafka.coordination.CoordinationServer`.

Theory of operation
-------------------
:func:`serve_coordination` is what ``glasskafka zookeeper-start zookeeper.properties`` runs
(Kafka's ``zookeeper-server-start.sh``).  It hosts the same server node the simulator drives on
an asyncio event loop (``host.py``), listening on ``clientPort`` on the loopback addresses, with
one :class:`~glasskafka.runtime.zk_wire.ZkConversation` per accepted connection
(``zk_codec.py`` frames).  Each connection is a peer ``client-<n>`` to the server, which binds a
session to it on ``ConnectRequest``; a lost connection leaves the session alive until it expires
(COORD-9), so a broker that is killed keeps its registration for
``zookeeper.session.timeout.ms`` -- the window in which the controller has not noticed yet.

``dataDir`` is created, so the directory layout looks like a ZooKeeper installation, but nothing
is written there: the service keeps its tree in memory (see the server's own note).

Spec IDs: the server keeps COORD-1..COORD-9 (``specs/coordination.py``).

Simplified from Kafka: ZooKeeper logs transactions and snapshots to ``dataDir`` and survives a
restart; glasskafka's service starts empty every time, so a cluster is restarted as a whole.
ZooKeeper binds every interface unless ``clientPortAddress`` is set; glasskafka binds loopback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from glasskafka.config import CoordinationConfig
from glasskafka.coordination import CoordinationServer
from glasskafka.errors import GlassKafkaError
from glasskafka.runtime.clock import RuntimeClock
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.inbound import Listener
from glasskafka.runtime.zk_codec import MAX_FRAME_BYTES, MIN_FRAME_BYTES
from glasskafka.runtime.zk_wire import COORDINATION_PEER, ZkConversation

__all__ = ["serve_coordination"]

log = logging.getLogger("glasskafka.runtime.coordination")


async def serve_coordination(
    config: CoordinationConfig, *, stop: asyncio.Event | None = None, signals: bool = True
) -> int:
    """Run the coordination service until ``stop`` is set (or SIGTERM/SIGINT, if ``signals``).

    Raises :class:`~glasskafka.errors.GlassKafkaError` for inconsistent session timeouts, or
    naming ``clientPort`` if it cannot be bound.
    """
    loop = asyncio.get_running_loop()
    server = CoordinationServer(node_id=COORDINATION_PEER, config=config)
    os.makedirs(config.data_dir, exist_ok=True)
    host = NodeHost(server, loop=loop, clock=RuntimeClock(loop), log=log)
    listener = Listener(
        host,
        lambda peer: ZkConversation(peer, host=host, log=log),
        min_size=MIN_FRAME_BYTES,
        max_size=MAX_FRAME_BYTES,
        log=log,
    )
    host.outboxes.append(listener)
    try:
        port = await listener.start("", config.client_port)
    except OSError as error:
        raise GlassKafkaError(
            f"cannot listen on clientPort {config.client_port}: {error}"
        ) from None
    stop = stop or asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT) if signals else ():
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):
            break
    host.start()
    log.info(
        "[ZooKeeperServer] started: binding to port %d, dataDir=%s, tickTime=%d, "
        "minSessionTimeout=%d, maxSessionTimeout=%d (the tree is kept in memory)",
        port, config.data_dir, config.tick_time, config.min_session_timeout,
        config.max_session_timeout,
    )  # fmt: skip
    await stop.wait()
    log.info("[ZooKeeperServer] shutting down")
    host.stop()
    listener.close()
    return 0
