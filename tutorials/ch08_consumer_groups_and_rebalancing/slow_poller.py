"""A slow poller: processing that outlasts ``max.poll.interval.ms`` costs the member its place.

Heartbeats prove that a consumer's *process* is alive; they do not prove that its application is
making progress.  Since KIP-62 (Kafka 0.10.1) the consumer also promises to call ``poll()`` at
least every ``max.poll.interval.ms``; when the application takes longer, the consumer itself
sends LeaveGroup, and the group rebalances without it.  The member's later ``commit_sync()`` is
refused (Kafka's ``CommitFailedException``), because the partitions it would commit may already
belong to someone else; its next ``poll()`` rejoins the group, and another rebalance follows.

Here ``c2`` (``max.poll.interval.ms=10000``) polls a batch and takes 15 s to process it, while
``c1`` keeps polling.

Run: ``python -m tutorials.ch08_consumer_groups_and_rebalancing.slow_poller``

Spec IDs: GROUP-3 (a commit of an old generation is refused) is the rule behind the refusal.

Simplified from Kafka: nothing in the behaviour; Kafka's default ``max.poll.interval.ms`` is 300 s.
"""

from __future__ import annotations

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab, show_records
from tutorials.ch08_consumer_groups_and_rebalancing.exchange import group_exchange

__all__ = ["main"]


def main() -> None:
    lab = GroupLab(seed=8)
    lab.start()
    lab.add_consumer("c1", "billing")
    lab.add_consumer("c2", "billing", properties={"max.poll.interval.ms": "10000"})
    lab.work_until_quiet(["c1", "c2"])
    lab.produce(3, partition=2)
    print(f"c1 owns {' '.join(lab.assignment('c1'))}; c2 owns {' '.join(lab.assignment('c2'))}")
    records = lab.poll("c2")
    started, before = lab.now_ms, len(lab.transitions)
    print(f"{started} ms: c2 polls {show_records(records)} and starts a 15 s job")
    while lab.now_ms < started + 15_000:
        lab.work("c1")  # c1 goes on polling (each poll waits up to 1 s)
    lab.process("c2", records)
    print(f"{lab.now_ms} ms: c2 has processed them; what the coordinator saw meanwhile:")
    print(
        "\n".join(group_exchange(lab.cluster.sim.trace.events, since_ms=started, heartbeats=False))
    )
    print("\n".join(lab.transition_lines(since=before)))
    print(f"c1 owns {' '.join(lab.assignment('c1'))}")
    print(f"c2's commit_sync(): {lab.commit('c2')}")
    rejoin = len(lab.transitions)
    lab.work_until_quiet(["c1", "c2"])
    print("c2 polls again and rejoins:")
    print("\n".join(lab.transition_lines(since=rejoin)))
    print(f"c1 owns {' '.join(lab.assignment('c1'))}; c2 owns {' '.join(lab.assignment('c2'))}")
    print(
        f"orders-2 processed by c1: "
        f"{' '.join(r for r in lab.processed('c1') if r.startswith('orders-2'))}"
    )


if __name__ == "__main__":
    main()
