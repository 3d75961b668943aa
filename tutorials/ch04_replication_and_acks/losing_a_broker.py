"""Lose the leader right after a write: acks=1 loses the record, acks=all does not.

Run from the repository root::

    python -m tutorials.ch04_replication_and_acks.losing_a_broker

Three short stories on a topic with three replicas and ``min.insync.replicas=2``:

1. ``acks=1`` -- the leader appends m2 and answers at once; it crashes before either follower has
   fetched m2; a follower is elected and m2 is gone, although the producer was told it was
   stored (scenario S9 of the replication reference: a loss Kafka permits);
2. the same with ``acks=all`` -- the leader waits for the ISR, so it never answers "stored"; the
   producer gets an error instead and can retry;
3. ``acks=all`` while brokers fail one after the other -- a follower dies, the ISR shrinks to
   two, writing goes on, then the leader dies: the last follower holds every acknowledged record.

Every replication invariant is checked after every step of every story; the script ends by
saying which broke (none may, in any of the three).

Spec IDs: REPL-5 (no loss of acks=all data) is the promise the stories test.

Simplified from Kafka: the producer here is a scripted client that sends one request and does
not retry; Kafka's producer retries ``NETWORK_EXCEPTION`` by itself (``retries``).
"""

from __future__ import annotations

from dataclasses import replace

from glasskafka.sim.kafka_snapshot import Acks

from model_tests.replication_scenarios import S9
from model_tests.replication_script import (
    AwaitAcked,
    AwaitLeader,
    Crash,
    Produce,
    RunFor,
    Scenario,
    Settle,
    Step,
    play,
)
from tutorials.ch04_replication_and_acks.common import tell

__all__ = ["ACKS_ALL_SAME_STORY", "ONE_BROKER_AT_A_TIME", "main"]


def _with_acks_all(step: tuple[str, Step]) -> tuple[str, Step]:
    caption, action = step
    if isinstance(action, Produce) and action.acks is Acks.ONE:
        return caption.replace("acks=1", "acks=all"), replace(action, acks=Acks.ALL)
    return caption.replace(" and answers at once", ", and waits for the ISR"), action


ACKS_ALL_SAME_STORY = replace(
    S9,
    name="acks=all",
    title="the same story with acks=all",
    steps=tuple(_with_acks_all(s) for s in S9.steps),
)

ONE_BROKER_AT_A_TIME = Scenario(
    name="one broker at a time",
    title="acks=all and min.insync.replicas=2 while brokers fail",
    config=S9.config,
    flag=None,
    breaks=(),
    steps=(
        ("m1 is written with acks=all", Produce()),
        ("m1 is acknowledged", AwaitAcked(record="m1")),
        ("broker 3 crashes", Crash(broker=3)),
        ("m2 is written with acks=all", Produce()),
        ("3 falls out of the ISR; m2 is acknowledged by 1 and 2", AwaitAcked(record="m2")),
        ("time passes", RunFor(ms=8_000)),
        ("broker 1, the leader, crashes", Crash(broker=1)),
        ("broker 2 is elected", AwaitLeader(broker=2)),
        ("everyone comes back and catches up", Settle()),
    ),
)


def main() -> None:
    for story in (S9, ACKS_ALL_SAME_STORY, ONE_BROKER_AT_A_TIME):
        title = "acks=1, the leader dies" if story is S9 else story.title
        print(f"== {story.name}: {title} ==")
        replay = play(story, flag_on=False)
        tell(replay, show=(5, 7) if story is not ONE_BROKER_AT_A_TIME else (5, 8, 9))
        broken = ", ".join(sorted(replay.violations)) or "none"
        print(f"invariants broken: {broken}")
        print()


if __name__ == "__main__":
    main()
