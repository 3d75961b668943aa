"""The second consumer joins: one JoinGroup/SyncGroup round, printed message by message.

``c1`` starts alone in group ``billing``, joins and is given every partition of ``orders``
(generation 1).  Then ``c2`` starts.  Its JoinGroup makes the coordinator rebalance the group:
``c1`` hears of it in a heartbeat answer (``REBALANCE_IN_PROGRESS``) and rejoins on its next
``poll()``; when both have joined, the coordinator answers their JoinGroups (generation 2, ``c1``
still the leader, with both subscriptions), the leader runs the ``range`` assignor and sends the
plan in its SyncGroup, and each member gets its share in the SyncGroup answer.  The script prints
the group's state changes as the coordinator made them, and the messages of the second round.

Run: ``python -m tutorials.ch08_consumer_groups_and_rebalancing.second_consumer``

Spec IDs: GROUP-1 (one generation per join phase) and GROUP-4 (the transition table) are what
the printed transitions show.

Simplified from Kafka: the first join has no ``group.initial.rebalance.delay.ms`` wait (Kafka's
default is 3 s, KIP-134); eager rebalancing, as with Kafka's ``range`` assignor.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab
from tutorials.ch08_consumer_groups_and_rebalancing.exchange import group_exchange

__all__ = ["SecondJoin", "main", "second_join"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SecondJoin:
    """The run, and where its second rebalance starts (in time and in transitions)."""

    lab: GroupLab
    joined_ms: int
    transitions_before: int


def second_join() -> SecondJoin:
    """``c1`` alone reads three records; then ``c2`` joins, and the two share three more."""
    lab = GroupLab(seed=8)
    lab.start()
    lab.add_consumer("c1", "billing")
    lab.produce(3)
    lab.work_until_quiet(["c1"])
    joined_ms, before = lab.now_ms, len(lab.transitions)
    lab.add_consumer("c2", "billing")
    lab.work_until_quiet(["c1", "c2"])
    lab.produce(3)
    lab.work_until_quiet(["c1", "c2"])
    return SecondJoin(lab=lab, joined_ms=joined_ms, transitions_before=before)


def main() -> None:
    run = second_join()
    lab = run.lab
    print(f"group billing is coordinated by broker {lab.coordinator_id('billing')}")
    print("c1 joins alone:")
    print("\n".join(lab.transition_lines()[: run.transitions_before]))
    print(f"\nc2 starts at {run.joined_ms} ms; the messages of the rebalance:")
    trace = lab.cluster.sim.trace.events
    print("\n".join(group_exchange(trace, since_ms=run.joined_ms, heartbeats=False)))
    print("\nthe group's state changes:")
    print("\n".join(lab.transition_lines(since=run.transitions_before)))
    view = lab.group_view("billing")
    assert view is not None
    print(
        f"\nnow: {view.state.value}, generation {view.generation_id}, {len(view.members)} members"
    )
    for name in ("c1", "c2"):
        print(
            f"  {name} owns {' '.join(lab.assignment(name))}; "
            f"processed {' '.join(lab.processed(name))}"
        )


if __name__ == "__main__":
    main()
