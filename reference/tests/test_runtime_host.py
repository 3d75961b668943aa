"""The runtime's clock and node host: time, timers, and one input at a time in order.

The host is the runtime's counterpart of the simulator's host (``glasskafka.runtime.host``).
These tests drive it with a small recording node on a real event loop and check its contract:
``now_ms`` never goes backwards and a timer is delivered at or after its due time; a timer set
again replaces the first, a cancelled one never fires; outputs are carried out in the order the
node returned them; a connection loss arrives as a later input of its own; a node that raises is
logged and reported, and the host keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from glasskafka.ids import Millis, NodeId
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.runtime import NodeHost, RuntimeClock

log = logging.getLogger("glasskafka.test.host")


class Recorder(Node):
    """Records every input; returns whatever ``script`` says for it."""

    def __init__(self, script: Callable[[str, Millis], list[Output]] | None = None) -> None:
        self.node_id = NodeId("recorder")
        self.inputs: list[tuple[str, Millis]] = []
        self.script = script or (lambda what, now: [])

    def _record(self, what: str, now_ms: Millis) -> list[Output]:
        self.inputs.append((what, now_ms))
        return self.script(what, now_ms)

    def on_start(self, now_ms: Millis) -> list[Output]:
        return self._record("start", now_ms)

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        return self._record(f"message from {sender}", now_ms)

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return self._record(f"timer {name}", now_ms)

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        return self._record(f"lost {peer}", now_ms)


class Collect:
    """An outbox that takes every message for names starting with ``prefix``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.sent: list[tuple[NodeId, Message]] = []

    def offer(self, to: NodeId, message: Message) -> bool:
        if not to.startswith(self.prefix):
            return False
        self.sent.append((to, message))
        return True


def run(test: Callable[[asyncio.AbstractEventLoop], Any]) -> Any:
    async def main() -> Any:
        return await test(asyncio.get_running_loop())

    return asyncio.run(main())


def test_the_clock_is_anchored_to_the_wall_and_never_goes_back() -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> None:
        clock = RuntimeClock(loop, anchor_ms=1_000_000)
        first = clock.now_ms()
        assert 1_000_000 <= first < 1_000_000 + 1000
        assert clock.reached(Millis(first + 500)) >= first + 500
        assert clock.now_ms() >= first + 500  # reaching a timer's time moved the clock
        assert clock.loop_time(Millis(1_000_000)) == pytest.approx(clock._anchor_loop_s)

    run(check)


def test_a_timer_is_delivered_at_or_after_its_due_time() -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> Recorder:
        clock = RuntimeClock(loop)
        start = clock.now_ms()

        def script(what: str, now: Millis) -> list[Output]:
            return [SetTimer(name="t", at_ms=Millis(start + 30))] if what == "start" else []

        node = Recorder(script)
        host = NodeHost(node, loop=loop, clock=clock, log=log)
        host.start()
        await asyncio.sleep(0.1)
        return node

    node = run(check)
    ((_, now),) = [entry for entry in node.inputs if entry[0] == "timer t"]
    assert now >= node.inputs[0][1] + 30


def test_setting_a_timer_again_replaces_it_and_cancel_forgets_it() -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> Recorder:
        clock = RuntimeClock(loop)
        now = clock.now_ms()
        outputs: list[Output] = [
            SetTimer(name="a", at_ms=Millis(now + 10)),
            SetTimer(name="a", at_ms=Millis(now + 40)),
            SetTimer(name="b", at_ms=Millis(now + 10)),
            CancelTimer(name="b"),
            CancelTimer(name="never-set"),
        ]
        node = Recorder(lambda what, _: outputs if what == "start" else [])
        host = NodeHost(node, loop=loop, clock=clock, log=log)
        host.start()
        await asyncio.sleep(0.15)
        assert host.timers == {}
        return node

    node = run(check)
    fired = [(what, now) for what, now in node.inputs if what.startswith("timer")]
    assert [what for what, _ in fired] == ["timer a"]
    assert fired[0][1] >= node.inputs[0][1] + 40


def test_outputs_are_carried_out_in_order_through_the_first_outbox_that_takes_them() -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> tuple[Collect, Collect]:
        messages = [Send(to=NodeId(name), message=Message()) for name in ("a-1", "b-1", "a-2")]
        node = Recorder(lambda what, _: list(messages) if what == "start" else [])
        host = NodeHost(node, loop=loop, clock=RuntimeClock(loop), log=log)
        first, second = Collect("a-"), Collect("")
        host.outboxes += [first, second]
        host.start()
        return first, second

    first, second = run(check)
    assert [to for to, _ in first.sent] == ["a-1", "a-2"]
    assert [to for to, _ in second.sent] == ["b-1"]


def test_a_connection_loss_is_a_later_input_after_the_before_hook() -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> tuple[Recorder, list[str]]:
        node = Recorder()
        host = NodeHost(node, loop=loop, clock=RuntimeClock(loop), log=log)
        order: list[str] = []
        host.connection_lost(NodeId("peer"), before=lambda: order.append("forgotten"))
        order.append("returned")  # the node has not been told yet
        assert node.inputs == []
        await asyncio.sleep(0)
        order.append(f"told: {node.inputs[-1][0]}")
        return node, order

    _, order = run(check)
    assert order == ["returned", "forgotten", "told: lost peer"]


def test_a_node_that_raises_is_logged_reported_and_kept(caplog: pytest.LogCaptureFixture) -> None:
    def script(what: str, now: Millis) -> list[Output]:
        if what.startswith("message"):
            raise RuntimeError("a bug")
        return []

    async def check(loop: asyncio.AbstractEventLoop) -> tuple[NodeHost, list[tuple[Any, bool]]]:
        host = NodeHost(Recorder(script), loop=loop, clock=RuntimeClock(loop), log=log)
        seen: list[tuple[Any, bool]] = []
        host.observers.append(lambda peer, failed: seen.append((peer, failed)))
        host.start()
        assert host.deliver(NodeId("client-1"), Message()) is False
        assert host.call("api", lambda now: []) is True
        return host, seen

    with caplog.at_level(logging.ERROR, logger="glasskafka.test.host"):
        host, seen = run(check)
    assert seen == [(None, False), ("client-1", True), (None, False)]
    assert host.failures == 1 and host.inputs == 3
    assert "failed on input Message from client-1" in caplog.text and "a bug" in caplog.text


def test_a_stopped_host_takes_no_more_inputs() -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> Recorder:
        clock = RuntimeClock(loop)
        node = Recorder(lambda what, now: [SetTimer(name="t", at_ms=Millis(now + 5))])
        host = NodeHost(node, loop=loop, clock=clock, log=log)
        host.start()
        host.stop()
        host.deliver(NodeId("x"), Message())
        await asyncio.sleep(0.05)
        return node

    assert [what for what, _ in run(check).inputs] == ["start"]
