"""The high watermark: how much of the leader's log a consumer may read.

Run from the repository root::

    python -m tutorials.ch04_replication_and_acks.high_watermark

The leader appends m2 (``acks=1``) while its followers' copies are still on the way.  Its log
end offset (LEO) is now 2, but its high watermark (HW) stays at 1 until every ISR member has
fetched m2: a consumer reading at that moment gets m1 only.  Once the followers have fetched and
asked for more, the leader moves its HW to 2, and the same read returns m1 and m2.  The followers
learn the new HW from their next fetch response, one round trip later.

Each step is one message delivered by hand (the simulator's controlled mode), so the in-between
states can be printed.

Spec IDs: REPL-6 (consistent reads), REPL-9 (watermark sanity), checked after every step.

Simplified from Kafka: Kafka's consumer reads with ``isolation.level=read_uncommitted`` up to
the HW exactly like this; transactions add the last stable offset, which glasskafka has not yet.
"""

from __future__ import annotations

from glasskafka.protocol.messages.fetch import FetchRequest, FetchResponse
from glasskafka.protocol.messages.produce import ProduceRequest
from glasskafka.sim.kafka_snapshot import Acks

from model_tests.replication_bench import ReplicationConfig
from model_tests.replication_script import (
    AwaitAcked,
    Consume,
    Deliver,
    Produce,
    RunFor,
    Scenario,
    play,
)
from tutorials.ch04_replication_and_acks.common import tell

__all__ = ["WATERMARKS", "main"]

WATERMARKS = Scenario(
    name="watermarks",
    title="LEO, HW and what a consumer sees",
    config=ReplicationConfig(acks=(Acks.ALL, Acks.ONE)),
    flag=None,
    breaks=(),
    steps=(
        ("m1 is written with acks=all", Produce()),
        ("m1 is committed; every replica has HW 1", AwaitAcked(record="m1")),
        ("the followers learn HW 1", RunFor(ms=600)),
        ("m2 is written with acks=1", Produce(acks=Acks.ONE)),
        ("the leader appends m2: LEO 2, HW still 1", Deliver(body=ProduceRequest, to=1)),
        ("a consumer asks the leader for everything", Consume(deadline_ms=0)),
        ("the leader answers with what is below its HW", Deliver(body=FetchRequest, to=1)),
        ("the consumer gets m1 only", Deliver(body=FetchResponse, to=0)),
        ("broker 2 receives m2", Deliver(body=FetchResponse, to=2)),
        ("broker 3 receives m2", Deliver(body=FetchResponse, to=3)),
        ("both fetch again from offset 2: the leader's HW moves to 2", RunFor(ms=10)),
        ("the consumer asks again", Consume()),
        ("the followers learn HW 2", RunFor(ms=600)),
    ),
)


def main() -> None:
    replay = play(WATERMARKS, flag_on=False)
    tell(replay, show=(8, 10, 12, 13))
    print(f"invariants broken: {', '.join(sorted(replay.violations)) or 'none'}")


if __name__ == "__main__":
    main()
