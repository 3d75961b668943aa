"""A broker process: one :class:`~glasskafka.broker.BrokerNode` on real sockets and a real disk.

Theory of operation
-------------------
:func:`serve_broker` is what ``glasskafka broker-start server.properties`` runs (Kafka's
``kafka-server-start.sh``).  It assembles, on one asyncio event loop:

* the node -- :class:`~glasskafka.broker.BrokerNode`, the same class the simulator drives, built
  on a :class:`~glasskafka.storage.RealDisk` at the configured log directory (``log.dirs``, else
  ``log.dir``), so its segments are ordinary files (``<topic>-<partition>/<offset>.log``);
* a :class:`~glasskafka.runtime.host.NodeHost` that feeds it inputs and carries out its outputs;
* the **listener** on ``listeners`` (``PLAINTEXT://host:port``; an empty host or ``localhost``
  listens on the loopback addresses), whose connections speak Kafka's protocol
  (``kafka_inbound.py``) with frames up to ``socket.request.max.bytes``;
* the **coordination link** to ``zookeeper.connect`` (``zk_wire.py``);
* the **broker links** to the other brokers (``kafka_links.py``), resolved by an
  :class:`~glasskafka.runtime.address_book.AddressBookService`.

Then it starts the node (which opens and recovers its logs, connects to the coordination service
and registers ``/brokers/ids/<id>``) and logs ``[KafkaServer id=N] started``.  It logs what a
Kafka broker's ``server.log`` and ``state-change.log`` would show: the registration, the
controller role becoming active or resigning, LeaderAndIsr decisions, ISR changes, truncations.

``SIGTERM`` or ``SIGINT`` stops the process cleanly: no more inputs, sockets closed, file handles
released.  What the node wrote is on disk; ``kill -9`` loses nothing either (a process crash:
the operating system keeps every written byte), which is what the failover test relies on.

Spec IDs: none here; the node keeps its own (REPL-n, CTRL-1).

Simplified from Kafka: no controlled shutdown (KIP-143's leadership hand-off before exit) and no
closing of the coordination session on exit -- the registration disappears when the session
times out (``zookeeper.session.timeout.ms``), as after a crash; one log directory per broker;
``broker.id`` must be set (no ``broker.id.generation.enable``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import signal
import socket

from glasskafka.broker import BrokerNode
from glasskafka.broker.effects import IsrWriteResult, LeaderAndIsrApplied, Truncated
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import BrokerId, NodeId, broker_node_id
from glasskafka.protocol.framing import MIN_REQUEST_SIZE
from glasskafka.runtime.address_book import AddressBookService
from glasskafka.runtime.clock import RuntimeClock
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.inbound import Listener
from glasskafka.runtime.kafka_inbound import KafkaConversation
from glasskafka.runtime.kafka_links import broker_links
from glasskafka.runtime.zk_wire import coordination_links, parse_zookeeper_connect
from glasskafka.storage import RealDisk

__all__ = ["listener_address", "serve_broker"]

log = logging.getLogger("glasskafka.runtime.broker")


def listener_address(config: BrokerConfig) -> tuple[str, int]:
    """The host and port of the first ``listeners`` entry (host may be ``""``).

    Raises :class:`GlassKafkaError` naming the property for anything but ``NAME://host:port``.
    """
    first = config.listeners.split(",")[0].strip()
    _, separator, address = first.partition("://")
    host, colon, port = address.rpartition(":")
    if not separator or not colon or not port.isdigit() or int(port) > 65535:
        raise GlassKafkaError(
            f"property 'listeners' has value {config.listeners!r}; allowed: NAME://host:port "
            "entries separated by commas, e.g. PLAINTEXT://:9092"
        )
    return host.strip("[]"), int(port)


def _checked(config: BrokerConfig) -> tuple[str, tuple[str, int]]:
    """The log directory and the coordination address, or a clear error."""
    if config.broker_id < 0:
        raise GlassKafkaError(
            f"property 'broker.id' has value {config.broker_id}; allowed: an id >= 0 "
            "(glasskafka does not generate broker ids)"
        )
    if config.zookeeper_connect is None:
        raise GlassKafkaError(
            "property 'zookeeper.connect' is not set; allowed: host:port of the coordination "
            "service, e.g. localhost:2181"
        )
    directories = config.effective_log_dirs
    if len(directories) != 1:
        raise GlassKafkaError(
            f"property 'log.dirs' lists {len(directories)} directories {directories!r}; "
            "allowed: exactly one (glasskafka keeps one log directory per broker)"
        )
    return directories[0], parse_zookeeper_connect(config.zookeeper_connect)


def _free_port(host: str) -> int:
    """A port nobody listens on now (for ``listeners=...:0``; the choice is not reserved)."""
    with socket.socket() as probe:
        probe.bind((host or "127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def serve_broker(
    config: BrokerConfig,
    *,
    bugs: BugFlags = NO_BUGS,
    seed: int | None = None,
    stop: asyncio.Event | None = None,
    signals: bool = True,
) -> int:
    """Run one broker until ``stop`` is set (or SIGTERM/SIGINT, if ``signals``); return 0.

    Raises :class:`GlassKafkaError` for a config it cannot run (see :func:`_checked`), naming
    the port if the listener cannot bind it.
    """
    log_dir, coordination = _checked(config)
    bind_host, port = listener_address(config)
    if port == 0:
        port = _free_port(bind_host)
        config = dataclasses.replace(config, listeners=f"PLAINTEXT://{bind_host}:{port}")
    loop = asyncio.get_running_loop()
    parts = _Parts(config, RealDisk(log_dir), coordination, bugs=bugs, seed=seed, loop=loop)
    try:
        await parts.listener.start(bind_host, port)
    except OSError as error:
        raise GlassKafkaError(f"cannot listen on {config.listeners!r}: {error}") from None
    stop = stop or asyncio.Event()
    if signals:
        _on_signals(loop, stop)
    name = f"[KafkaServer id={config.broker_id}]"
    log.info(
        "%s starting: log.dirs=%s zookeeper.connect=%s", name, log_dir, config.zookeeper_connect
    )
    parts.start()
    log.info("%s started, listening on %s", name, config.listeners)
    await stop.wait()
    log.info("%s shutting down", name)
    parts.stop()
    log.info("%s shut down completed", name)
    return 0


class _Parts:
    """The node and everything that connects it: host, listener, links, address book."""

    def __init__(
        self,
        config: BrokerConfig,
        disk: RealDisk,
        coordination: tuple[str, int],
        *,
        bugs: BugFlags,
        seed: int | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        clock = RuntimeClock(loop)
        node_id = broker_node_id(BrokerId(config.broker_id))
        self.node = BrokerNode(node_id, disk, random.Random(seed), config=config, bugs=bugs)
        self.host = NodeHost(self.node, loop=loop, clock=clock, log=log)
        self.listener = Listener(
            self.host,
            self._conversation,
            min_size=MIN_REQUEST_SIZE,
            max_size=config.socket_request_max_bytes,
            log=log,
        )
        self.book = AddressBookService(loop=loop, clock=clock, coordination=coordination, log=log)
        self.zk = coordination_links(self.host, coordination, log=log)
        self.brokers = broker_links(self.host, self.book.resolve, log=log)
        self.host.outboxes += [self.listener, self.zk, self.brokers]
        self.host.observers.append(_StateLog(self.node))

    def _conversation(self, peer: NodeId) -> KafkaConversation:
        # A request the broker neither answered nor parked (muting the peer) has no handler.
        return KafkaConversation(
            peer,
            host=self.host,
            log=log,
            max_request_bytes=self.node.config.socket_request_max_bytes,
            will_answer=self.node.channel.is_muted,
        )

    def start(self) -> None:
        self.book.start()
        self.host.start()

    def stop(self) -> None:
        self.host.stop()
        self.book.stop()
        self.listener.close()
        self.zk.close()
        self.brokers.close()
        self.node.disk.close()


def _on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
            return


class _StateLog:
    """After each input, log what changed that Kafka's server and state-change logs would show."""

    def __init__(self, node: BrokerNode) -> None:
        self.node = node
        self.registered = False
        self.active = False

    def __call__(self, peer: NodeId | None, failed: bool) -> None:
        node = self.node
        if node.registered != self.registered:
            self.registered = node.registered
            state = "registered at" if node.registered else "no longer registered at"
            log.info(
                "[KafkaServer id=%d] %s /brokers/ids/%d", node.broker_id, state, node.broker_id
            )
        if node.controller.is_active != self.active:
            self.active = node.controller.is_active
            what = (
                f"active, epoch {node.controller.controller_epoch}" if self.active else "resigned"
            )
            log.info("[Controller id=%d] %s", node.broker_id, what)
        for event in node.events:
            match event:
                case LeaderAndIsrApplied(applied=True):
                    role = "leader" if event.leader == node.broker_id else "follower"
                    log.info(
                        "[Broker id=%d] %s-%d: %s, leader %d, leader epoch %d, isr %s",
                        node.broker_id, event.topic, event.partition, role, event.leader,
                        event.leader_epoch, sorted(event.isr),
                    )  # fmt: skip
                case IsrWriteResult(succeeded=True):
                    log.info(
                        "[Partition %s-%d broker=%d] ISR updated to %s",
                        event.topic, event.partition, node.broker_id, sorted(event.isr),
                    )  # fmt: skip
                case Truncated():
                    log.info(
                        "[Broker id=%d] %s-%d truncated from %d to %d (%s)",
                        node.broker_id, event.topic, event.partition, event.from_offset,
                        event.to_offset, event.reason,
                    )  # fmt: skip
                case _:
                    pass
