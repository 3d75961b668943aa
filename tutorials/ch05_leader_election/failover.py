"""Kill the leader and watch the controller elect a new one from the ISR.

Run from the repository root::

    python -m tutorials.ch05_leader_election.failover

Broker 1 leads topic ``t``; broker 2 happens to be the controller.  Broker 1 crashes.  Nothing
happens for a while: ZooKeeper waits for the broker's session to time out
(``zookeeper.session.timeout.ms``, 6 seconds here).  Then its ephemeral ``/brokers/ids/1`` znode
goes, the controller's watch on ``/brokers/ids`` fires, and the controller follows the course's
five steps: read the live brokers, find the partitions the dead broker led, read each one's
state znode, pick the first live ISR member as the new leader, write the new leader, ISR and a
leader epoch one higher back to the znode, and send LeaderAndIsr to the brokers concerned.

The script prints ``kafka-topics --describe`` before and after, and the election's messages in
order, with the data of the state znode as ZooKeeper held it and as the controller wrote it.

Spec IDs: REPL-7 (the leader is in the ISR), REPL-10 (the epoch rises), REPL-11 (one leader per
epoch), checked after every step.

Simplified from Kafka: one partition, so the controller's batch holds one state; Kafka also
sends UpdateMetadata to every broker, as glasskafka does (not printed here).
"""

from __future__ import annotations

from glasskafka.coordination import GetDataResponse, SetDataRequest, WatchEvent
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrRequest
from glasskafka.sim import Crashed, Delivered, Sent, TraceEvent

from model_tests.replication_bench import ReplicationBench, ReplicationConfig

__all__ = ["STATE_PATH", "election_events", "fail_the_leader", "main"]

STATE_PATH = "/brokers/topics/t/partitions/0/state"


def fail_the_leader() -> tuple[ReplicationBench, list[TraceEvent], list[str], list[str]]:
    """Start the cluster, write one record, crash the leader, run until a new one leads.

    Returns the bench, the trace events of the failover, and the ``describe`` lines before
    and after.
    """
    bench = ReplicationBench(ReplicationConfig(), seed=0)
    bench.produce()
    bench.run_for(1_000)
    before = bench.cluster.describe_lines("t")
    start = len(bench.cluster.sim.trace.events)
    bench.crash(1)
    bench.run_until(lambda: bench.cluster.leader("t", 0) not in (1, -1), deadline_ms=20_000)
    bench.run_for(100)
    after = bench.cluster.describe_lines("t")
    return bench, bench.cluster.sim.trace.events[start:], before, after


def _in_election(event: TraceEvent) -> bool:
    match event:
        case Crashed():
            return True
        case Sent(message=message) | Delivered(message=message):
            if isinstance(message, WatchEvent):
                return message.path == "/brokers/ids"
            if isinstance(message, SetDataRequest):
                return message.path == STATE_PATH
            if isinstance(message, KafkaRequest):
                return isinstance(message.body, LeaderAndIsrRequest)
            return isinstance(message, GetDataResponse) and b'"leader"' in message.data
        case _:
            return False


def election_events(events: list[TraceEvent]) -> list[TraceEvent]:
    """The failover's events worth drawing: the crash, the watch, the state znode read and
    written, the LeaderAndIsr requests."""
    return [event for event in events if _in_election(event)]


def _line(event: TraceEvent) -> str | None:
    match event:
        case Crashed(time_ms=t, node_id=node):
            return f"{t:>6} ms  {node} crashes"
        case Delivered(time_ms=t, receiver=to, message=WatchEvent()):
            return f"{t:>6} ms  {to}, the controller: watch fired on /brokers/ids"
        case Delivered(time_ms=t, receiver=to, message=GetDataResponse(data=data)):
            return f"{t:>6} ms  {to} reads the state znode: {data.decode()}"
        case Delivered(time_ms=t, sender=by, message=SetDataRequest(data=data)):
            return f"{t:>6} ms  {by} writes the state znode: {data.decode()}"
        case Sent(time_ms=t, receiver=to, message=KafkaRequest(body=LeaderAndIsrRequest() as r)):
            ((_, state),) = list(r.partition_states())
            return (
                f"{t:>6} ms  LeaderAndIsr to {to}: leader {state.leader}, "
                f"leader epoch {state.leader_epoch}, ISR {list(state.isr)}"
            )
        case _:
            return None


def main() -> None:
    bench, events, before, after = fail_the_leader()
    print("before:")
    print("\n".join(line.replace("\t", "  ").rstrip() for line in before))
    print(f"controller: broker {bench.cluster.controller_id()}")
    print("the failover:")
    for event in election_events(events):
        line = _line(event)
        if line is not None:
            print(line)
    print("after:")
    print("\n".join(line.replace("\t", "  ").rstrip() for line in after))
    print(f"invariants broken: {', '.join(sorted(bench.violations)) or 'none'}")


if __name__ == "__main__":
    main()
