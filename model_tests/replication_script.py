"""Scenario scripts: a small language of captioned steps that a replication bench plays.

Theory of operation
-------------------
The anomaly scenarios of reference §5 are short stories: a record is written, a broker crashes,
a message arrives late, someone is elected.  This module lets such a story be written as data --
a tuple of ``(caption, step)`` pairs, each step a frozen value (:data:`Step`): produce, consume,
deliver one chosen message, run, run while one kind of message is held back, wait for a leader /
an answer / a follower, crash, restart, cut off, heal, settle.  A :class:`Scenario` bundles a
script with its configuration, the bug flag that brings its anomaly back (or a safe control
configuration or script, where a setting is enough) and the spec IDs it breaks
(``replication_scenarios.py`` has them all).

:func:`play` runs a script on a :class:`~model_tests.replication_bench.ReplicationBench` in
collecting mode and returns a :class:`Replay`: a snapshot after every step (for pictures) and
every spec ID violated on the way (for tests).  The same script runs with the flag on and off:
the replay tests assert that the anomaly appears with the flag and not without it, and the
tutorials draw the two runs side by side.

Brokers are numbered as the bench creates them: topic ``t`` is placed on brokers 1, 2, 3 (or 1, 2
with replication factor 2) and broker 1 leads first, so scripts name brokers directly.  Records
are ``m1``, ``m2``... in the order they are produced.  A step that waits never fails: with the
flag off the run may take another path, and the replay must still finish to show that nothing
broke.

Spec IDs: none stated here; the bench checks REPL-1..16, CTRL-1 and LIVE-1..3 after every input.

Simplified from Kafka: Kafka's own scenario tests are Java integration tests and ducktape system
tests that script the same moves (``KafkaServer.shutdown``, network partitions with ``iptables``)
with wall-clock waits; here every step is a deterministic simulator input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import assert_never

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.sim.faults import DiskFault
from glasskafka.sim.kafka_snapshot import Acks, ClusterSnapshot, ReplicaRole

from model_tests.replication_bench import ReplicationBench, ReplicationConfig

__all__ = [
    "AwaitAcked",
    "AwaitFollower",
    "AwaitLeader",
    "Consume",
    "Crash",
    "Deliver",
    "Heal",
    "Hold",
    "Isolate",
    "Produce",
    "Replay",
    "Restart",
    "RunFor",
    "Scenario",
    "Settle",
    "Step",
    "broken",
    "perform",
    "play",
    "renumber",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Produce:
    """Send the next record with ``acks`` to the broker that believes it leads."""

    acks: Acks = Acks.ALL


@dataclass(frozen=True, slots=True, kw_only=True)
class Consume:
    """Read the partition from offset 0 at the broker that believes it leads, and wait for the
    answer (at most ``deadline_ms``; 0 only sends the request)."""

    deadline_ms: int = 1_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Deliver:
    """Deliver the first pending message whose body is a ``body``, to broker ``to`` (or to a
    client when ``to`` is 0, to the coordination service when it is ``"zk"``)."""

    body: type[Message]
    to: int | str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFor:
    """Let the cluster run on its own for ``ms``."""

    ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold:
    """Run for ``ms`` in the controlled mode while messages whose body is a ``body`` for broker
    ``to`` (or for the coordination service, ``"zk"``) wait: they arrive late, and so does
    everything behind them on their connection."""

    body: type[Message]
    to: int | str
    ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AwaitLeader:
    """Run until ``broker`` is the true leader: the state znode names it and it has heard (at
    most ``deadline_ms``)."""

    broker: int
    deadline_ms: int = 20_000


@dataclass(frozen=True, slots=True, kw_only=True)
class AwaitAcked:
    """Run until the producer of ``record`` has its answer (at most ``deadline_ms``)."""

    record: str
    deadline_ms: int = 5_000


@dataclass(frozen=True, slots=True, kw_only=True)
class AwaitFollower:
    """Run until ``broker``'s replica follows a leader (at most ``deadline_ms``)."""

    broker: int
    deadline_ms: int = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Crash:
    """Crash ``broker``: a process crash (``keep``), a power loss or a lossy crash."""

    broker: int
    disk: DiskFault = DiskFault.KEEP


@dataclass(frozen=True, slots=True, kw_only=True)
class Restart:
    """Restart ``broker`` on its surviving disk."""

    broker: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Isolate:
    """Cut ``brokers`` off from every other node (each alone)."""

    brokers: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Heal:
    """Remove the network partition."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settle:
    """The liveness phase: heal, restart every crashed broker, run for the bench's budget."""


Step = (
    Produce
    | Consume
    | Deliver
    | RunFor
    | Hold
    | AwaitLeader
    | AwaitAcked
    | AwaitFollower
    | Crash
    | Restart
    | Isolate
    | Heal
    | Settle
)
"""One scripted step."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One anomaly of reference §5, as a configuration and a script."""

    name: str
    title: str
    config: ReplicationConfig
    flag: str | None
    """The bug flag that brings the anomaly back, or ``None`` where the configuration does."""
    breaks: tuple[str, ...]
    steps: tuple[tuple[str, Step], ...]
    """``(caption, step)`` pairs; the captions are the story the tutorials print."""
    control: ReplicationConfig | None = None
    """For a scenario without a flag: the safe configuration the same script runs on."""
    control_steps: tuple[tuple[str, Step], ...] | None = None
    """For a scenario without a flag: a safe variant of the script (e.g. no lossy crash)."""

    def configured(self, *, flag_on: bool) -> ReplicationConfig:
        """The scenario's configuration with its bug flag on or off (or its safe control)."""
        if not flag_on and self.control is not None:
            return self.control
        bugs = BugFlags.only(self.flag) if flag_on and self.flag else NO_BUGS
        return replace(self.config, bugs=bugs)

    def script(self, *, flag_on: bool) -> tuple[tuple[str, Step], ...]:
        """The steps to play: the scenario's, or its safe variant when the flag is off."""
        return self.steps if flag_on or self.control_steps is None else self.control_steps


@dataclass(frozen=True, slots=True, kw_only=True)
class Replay:
    """What one play of a scenario showed."""

    snapshots: tuple[tuple[str, ClusterSnapshot], ...]
    violations: dict[str, list[str]]
    bench: ReplicationBench


def play(
    scenario: Scenario, *, flag_on: bool, config: ReplicationConfig | None = None, seed: int = 0
) -> Replay:
    """Run ``scenario``'s script (with its flag on or off, or on ``config`` if given) in
    collecting mode; every spec ID is checked after every input."""
    bench = ReplicationBench(
        config or scenario.configured(flag_on=flag_on), seed=seed, strict=False
    )
    snapshots = [("start", bench.latest)]
    for caption, step in scenario.script(flag_on=flag_on):
        perform(bench, step)
        snapshots.append((caption, bench.latest))
    return Replay(snapshots=tuple(snapshots), violations=dict(bench.violations), bench=bench)


def perform(bench: ReplicationBench, step: Step) -> None:
    """Carry out one scripted step on ``bench``."""
    match step:
        case Produce(acks=acks):
            bench.produce(acks)
        case Consume(deadline_ms=deadline_ms):
            if bench.consume() and deadline_ms > 0:
                consumer = bench.cluster.client("consumer-1")
                bench.run_until(lambda: not consumer.waiting, deadline_ms=deadline_ms)
        case Deliver(body=body, to=to):
            if to == 0:
                _deliver_to_client(bench, body)
            elif isinstance(to, str):
                bench.deliver_first(body, to=NodeId(to))
            else:
                bench.deliver_first(body, to=bench.cluster.node_of(to))
        case RunFor(ms=ms):
            bench.run_for(ms)
        case Hold(body=body, to=to, ms=ms):
            node = NodeId(to) if isinstance(to, str) else bench.cluster.node_of(to)
            bench.run_holding(body, to=node, duration_ms=ms)
        case AwaitLeader(broker=broker, deadline_ms=deadline_ms):
            bench.run_until(lambda: _true_leader(bench) == broker, deadline_ms=deadline_ms)
        case AwaitAcked(record=record, deadline_ms=deadline_ms):
            bench.run_until(lambda: _answered(bench, record), deadline_ms=deadline_ms)
        case AwaitFollower(broker=broker, deadline_ms=deadline_ms):
            bench.run_until(lambda: _follows(bench, broker), deadline_ms=deadline_ms)
        case Crash(broker=broker, disk=disk):
            bench.crash(broker, disk=disk)
        case Restart(broker=broker):
            bench.restart(broker)
        case Isolate(brokers=brokers):
            bench.isolate(*brokers)
        case Heal():
            bench.heal()
        case Settle():
            bench.settle()
        case _:
            assert_never(step)


def renumber(step: Step, brokers: dict[int, int], *, records: int = 0) -> Step:
    """``step`` with every broker number ``n`` replaced by ``brokers[n]`` and every record
    ``m<k>`` by ``m<k + records>``, so that a script written for "broker 1 leads, nothing was
    written yet" can run where another broker leads after ``records`` records."""
    match step:
        case AwaitAcked(record=record) if record.startswith("m") and record[1:].isdigit():
            return replace(step, record=f"m{int(record[1:]) + records}")
        case Deliver(to=int() as to) if to in brokers:
            return replace(step, to=brokers[to])
        case Hold(to=int() as to) if to in brokers:
            return replace(step, to=brokers[to])
        case AwaitLeader(broker=b) | AwaitFollower(broker=b) | Crash(broker=b) | Restart(broker=b):
            return replace(step, broker=brokers.get(b, b))
        case Isolate(brokers=group):
            return replace(step, brokers=tuple(brokers.get(b, b) for b in group))
        case _:
            return step


def _deliver_to_client(bench: ReplicationBench, body: type[Message]) -> None:
    clients = [n for n in bench.cluster.sim.node_ids if not n.startswith(("broker-", "zk"))]
    for client in clients:
        if bench.deliver_first(body, to=client):
            return


def _true_leader(bench: ReplicationBench) -> int | None:
    leader = bench.latest.partitions[0].true_leader()
    return None if leader is None else leader.broker_id


def _answered(bench: ReplicationBench, record: str) -> bool:
    ghost = bench.latest.partitions[0].ghost
    return any(a.record == record for a in ghost.acked) or any(r == record for r, _ in ghost.nacked)


def _follows(bench: ReplicationBench, broker: int) -> bool:
    replica = bench.latest.partitions[0].replica(bench.cluster.broker_ids[broker - 1])
    return replica is not None and replica.running and replica.role is ReplicaRole.FOLLOWER


def broken(replay: Replay, ids: Sequence[str]) -> list[str]:
    """The IDs among ``ids`` that the replay violated."""
    return [spec_id for spec_id in ids if spec_id in replay.violations]
