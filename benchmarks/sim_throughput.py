"""Simulator throughput: deliveries per second of a two-node echo, against a bare event loop.

What it measures
----------------
Two echo nodes bounce a numbered ``Ping`` back and forth: each delivery makes the receiver send
the next number to the other node, until ``deliveries`` messages have arrived.  The simulator run
(``glasskafka.sim.Simulator``, driven by ``run_until_quiet``) does everything a real simulation
does per delivery: pick the earliest event from the heap, check it is still live, move the clock,
take the message off its FIFO connection, record ``Delivered`` in the trace, call the node, carry
out its ``Send`` (record ``Sent``, draw a random delay, keep FIFO order, schedule the arrival)
and run the node's ``check_invariants``.

The peer is the least a discrete-event simulation can do for the same exchange: a plain
``heapq`` loop over ``(time, sequence, receiver, sender, message)`` tuples that calls the same two
nodes, draws the same kind of random delay and pushes each ``Send`` back on the heap -- with no
connections, no FIFO guarantee, no partitions or crashes, no trace and no checks.  The ratio
simulator/peer is the price of the network model and the bookkeeping that make a run checkable.

Both run on one core in one process, one after the other, each timed with ``perf_counter`` over
the whole exchange (best of ``--repeat`` runs).  Run ``python -m benchmarks.sim_throughput``
(``--deliveries`` sets the count, default 200,000); ``docs/benchmarks/simulator.md`` records the
figures.

Spec IDs: none (performance).

Simplified from Kafka: Kafka has no simulator to compare with; TigerBeetle's VOPR reports its
speed the same way, in simulated events per second of wall time.
"""

from __future__ import annotations

import argparse
import heapq
import random
import time
from dataclasses import dataclass

from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Node, Output, Send
from glasskafka.sim import NetworkConfig, Simulator
from glasskafka.storage import SimDisk

__all__ = ["Echo", "Ping", "Result", "main", "measure", "run_peer", "run_simulator"]

LEFT, RIGHT = NodeId("left"), NodeId("right")
MIN_DELAY_MS, MAX_DELAY_MS = 1, 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping(Message):
    """The echoed message: how many deliveries the exchange has made so far."""

    number: int


class Echo(Node):
    """Answers ``Ping(n)`` with ``Ping(n + 1)`` to the sender, until ``n`` reaches ``last``."""

    def __init__(self, node_id: NodeId, disk: SimDisk, rng: random.Random) -> None:
        self.node_id = node_id
        self.last = 0
        self.received = 0

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        assert isinstance(message, Ping)
        self.received += 1
        if message.number >= self.last:
            return []
        return [Send(to=sender, message=Ping(number=message.number + 1))]

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return []

    def serve(self, peer: NodeId, last: int) -> list[Output]:
        """API: start the exchange towards ``peer``; it ends after ``last`` deliveries."""
        self.last = last
        return [Send(to=peer, message=Ping(number=1))]


def _echo_pair(deliveries: int) -> tuple[Echo, Echo]:
    left = Echo(LEFT, SimDisk(), random.Random(0))
    right = Echo(RIGHT, SimDisk(), random.Random(0))
    left.last = right.last = deliveries
    return left, right


def run_simulator(deliveries: int, *, seed: int = 1) -> tuple[int, float]:
    """Run the echo in the simulator; return (deliveries made, seconds)."""
    sim = Simulator(
        seed=seed, network=NetworkConfig(min_delay_ms=MIN_DELAY_MS, max_delay_ms=MAX_DELAY_MS)
    )
    sim.add_node(LEFT, Echo)
    sim.add_node(RIGHT, Echo)
    sim.node_as(RIGHT, Echo).last = deliveries
    started = time.perf_counter()
    sim.call(LEFT, lambda node, _: node.serve(RIGHT, deliveries), kind=Echo)
    if not sim.run_until_quiet(deadline_ms=deliveries * MAX_DELAY_MS + 1):
        raise AssertionError("the echo did not finish by its deadline")
    elapsed = time.perf_counter() - started
    made = sim.node_as(LEFT, Echo).received + sim.node_as(RIGHT, Echo).received
    return made, elapsed


def _delay_ms(rng: random.Random) -> int:
    """The same draw as the simulator's network (``Network._delay_ms``), for a fair peer."""
    return MIN_DELAY_MS + int(rng.random() * (MAX_DELAY_MS - MIN_DELAY_MS + 1))


def run_peer(deliveries: int, *, seed: int = 1) -> tuple[int, float]:
    """Run the echo in a bare ``heapq`` loop; return (deliveries made, seconds)."""
    nodes = dict(zip((LEFT, RIGHT), _echo_pair(deliveries), strict=True))
    rng = random.Random(seed)
    heap: list[tuple[int, int, NodeId, NodeId, Message]] = []
    sequence = 0
    started = time.perf_counter()
    for output in nodes[LEFT].serve(RIGHT, deliveries):
        assert isinstance(output, Send)
        sequence += 1
        heapq.heappush(heap, (_delay_ms(rng), sequence, RIGHT, LEFT, output.message))
    while heap:
        now_ms, _, receiver, sender, message = heapq.heappop(heap)
        for output in nodes[receiver].on_message(sender, message, Millis(now_ms)):
            assert isinstance(output, Send)
            sequence += 1
            at_ms = now_ms + _delay_ms(rng)
            heapq.heappush(heap, (at_ms, sequence, output.to, receiver, output.message))
    elapsed = time.perf_counter() - started
    return nodes[LEFT].received + nodes[RIGHT].received, elapsed


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """Deliveries per second of the simulator and of the bare peer, best of the repeats."""

    deliveries: int
    simulator_per_second: float
    peer_per_second: float

    @property
    def ratio(self) -> float:
        """Simulator speed as a fraction of the peer's."""
        return self.simulator_per_second / self.peer_per_second


def measure(deliveries: int, *, repeat: int = 3) -> Result:
    """Time both runs ``repeat`` times each and keep the best (the least disturbed) of each."""
    best_simulator = best_peer = float("inf")
    for _ in range(repeat):
        made, seconds = run_simulator(deliveries)
        assert made == deliveries, f"simulator made {made} deliveries, not {deliveries}"
        best_simulator = min(best_simulator, seconds)
        made, seconds = run_peer(deliveries)
        assert made == deliveries, f"peer made {made} deliveries, not {deliveries}"
        best_peer = min(best_peer, seconds)
    return Result(
        deliveries=deliveries,
        simulator_per_second=deliveries / best_simulator,
        peer_per_second=deliveries / best_peer,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deliveries", type=int, default=200_000, help="messages to deliver")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    args = parser.parse_args(argv)
    if args.deliveries < 1 or args.repeat < 1:
        parser.error("--deliveries and --repeat must be 1 or more")
    result = measure(args.deliveries, repeat=args.repeat)
    print(f"deliveries per run:          {result.deliveries:,}")
    print(f"simulator (glasskafka.sim):  {result.simulator_per_second:,.0f} deliveries/s")
    print(f"peer (bare heapq loop):      {result.peer_per_second:,.0f} deliveries/s")
    print(f"ratio simulator/peer:        {result.ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
