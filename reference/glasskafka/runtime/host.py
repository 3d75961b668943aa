"""The node host: one sans-IO node on an asyncio event loop, fed one input at a time.

Theory of operation
-------------------
The runtime drives the very node classes the simulator drives (``glasskafka.node``): a
:class:`~glasskafka.coordination.CoordinationServer`, a
:class:`~glasskafka.broker.BrokerNode`, or the small helper nodes of this package.  A
:class:`NodeHost` is the runtime's counterpart of the simulator's ``Host``:

* **inputs** -- :meth:`NodeHost.deliver` (a message from a peer), a timer coming due,
  :meth:`NodeHost.connection_lost`, and :meth:`NodeHost.call` (an API call on a client node,
  such as a shell command) -- each call the node once with ``now_ms`` from the
  :class:`~glasskafka.runtime.clock.RuntimeClock`.  Callbacks of one event loop never run at the
  same time, and the host never calls the node from inside its own output handling, so the node
  sees one input at a time, run to completion (DESIGN §3);
* **outputs** are carried out in the order the node returned them: ``Send`` goes to the first
  :class:`Outbox` that claims the destination (an inbound connection, the coordination link, a
  broker link), ``SetTimer`` becomes ``loop.call_at`` (setting a name again replaces it),
  ``CancelTimer`` cancels;
* **connection loss** is never reported from inside an output: the outbox calls
  :meth:`NodeHost.connection_lost`, which schedules the input with ``call_soon``.

The host makes no protocol decision (STYLE rule 2); it only moves inputs in and outputs out.  If
the node raises -- a bug, since protocol errors are values -- the host logs the traceback, keeps
running and reports the failure to its observers (the inbound connection whose request caused it
is then closed), because a server that dies on one bad request is worse than one that refuses it.

Spec IDs: none (the node's own checks apply; ``check_invariants`` runs after every input when
the host is built with ``check_invariants=True``).

Simplified from Kafka: Kafka hands requests from network threads to a pool of request-handler
threads through a queue; glasskafka has one thread and one queue, the event loop's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol, assert_never

from glasskafka.ids import Millis, NodeId
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.runtime.clock import RuntimeClock

__all__ = ["InputObserver", "NodeHost", "Outbox"]


class Outbox(Protocol):
    """Where a node's ``Send`` can go: a family of connections (inbound, coordination, broker)."""

    def offer(self, to: NodeId, message: Message) -> bool:
        """Take ``message`` for ``to`` and return True, or return False if ``to`` is not ours."""


InputObserver = Callable[[NodeId | None, bool], None]
"""Called after each input with the peer it came from (or None) and whether the node failed."""


class NodeHost:
    """Runs one node on an event loop: timers, inputs, and output routing."""

    def __init__(
        self,
        node: Node,
        *,
        loop: asyncio.AbstractEventLoop,
        clock: RuntimeClock,
        log: logging.Logger,
        check_invariants: bool = False,
    ) -> None:
        self.node = node
        self.loop = loop
        self.clock = clock
        self.log = log
        self.check_invariants = check_invariants
        self.outboxes: list[Outbox] = []
        self.observers: list[InputObserver] = []
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.inputs = 0
        self.failures = 0
        self.stopped = False

    # -- inputs ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Give the node its ``on_start`` input."""
        self._run(None, "start", self.node.on_start)

    def deliver(self, sender: NodeId, message: Message) -> bool:
        """Give the node one message from ``sender`` now; return False if the node failed."""
        label = type(message).__name__
        return self._run(sender, label, lambda now: self.node.on_message(sender, message, now))

    def call(self, label: str, step: Callable[[Millis], list[Output]]) -> bool:
        """An API call on a client node (a shell command, say) as one input; False if it failed."""
        return self._run(None, label, step)

    def connection_lost(self, peer: NodeId, *, before: Callable[[], None] | None = None) -> None:
        """Tell the node, as a later input of its own, that the connection to ``peer`` broke.

        ``before`` runs just before the node is told (an outbox forgets the dead connection
        then, so that sends made *after* the notice open a fresh one).
        """
        self.loop.call_soon(self._lost, peer, before)

    def _lost(self, peer: NodeId, before: Callable[[], None] | None) -> None:
        if before is not None:
            before()
        self._run(peer, "connection lost", lambda now: self.node.on_connection_lost(peer, now))

    def _timer_due(self, name: str, at_ms: Millis) -> None:
        self.timers.pop(name, None)
        self.clock.reached(at_ms)
        self._run(None, f"timer {name}", lambda now: self.node.on_timer(name, now))

    def _run(self, peer: NodeId | None, label: str, step: Callable[[Millis], list[Output]]) -> bool:
        """One input: call the node, carry out its outputs, tell the observers."""
        if self.stopped:
            return True
        self.inputs += 1
        failed = False
        try:
            outputs = step(self.clock.now_ms())
            if self.check_invariants:
                self.node.check_invariants()
        except Exception:
            # A bug in the node (protocol errors are values and never raise).  Log it loudly and
            # keep serving; the observers close the connection whose input caused it.
            self.failures += 1
            failed = True
            outputs = []
            self.log.exception("%s failed on input %s from %s", self.node.node_id, label, peer)
        self._carry_out(outputs)
        for observer in self.observers:
            observer(peer, failed)
        return not failed

    # -- outputs --------------------------------------------------------------------------------

    def _carry_out(self, outputs: list[Output]) -> None:
        for output in outputs:
            match output:
                case Send(to=to, message=message):
                    self._send(to, message)
                case SetTimer(name=name, at_ms=at_ms):
                    self._set_timer(name, at_ms)
                case CancelTimer(name=name):
                    handle = self.timers.pop(name, None)
                    if handle is not None:
                        handle.cancel()
                case _:
                    assert_never(output)

    def _send(self, to: NodeId, message: Message) -> None:
        for outbox in self.outboxes:
            if outbox.offer(to, message):
                return
        self.log.warning("no connection can reach %s; dropped %s", to, type(message).__name__)

    def _set_timer(self, name: str, at_ms: Millis) -> None:
        previous = self.timers.pop(name, None)
        if previous is not None:
            previous.cancel()
        when = self.clock.loop_time(at_ms)
        self.timers[name] = self.loop.call_at(when, self._timer_due, name, at_ms)

    def stop(self) -> None:
        """Take no more inputs and forget every timer (the process is shutting down)."""
        self.stopped = True
        for handle in self.timers.values():
            handle.cancel()
        self.timers.clear()
