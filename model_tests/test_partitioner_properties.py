"""Properties of the partitioners (``reference/clients-and-groups.md`` §8).

Keyed placement is exact (``test_client_murmur2.py`` pins the vectors); here it is checked to be
stable and in range for any key.  Keyless placement is random by design, so it is checked by
properties only, as the reference advises: the partition is always an available one (all of them
if none is), the built-in sticky partitioner stays on a partition until ``batch.size`` bytes went
to it (switching earlier than twice that only when the partition's batch is full, KIP-794),
round robin spreads evenly over the available partitions, and Kafka 3.7's second call on a new
batch makes round robin skip partitions (KAFKA-9965), leaving half of an even number of
partitions empty when every record starts a batch (KAFKA-16283).

Spec IDs: none directly (ORDER-1 holds per partition, so placement decides what is ordered).

Simplified from Kafka: no adaptive partitioning (KIP-794's queue weighting).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter

from glasskafka.client.accumulator import RecordAccumulator
from glasskafka.client.delivery import FutureId
from glasskafka.client.dispatch import Dispatcher, PendingSend
from glasskafka.client.metadata import ClusterView, TopicState
from glasskafka.client.murmur2 import murmur2, to_positive
from glasskafka.client.partitioner import (
    PartitionerKind,
    PartitionerState,
    TopicPartitions,
    keyed_partition,
    random_partition,
)
from glasskafka.client.producer_config import producer_config
from glasskafka.errors import ErrorCode
from glasskafka.ids import TopicName
from glasskafka.records import Record
from hypothesis import given
from hypothesis import strategies as st


@st.composite
def topics(draw: st.DrawFn) -> TopicPartitions:
    """A topic of 1-12 partitions, any of which may lack a leader."""
    count = draw(st.integers(min_value=1, max_value=12))
    available = draw(st.sets(st.integers(min_value=0, max_value=count - 1)))
    return TopicPartitions(topic="t", num_partitions=count, available=tuple(sorted(available)))


@given(key=st.binary(max_size=64), count=st.integers(min_value=1, max_value=1000))
def test_a_key_has_one_partition_in_range(key: bytes, count: int) -> None:
    partition = keyed_partition(key, count)
    assert 0 <= partition < count
    assert partition == keyed_partition(bytes(key), count)  # stable
    assert partition == to_positive(murmur2(key)) % count


@given(topic=topics(), seed=st.integers(min_value=0, max_value=2**32))
def test_keyless_choices_stay_on_available_partitions(topic: TopicPartitions, seed: int) -> None:
    rng = random.Random(seed)
    state = PartitionerState()
    allowed = set(topic.available) or set(range(topic.num_partitions))
    for _ in range(20):
        assert random_partition(topic, rng) in allowed
        assert state.next_round_robin(topic) in allowed
        assert state.sticky_partition(topic, rng) in allowed
        state.update_sticky(topic, appended_bytes=100, batch_size=150, batch_full=True, rng=rng)


@given(
    topic=topics(),
    batch_size=st.integers(min_value=1, max_value=500),
    appends=st.lists(
        st.tuples(st.integers(min_value=1, max_value=300), st.booleans()), max_size=60
    ),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_sticky_switches_only_after_batch_size_bytes(
    topic: TopicPartitions,
    batch_size: int,
    appends: list[tuple[int, bool]],
    seed: int,
) -> None:
    rng = random.Random(seed)
    state = PartitionerState()
    state.sticky_partition(topic, rng)
    for appended, batch_full in appends:
        before = state.sticky["t"]
        produced = before.produced_bytes + appended
        state.update_sticky(
            topic, appended_bytes=appended, batch_size=batch_size, batch_full=batch_full, rng=rng
        )
        after = state.sticky["t"]
        switched = after is not before
        should = (produced >= batch_size and batch_full) or produced >= 2 * batch_size
        assert switched == should, (produced, batch_size, batch_full)
        if switched:
            assert after.produced_bytes == 0


@given(topic=topics(), rounds=st.integers(min_value=1, max_value=5))
def test_round_robin_spreads_evenly_over_the_available_partitions(
    topic: TopicPartitions, rounds: int
) -> None:
    state = PartitionerState()
    candidates = topic.candidates()
    chosen = [state.next_round_robin(topic) for _ in range(rounds * len(candidates))]
    assert chosen == list(candidates) * rounds  # in order, from 0, per topic
    other = TopicPartitions(topic="u", num_partitions=3, available=(0, 1, 2))
    assert state.next_round_robin(other) == 0  # each topic has its own counter


def dispatch_keyless(
    kind: PartitionerKind,
    *,
    count: int,
    records: int,
    batch_size: int,
    seed: int = 0,
) -> list[int]:
    """Admit ``records`` keyless 10-byte records through the real dispatcher; their partitions."""
    config = producer_config({"batch.size": str(batch_size)})
    accumulator = RecordAccumulator(
        batch_size=config.effective_batch_size,
        buffer_memory=2**40,
        linger_ms=0,
        retry_backoff_ms=100,
    )
    metadata = ClusterView(
        brokers=(1,), topics={"t": TopicState(error=ErrorCode.NONE, leaders=(1,) * count)}
    )
    dispatcher = Dispatcher(kind=kind)
    rng = random.Random(seed)
    for index in range(records):
        dispatcher.waiting.append(
            PendingSend(
                future=FutureId(index),
                topic=TopicName("t"),
                partition=None,
                explicit=False,
                record=Record(value=b"0123456789"),
                key_size=-1,
                value_size=10,
                deadline_ms=10**9,
            )
        )
        failed, missing = dispatcher.admit(
            accumulator, metadata, config, rng=rng, custom=None, now_ms=0
        )
        assert not failed and not missing
    return [
        batch.partition
        for batch in sorted(accumulator.batches.values(), key=lambda b: b.batch_id)
        for _ in batch.records
    ]


@given(
    count=st.integers(min_value=1, max_value=8),
    seed=st.integers(min_value=0, max_value=2**32),
    batch_size=st.integers(min_value=100, max_value=400),
)
def test_the_built_in_partitioner_fills_a_batch_before_it_moves(
    count: int, seed: int, batch_size: int
) -> None:
    partitions = dispatch_keyless(
        PartitionerKind.BUILT_IN, count=count, records=60, batch_size=batch_size, seed=seed
    )
    # Records of 10 bytes take 18 bytes in a batch; at least batch.size bytes go to a partition
    # before a switch, so no stretch of one partition is shorter than batch.size / 18 records
    # (except the last, still open).
    runs = [len(list(group)) for _, group in itertools.groupby(partitions)]
    assert all(run * 18 >= batch_size - 61 for run in runs[:-1])


def test_round_robin_skips_partitions_when_records_start_new_batches() -> None:
    # KAFKA-9965: each record needs a new batch, so Kafka 3.7 asks the partitioner twice per
    # record; round robin moves two steps and lands on every other partition only.
    partitions = dispatch_keyless(PartitionerKind.ROUND_ROBIN, count=4, records=8, batch_size=0)
    assert Counter(partitions) == {1: 4, 3: 4}
    # With an odd count the double steps still come round to every partition.
    odd = dispatch_keyless(PartitionerKind.ROUND_ROBIN, count=3, records=6, batch_size=0)
    assert Counter(odd) == {0: 2, 1: 2, 2: 2}


def test_round_robin_uses_half_of_an_even_number_of_partitions() -> None:
    # KAFKA-16283: even when batches have room, the partitions skipped at the start never get a
    # batch, so every record aimed at them starts one and is moved on: only odd partitions fill.
    partitions = dispatch_keyless(
        PartitionerKind.ROUND_ROBIN, count=4, records=40, batch_size=16384
    )
    assert Counter(partitions) == {1: 20, 3: 20}


@given(seed=st.integers(min_value=0, max_value=2**32))
def test_choices_are_deterministic_for_a_seed(seed: int) -> None:
    first = dispatch_keyless(PartitionerKind.RANDOM, count=5, records=20, batch_size=50, seed=seed)
    again = dispatch_keyless(PartitionerKind.RANDOM, count=5, records=20, batch_size=50, seed=seed)
    assert first == again
