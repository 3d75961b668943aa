"""The client host: one sans-IO client node on real sockets, driven from ordinary blocking code.

Theory of operation
-------------------
A broker process owns its event loop (``broker_process.py``).  A client lives inside somebody
else's program -- a script, a notebook, a test -- whose code blocks: ``future.get()``,
``consumer.poll(timeout_ms=1000)``.  :class:`ClientHost` bridges the two worlds the way
kafka-python does with its I/O thread: each client object gets **one background thread running
one asyncio event loop**, and on that loop the same pieces that host a broker:

* a :class:`~glasskafka.runtime.host.NodeHost` feeding the node (a
  :class:`~glasskafka.client.ProducerNode` or :class:`~glasskafka.client.ConsumerNode`) one input
  at a time, with the loop's clock as ``now_ms`` (DESIGN §3);
* :class:`~glasskafka.runtime.outbound.OutboundLinks` to its brokers, each speaking Kafka's
  protocol with :class:`ClientLinkCodec` (requests out, answers matched in order).

The application thread never touches the node.  It asks the loop thread to do so:

* :meth:`ClientHost.call` runs one API call (``send``, ``poll``, ``seek``...) as one input of the
  node and hands back its return value -- or the :class:`~glasskafka.errors.GlassKafkaError` it
  raised for bad input, which reaches the caller instead of being logged as a node failure;
* :meth:`ClientHost.wait_until` blocks until a question about the node's state (has this future
  completed?  has the poll finished?) has an answer.  The question is asked on the loop thread
  at once and again after every input, so the answer is seen as soon as it exists; the wait
  ends with ``None`` when the caller's timeout passes.

**Where brokers are.**  The nodes address their peers as ``bootstrap-<n>``, the n-th bootstrap
server, and as ``broker-<id>``.  The host resolves the first from the configuration
and the second from what the brokers themselves said: :class:`ClientLinkCodec` copies the
``brokers`` of every Metadata answer, and the coordinator of every FindCoordinator answer, into
the host's :class:`BrokerAddresses` as it decodes them, before the node sees them -- the same
facts Kafka's ``NetworkClient`` takes from ``Metadata`` to reach its ``Node`` objects.  That is
the only look inside a message the host takes, and it decides nothing: the node still chooses
whom to ask.

**Closing.**  :meth:`ClientHost.close` first waits, briefly, until every frame the node has sent
has left the socket buffers (an ``acks=0`` Produce is done for the node once sent, and Kafka's
producer still writes it out before ``close()`` returns), then stops the loop.

**Versions.**  Requests travel at the version the envelope carries, the highest glasskafka
serves (``glasskafka.protocol.envelope.request``).  Every Kafka broker since 2.4 (and Kafka 4,
whose floors are lower, KIP-896) accepts those versions, so the host does not negotiate.

:meth:`ClientHost.close` stops the loop, closes every socket and joins the thread: nothing of
the client outlives it.

Spec IDs: none (the node keeps its own).

Simplified from Kafka: kafka-python and Kafka's Java client negotiate versions per broker with
ApiVersions, keep a connection state machine with ``reconnect.backoff.ms`` and close idle
connections; here the node's own retry backoff paces reconnects and versions are fixed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from glasskafka.broker.registration import broker_id_of
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import BrokerId, Millis, NodeId
from glasskafka.node import Message, Node, Output
from glasskafka.protocol.envelope import KafkaResponse
from glasskafka.protocol.messages.find_coordinator import FindCoordinatorResponse
from glasskafka.protocol.messages.metadata import MetadataResponse
from glasskafka.runtime.clock import RuntimeClock
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.kafka_links import KafkaLinkCodec
from glasskafka.runtime.outbound import Link, LinkState, OutboundLinks

__all__ = [
    "BOOTSTRAP_PREFIX",
    "BrokerAddresses",
    "ClientHost",
    "ClientLinkCodec",
    "bootstrap_node_ids",
]

T = TypeVar("T")

BOOTSTRAP_PREFIX = "bootstrap-"
"""Node names of the ``bootstrap_servers`` entries: ``bootstrap-0``, ``bootstrap-1``..."""

_CALL_TIMEOUT_S = 30.0
"""How long an API call may wait for the loop thread (it only waits while another input runs)."""

_DRAIN_S = 2.0
"""How long ``close()`` waits for frames already sent to leave the socket buffers."""

log = logging.getLogger("glasskafka.runtime.client")


def bootstrap_node_ids(count: int) -> tuple[NodeId, ...]:
    """The node names a client uses for its ``count`` bootstrap servers."""
    return tuple(NodeId(f"{BOOTSTRAP_PREFIX}{n}") for n in range(count))


def _written(link: Link) -> bool:
    """Whether a link holds nothing unwritten: broken, or open with empty buffers."""
    if link.state is LinkState.BROKEN:
        return True
    if link.state is LinkState.CONNECTING or link.queue:
        return False
    transport = link.stream.transport if link.stream is not None else None
    return transport is None or transport.get_write_buffer_size() == 0


class BrokerAddresses:
    """Where each peer of a client listens: the bootstrap list, then what Metadata said."""

    def __init__(self, bootstrap: Sequence[tuple[str, int]]) -> None:
        self.bootstrap = list(bootstrap)
        self.brokers: dict[BrokerId, tuple[str, int]] = {}

    def learn(self, message: Message) -> None:
        """Remember the broker addresses an answer carries (Metadata, FindCoordinator)."""
        if not isinstance(message, KafkaResponse):
            return
        body = message.body
        if isinstance(body, MetadataResponse):
            for broker in body.brokers:
                self.brokers[BrokerId(broker.node_id)] = (broker.host, broker.port)
        elif isinstance(body, FindCoordinatorResponse) and body.node_id >= 0 and body.port > 0:
            self.brokers[BrokerId(body.node_id)] = (body.host, body.port)

    def owns(self, peer: NodeId) -> bool:
        return peer.startswith(BOOTSTRAP_PREFIX) or broker_id_of(peer) is not None

    async def resolve(self, peer: NodeId) -> tuple[str, int]:
        """The address of ``peer``; ``LookupError`` if no answer has named it yet."""
        if peer.startswith(BOOTSTRAP_PREFIX):
            index = peer.removeprefix(BOOTSTRAP_PREFIX)
            if index.isdigit() and int(index) < len(self.bootstrap):
                return self.bootstrap[int(index)]
        broker = broker_id_of(peer)
        if broker is not None and broker in self.brokers:
            return self.brokers[broker]
        raise LookupError(f"no address known for {peer}")


class ClientLinkCodec(KafkaLinkCodec):
    """Kafka's client codec that also notes the broker addresses the answers carry."""

    def __init__(self, addresses: BrokerAddresses) -> None:
        super().__init__()
        self.addresses = addresses

    def decode(self, frame: bytes) -> Message:
        message = super().decode(frame)
        self.addresses.learn(message)
        return message


async def _settle(cancelled: list[asyncio.Task[object]]) -> None:
    """Let cancelled tasks finish, then give closed transports the turn in which they let go
    of their sockets (``transport.close()`` releases the socket on the loop's next turn)."""
    await asyncio.gather(*cancelled, return_exceptions=True)
    for _ in range(3):
        await asyncio.sleep(0)


class _Waiter:
    """A question about the node, asked after every input until it has an answer."""

    def __init__(self, question: Callable[[], object]) -> None:
        self.question = question
        self.future: concurrent.futures.Future[object] = concurrent.futures.Future()

    def ask(self) -> bool:
        """Ask once; True when answered (or failed) and so done."""
        if self.future.done():
            return True
        try:
            answer = self.question()
        except Exception as error:  # the question itself failed: tell the waiting caller
            self.future.set_exception(error)
            return True
        if answer is None:
            return False
        self.future.set_result(answer)
        return True


class ClientHost:
    """One client node on an event loop in a background thread (see the module docstring)."""

    def __init__(
        self,
        node: Node,
        bootstrap: Sequence[tuple[str, int]],
        *,
        connect_timeout_s: float = 5.0,
    ) -> None:
        """Start the thread and the node; raises :class:`GlassKafkaError` if it cannot."""
        self.node = node
        self.addresses = BrokerAddresses(bootstrap)
        self.connect_timeout_s = connect_timeout_s
        self.waiters: list[_Waiter] = []
        self.closed = False
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.host: NodeHost | None = None
        self.links: OutboundLinks | None = None
        self.thread = threading.Thread(
            target=self._run, name=f"glasskafka-client-{node.node_id}", daemon=True
        )
        self.thread.start()
        self._ready.result(timeout=_CALL_TIMEOUT_S)

    # -- the loop thread -------------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self.loop = loop
            host = NodeHost(self.node, loop=loop, clock=RuntimeClock(loop), log=log)
            links = OutboundLinks(
                host,
                owns=self.addresses.owns,
                resolve=self.addresses.resolve,
                codec=lambda: ClientLinkCodec(self.addresses),
                log=log,
                timeout_s=self.connect_timeout_s,
            )
            host.outboxes.append(links)
            host.observers.append(self._after_input)
            self.host, self.links = host, links
            host.start()
            self._ready.set_result(None)
            loop.run_forever()
        except BaseException as error:  # the thread could not start: tell the constructor
            if not self._ready.done():
                self._ready.set_exception(error)
            raise
        finally:
            self._release(loop)

    def _after_input(self, peer: NodeId | None, failed: bool) -> None:
        del peer, failed
        self.waiters = [waiter for waiter in self.waiters if not waiter.ask()]

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        """After the loop stopped: close the sockets, cancel what is left, close the loop."""
        if self.host is not None:
            self.host.stop()
        if self.links is not None:
            self.links.close()
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(_settle(pending))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)
        for waiter in self.waiters:
            if not waiter.future.done():
                waiter.future.set_exception(GlassKafkaError("the client was closed"))
        self.waiters.clear()

    # -- for the application thread ----------------------------------------------------------------

    @property
    def on_loop_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def call(self, label: str, action: Callable[[Millis], tuple[T, list[Output]]]) -> T:
        """Run ``action(now_ms)`` on the loop thread as one input of the node; return its value.

        ``action`` returns (value, outputs); the outputs are carried out.  An exception it raises
        (bad input) is raised here and nothing is carried out.
        """
        self._check_open()
        if self.on_loop_thread:
            return self._step(label, action)
        outcome: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                outcome.set_result(self._step(label, action))
            except BaseException as error:
                outcome.set_exception(error)

        assert self.loop is not None
        self.loop.call_soon_threadsafe(run)
        return outcome.result(timeout=_CALL_TIMEOUT_S)

    def _step(self, label: str, action: Callable[[Millis], tuple[T, list[Output]]]) -> T:
        assert self.host is not None
        value: list[T] = []
        problem: list[BaseException] = []

        def step(now_ms: Millis) -> list[Output]:
            try:
                result, outputs = action(now_ms)
            except Exception as error:  # bad input: the caller's error, not the node's bug
                problem.append(error)
                return []
            value.append(result)
            return outputs

        self.host.call(label, step)
        if problem:
            raise problem[0]
        if not value:
            raise GlassKafkaError(f"{label} failed inside the client; see the log")
        return value[0]

    def wait_until(self, question: Callable[[], T | None], timeout_s: float | None) -> T | None:
        """Block until ``question()`` (asked on the loop thread) is not None; return it.

        Returns None if ``timeout_s`` passes first (None: wait for ever).  Raises what the
        question raises.  From the loop thread itself (a callback) only one look is possible.
        """
        self._check_open()
        waiter = _Waiter(question)
        if self.on_loop_thread:
            waiter.ask()
            return self._answer(waiter, 0)
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self._register, waiter)
        return self._answer(waiter, timeout_s)

    def _register(self, waiter: _Waiter) -> None:
        if not waiter.ask():
            self.waiters.append(waiter)

    def _answer(self, waiter: _Waiter, timeout_s: float | None) -> T | None:
        try:
            answer = waiter.future.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError:
            waiter.future.cancel()
            return None
        return answer  # type: ignore[return-value]  # the question's own type

    def ask(self, question: Callable[[], T]) -> T:
        """Read something of the node's state on the loop thread (one look, no waiting)."""
        self._check_open()
        if self.on_loop_thread:
            return question()
        answer: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                answer.set_result(question())
            except BaseException as error:
                answer.set_exception(error)

        assert self.loop is not None
        self.loop.call_soon_threadsafe(run)
        return answer.result(timeout=_CALL_TIMEOUT_S)

    def later(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the loop thread after the current input (callbacks go here)."""
        if self.loop is not None and not self.closed:
            self.loop.call_soon_threadsafe(action)

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the loop, close every socket, and join the thread.  Idempotent.

        Raises :class:`GlassKafkaError` if called from the client's own thread (a callback),
        which cannot wait for itself to stop.
        """
        if self.closed:
            return
        if self.on_loop_thread:
            raise GlassKafkaError("close() cannot be called from a callback of the same client")
        self.closed = True
        loop = self.loop
        if loop is not None and not loop.is_closed():
            drained = asyncio.run_coroutine_threadsafe(self._drain(), loop)
            # Past the wait, or if the loop is already gone, close regardless.
            with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
                drained.result(timeout=min(timeout_s, _DRAIN_S) + 1.0)
            loop.call_soon_threadsafe(loop.stop)
        self.thread.join(timeout_s)

    async def _drain(self) -> None:
        """Wait (briefly) until every frame handed to a link has been written to its socket.

        An ``acks=0`` Produce is complete for the node once sent; Kafka's producer still writes
        it out before ``close()`` returns (its sender runs until nothing is in flight).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _DRAIN_S
        while loop.time() < deadline and self.links is not None:
            if all(_written(link) for link in self.links.links.values()):
                return
            await asyncio.sleep(0.01)

    def _check_open(self) -> None:
        if self.closed:
            raise GlassKafkaError("the client is closed")
