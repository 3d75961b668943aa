"""Point-to-point and publish-subscribe, both with Kafka's one idea: the consumer group.

The course introduces two models of a message queue: *point-to-point*, where each message goes to
one consumer, and *publish-subscribe*, where every subscriber gets every message.  Kafka has one
mechanism for both.  Within a group, each partition is read by exactly one member, so the members
share the messages: point-to-point.  Across groups nothing is shared, each group keeps its own
committed offsets, so every group gets every message: publish-subscribe.

This script writes six records over the three partitions of ``orders``, lets group ``billing``
(consumers ``c1`` and ``c2``) read them, then adds group ``shipping`` (consumer ``c3``), and
prints what each consumer processed.

Run: ``python -m tutorials.ch08_consumer_groups_and_rebalancing.two_models``

Spec IDs: none (tutorial output).

Simplified from Kafka: nothing; ``kafka-console-consumer --group`` run twice shows the same.
"""

from __future__ import annotations

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab

__all__ = ["main"]


def main() -> None:
    lab = GroupLab(seed=8)
    lab.start()
    print("point-to-point: one group, two members")
    lab.add_consumer("c1", "billing")
    lab.add_consumer("c2", "billing")
    lab.work_until_quiet(["c1", "c2"])  # both join and share the partitions
    written = lab.produce(6)
    print("  the producer wrote:", " ".join(f"orders-{p}@{o}={v}" for p, o, v in written))
    lab.work_until_quiet(["c1", "c2"])
    for name in ("c1", "c2"):
        print(f"  billing  {name} owns {' '.join(lab.assignment(name))}")
        print(f"           {name} processed {' '.join(lab.processed(name))}")
    shared = sorted(set(lab.processed("c1")) & set(lab.processed("c2")))
    total = len(lab.processed("c1")) + len(lab.processed("c2"))
    print(f"  records processed by both members: {len(shared)}; by the group: {total} of 6")

    print("\npublish-subscribe: a second group reads the same topic")
    lab.add_consumer("c3", "shipping")
    lab.work_until_quiet(["c1", "c2", "c3"])
    print(f"  shipping c3 owns {' '.join(lab.assignment('c3'))}")
    print(f"           c3 processed {' '.join(lab.processed('c3'))}")
    for group in ("billing", "shipping"):
        view = lab.group_view(group)
        assert view is not None
        offsets = " ".join(f"{t}-{p}:{o}" for (t, p), o in view.offsets)
        print(
            f"  group {group:<8} committed {offsets}  (coordinator broker "
            f"{lab.coordinator_id(group)})"
        )


if __name__ == "__main__":
    main()
