"""When the ISR shrinks below min.insync.replicas, acks=all writes are refused.

Run from the repository root::

    python -m tutorials.ch04_replication_and_acks.not_enough_replicas

Three replicas, ``min.insync.replicas=2``, ``replica.lag.time.max.ms`` shortened to 2 seconds.
Both followers are cut off.  The leader goes on accepting writes for a while -- a follower
leaves the ISR only after lagging for the lag time -- and then:

* m1, accepted while the ISR still had three members, is answered
  ``NOT_ENOUGH_REPLICAS_AFTER_APPEND`` (20): the HW passed it with an ISR of one, and the record
  stays in the log;
* m2, sent once the ISR is down to the leader, is refused at once with ``NOT_ENOUGH_REPLICAS``
  (19) and never written;
* m3 with ``acks=1`` is written and acknowledged: min.insync.replicas only guards acks=all;
* once the followers are back and in the ISR again, m4 with ``acks=all`` is acknowledged.

Spec IDs: REPL-16 (the minISR gate), checked after every step.

Simplified from Kafka: Kafka's default lag time is 30 seconds; the answers are the same.
"""

from __future__ import annotations

from glasskafka.sim.kafka_snapshot import Acks

from model_tests.replication_bench import ReplicationConfig
from model_tests.replication_script import (
    AwaitAcked,
    Heal,
    Isolate,
    Produce,
    RunFor,
    Scenario,
    play,
)
from tutorials.ch04_replication_and_acks.common import tell

__all__ = ["SHRINKING_ISR", "main"]

SHRINKING_ISR = Scenario(
    name="shrinking ISR",
    title="three replicas, min.insync.replicas=2, both followers cut off",
    config=ReplicationConfig(acks=(Acks.ALL, Acks.ONE)),
    flag=None,
    breaks=(),
    steps=(
        ("the followers are cut off", Isolate(brokers=(2, 3))),
        ("m1 is written with acks=all", Produce()),
        ("the ISR shrinks to {1}; m1 is answered", AwaitAcked(record="m1")),
        ("m2 is written with acks=all", Produce()),
        ("m2 is answered", AwaitAcked(record="m2")),
        ("m3 is written with acks=1", Produce(acks=Acks.ONE)),
        ("m3 is answered", AwaitAcked(record="m3")),
        ("the followers come back", Heal()),
        ("they catch up and rejoin the ISR", RunFor(ms=3_000)),
        ("m4 is written with acks=all", Produce()),
        ("m4 is answered", AwaitAcked(record="m4")),
    ),
)


def main() -> None:
    replay = play(SHRINKING_ISR, flag_on=False)
    tell(replay, show=(3, 5, 9))
    print(f"invariants broken: {', '.join(sorted(replay.violations)) or 'none'}")


if __name__ == "__main__":
    main()
