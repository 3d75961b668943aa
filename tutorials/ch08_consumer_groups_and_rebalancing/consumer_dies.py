"""A consumer dies: its session times out, and the survivor takes over from the committed offsets.

``c1`` and ``c2`` share ``orders`` in group ``billing`` and commit after processing.  Then ``c2``'s
process is killed: no LeaveGroup, no last commit, its heartbeats simply stop.  The coordinator
waits ``session.timeout.ms`` (6 s here; Kafka's default is 45 s since 3.0, KIP-735) after the last
heartbeat, removes ``c2`` and rebalances; ``c1`` rejoins on its next ``poll()``, is given every
partition, and resumes each one it takes over at the offset ``c2`` last committed -- so what
``c2`` processed but had not committed is processed again (at least once), and nothing is lost.

Run: ``python -m tutorials.ch08_consumer_groups_and_rebalancing.consumer_dies``

Spec IDs: DELIV-19 (at least once across the crash), judged by the history checker at the end.

Simplified from Kafka: nothing in the protocol; a real consumer's death is a process exit.
"""

from __future__ import annotations

from glasskafka.history import check_history
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.group_membership import HeartbeatRequest
from glasskafka.sim import Delivered

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab, show_records

__all__ = ["last_heartbeat_ms", "main"]


def last_heartbeat_ms(lab: GroupLab, name: str) -> int:
    """When the last Heartbeat request of consumer ``name`` reached a broker."""
    return max(
        int(e.time_ms)
        for e in lab.cluster.sim.trace.events
        if isinstance(e, Delivered)
        and e.sender == name
        and isinstance(e.message, KafkaRequest)
        and isinstance(e.message.body, HeartbeatRequest)
    )


def main() -> None:
    lab = GroupLab(seed=8)
    lab.start()
    lab.add_consumer("c1", "billing")
    lab.add_consumer("c2", "billing")
    lab.work_until_quiet(["c1", "c2"])
    lab.produce(6)
    lab.work_until_quiet(["c1", "c2"])
    print(f"c1 owns {' '.join(lab.assignment('c1'))}; c2 owns {' '.join(lab.assignment('c2'))}")
    view = lab.group_view("billing")
    assert view is not None
    print(f"committed: {' '.join(f'{t}-{p}:{o}' for (t, p), o in view.offsets)}")

    lab.produce(3, partition=2)
    records = lab.poll("c2")
    lab.process("c2", records)
    print(
        f"\nc2 polls {show_records(records)}, processes it and dies before committing, "
        f"at {lab.now_ms} ms"
    )
    lab.crash("c2")
    before = len(lab.transitions)
    lab.advance(8000)  # c1's heartbeats go on; c2's session runs out
    print(f"c2's last heartbeat reached the coordinator at {last_heartbeat_ms(lab, 'c2')} ms")
    print("\n".join(lab.transition_lines(since=before)))
    expired = len(lab.transitions)
    lab.work_until_quiet(["c1"])  # c1 rejoins in its next poll()
    print("\n".join(lab.transition_lines(since=expired)))
    print(f"c1 owns {' '.join(lab.assignment('c1'))}")
    print(
        "c1 processed of orders-2, after the crash: "
        + " ".join(r for r in lab.processed("c1") if r.startswith("orders-2"))
    )
    report = check_history(lab.recording.history())
    print(f"history checker: {report.verdict.value}")


if __name__ == "__main__":
    main()
