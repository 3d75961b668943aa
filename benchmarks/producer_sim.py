"""Producer throughput in the simulator: a batch.size x linger.ms grid, and the cost of idempotence.

What it measures
----------------
An application sends ``--records`` records of 1000 bytes (no key) through glasskafka's real
:class:`~glasskafka.client.ProducerNode` to a topic with one partition on a simulated broker,
``--rate`` records per simulated millisecond (the default, 20 a millisecond, is 20 MB/s), with
``acks=all``.  For each setting of the grid (``batch.size`` x ``linger.ms``) the run reports:

* **simulated throughput**: records divided by the simulated time from the first ``send`` to
  the last acknowledgement -- what a real producer would see if the simulated network and broker
  were real;
* **batches**: how many batches the producer sent (one per partition per ProduceRequest), and the
  mean records per batch -- what ``batch.size`` and ``linger.ms`` are for;
* **wall-clock records/s**: records divided by the seconds the simulation took on this machine --
  what the simulator costs.

Every setting runs twice in the same process, with ``enable.idempotence=true`` (Kafka's default:
InitProducerId, sequence numbers, the broker's duplicate and order checks) and with
``enable.idempotence=false``, and the script prints the ratio true/false of both throughputs.
The non-idempotent run is the peer: the ratio is the price of idempotence, simulated (what a
real producer and broker would pay in the protocol) and in wall-clock time (what glasskafka's
Python pays for the checks).

Each run is timed with ``perf_counter`` from the first ``send`` to the last answer, the best of
``--repeat`` runs being kept.  Run ``python -m benchmarks.producer_sim``; the figures are in
``docs/benchmarks/producer.md``.

Spec IDs: none (performance).

Simplified from Kafka: Kafka's ``kafka-producer-perf-test`` measures a real producer against a
real cluster; glasskafka's ``producer-perf-test`` command does that over sockets.  Here the
network delay is the simulator's (1 to 5 ms per message), the broker does no real disk I/O and
there is one broker, so the simulated figures show the shape of the trade-off, not Kafka's speed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

from glasskafka.client import FutureId, FutureState, ProducerNode, ProducerRecord, producer_config
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Output
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.produce import ProduceRequest
from glasskafka.sim import Delivered, Sent
from glasskafka.sim.kafka_cluster import KafkaCluster

__all__ = ["GRID", "Result", "Setting", "main", "measure", "run_once"]

TOPIC = "perf"
PRODUCER = NodeId("producer-1")
RECORD_BYTES = 1000
BYTES = "org.apache.kafka.common.serialization.ByteArraySerializer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """One point of the grid."""

    batch_size: int
    linger_ms: int


GRID = tuple(
    Setting(batch_size=size, linger_ms=linger)
    for size in (4_096, 16_384, 65_536)
    for linger in (0, 5, 20)
)
"""``batch.size`` 4 KiB, 16 KiB (Kafka's default), 64 KiB by ``linger.ms`` 0 (Kafka's default
before 4.0), 5 (the default since 4.0, KIP-1030) and 20."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One run's figures."""

    records: int
    simulated_ms: int
    batches: int
    wall_seconds: float

    @property
    def simulated_per_second(self) -> float:
        """Records per simulated second."""
        return self.records * 1000 / max(self.simulated_ms, 1)

    @property
    def wall_per_second(self) -> float:
        """Records per second of wall-clock time."""
        return self.records / self.wall_seconds


def _cluster(setting: Setting, *, idempotent: bool, seed: int) -> KafkaCluster:
    cluster = KafkaCluster(brokers=1, seed=seed)
    cluster.start()
    cluster.create_topic(TOPIC, partitions=1, replication_factor=1)
    config = producer_config(
        {
            "bootstrap.servers": "broker-1",
            "value.serializer": BYTES,
            "acks": "all",
            "enable.idempotence": str(idempotent).lower(),
            "batch.size": str(setting.batch_size),
            "linger.ms": str(setting.linger_ms),
        }
    )
    cluster.sim.add_node(PRODUCER, lambda name, disk, rng: ProducerNode(name, config, rng))
    # Let the producer start and learn the topic's leader before the clock starts.
    cluster.sim.call(PRODUCER, lambda node, now: _send(node, now, 1, []), kind=ProducerNode)
    cluster.run_for(1_000)
    return cluster


def _send(node: ProducerNode, now_ms: Millis, count: int, futures: list[FutureId]) -> list[Output]:
    """Call ``send`` ``count`` times now, as the application's loop would."""
    outputs: list[Output] = []
    value = bytes(RECORD_BYTES)
    for _ in range(count):
        future, sent = node.send(ProducerRecord(topic=TOPIC, value=value), now_ms=now_ms)
        futures.append(future)
        outputs += sent
    return outputs


def _batches(cluster: KafkaCluster, since: int) -> int:
    count = 0
    for event in cluster.sim.trace.events[since:]:
        message = event.message if isinstance(event, Sent) else None
        if isinstance(message, KafkaRequest) and isinstance(message.body, ProduceRequest):
            count += sum(len(topic.partition_data) for topic in message.body.topic_data)
    return count


def run_once(setting: Setting, *, idempotent: bool, records: int, rate: int, seed: int = 1) -> Run:
    """Send ``records`` records, ``rate`` per simulated ms; return the run's figures.

    Raises ``AssertionError`` if a record fails or the run does not finish.
    """
    cluster = _cluster(setting, idempotent=idempotent, seed=seed)
    node = cluster.sim.node_as(PRODUCER, ProducerNode)
    futures: list[FutureId] = []
    since, started_ms = len(cluster.sim.trace.events), cluster.now_ms
    started = time.perf_counter()
    while len(futures) < records:
        count = min(rate, records - len(futures))

        def send_burst(n: ProducerNode, now: Millis, count: int = count) -> list[Output]:
            return _send(n, now, count, futures)

        cluster.sim.call(PRODUCER, send_burst, kind=ProducerNode)
        cluster.run_for(1)
    # One partition: records complete in send order, so the last one's answer ends the run.
    # (A predicate over every future would cost as much as the simulation it measures.)
    last = futures[-1]
    done = cluster.run_until(
        lambda: node.future(last).state is not FutureState.PENDING,
        deadline_ms=cluster.now_ms + 120_000,
    )
    wall_seconds = time.perf_counter() - started
    assert done, f"{setting}: the producer did not finish"
    failed = [f for f in futures if node.future(f).state is not FutureState.SUCCEEDED]
    assert not failed, f"{setting}: {len(failed)} records failed"
    last_ms = max(_acknowledged_at(cluster, since), started_ms)
    return Run(
        records=records,
        simulated_ms=last_ms - started_ms,
        batches=_batches(cluster, since),
        wall_seconds=wall_seconds,
    )


def _acknowledged_at(cluster: KafkaCluster, since: int) -> int:
    """The simulated time the producer received its last message (its last answer)."""
    return max(
        (
            event.time_ms
            for event in cluster.sim.trace.events[since:]
            if isinstance(event, Delivered) and event.receiver == PRODUCER
        ),
        default=0,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """The best of the repeats of one setting, with and without idempotence."""

    setting: Setting
    idempotent: Run
    plain: Run

    @property
    def simulated_ratio(self) -> float:
        """Simulated throughput with idempotence over without."""
        return self.idempotent.simulated_per_second / self.plain.simulated_per_second

    @property
    def wall_ratio(self) -> float:
        """Wall-clock records/s with idempotence over without."""
        return self.idempotent.wall_per_second / self.plain.wall_per_second


def _best(runs: Sequence[Run]) -> Run:
    """The run least disturbed by the machine: the fastest in wall-clock time (simulated
    figures are the same in every repeat, since the simulation is deterministic)."""
    return min(runs, key=lambda run: run.wall_seconds)


def measure(
    settings: Sequence[Setting], *, records: int, rate: int, repeat: int = 3
) -> list[Result]:
    """Run every setting ``repeat`` times each way, alternating; keep the best of each."""
    results = []
    for setting in settings:
        idempotent: list[Run] = []
        plain: list[Run] = []
        for _ in range(repeat):
            idempotent.append(run_once(setting, idempotent=True, records=records, rate=rate))
            plain.append(run_once(setting, idempotent=False, records=records, rate=rate))
        results.append(Result(setting=setting, idempotent=_best(idempotent), plain=_best(plain)))
    return results


HEADER = (
    f"{'batch.size':>10} {'linger.ms':>9} {'idempotence':>11} {'sim ms':>7} "
    f"{'sim records/s':>13} {'batches':>7} {'rec/batch':>9} {'wall records/s':>14}"
)


def _line(setting: Setting, run: Run, idempotent: bool) -> str:
    return (
        f"{setting.batch_size:>10} {setting.linger_ms:>9} {str(idempotent).lower():>11} "
        f"{run.simulated_ms:>7} {run.simulated_per_second:>13,.0f} {run.batches:>7} "
        f"{run.records / max(run.batches, 1):>9.1f} {run.wall_per_second:>14,.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=5_000, help="records per run")
    parser.add_argument("--rate", type=int, default=20, help="records sent per simulated ms")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--quick", action="store_true", help="two settings instead of the grid")
    args = parser.parse_args(argv)
    if args.records < 1 or args.rate < 1 or args.repeat < 1:
        parser.error("--records, --rate and --repeat must be 1 or more")
    settings = (GRID[0], GRID[4]) if args.quick else GRID
    results = measure(settings, records=args.records, rate=args.rate, repeat=args.repeat)
    print(
        f"records per run: {args.records:,} of {RECORD_BYTES} bytes, {args.rate} per ms, acks=all"
    )
    print(HEADER)
    for result in results:
        print(_line(result.setting, result.idempotent, True))
        print(_line(result.setting, result.plain, False))
    print("ratio idempotence true/false:")
    for result in results:
        print(
            f"  batch.size {result.setting.batch_size:>6}, "
            f"linger.ms {result.setting.linger_ms:>2}: "
            f"simulated {result.simulated_ratio:.2f}, wall-clock {result.wall_ratio:.2f}"
        )
    wall = [r.wall_ratio for r in results]
    simulated = [r.simulated_ratio for r in results]
    print(
        f"mean ratio: simulated {sum(simulated) / len(simulated):.2f}, "
        f"wall-clock {sum(wall) / len(wall):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
