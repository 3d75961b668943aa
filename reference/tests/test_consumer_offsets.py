"""Positions and commits: where a consumer reads, what it commits and when (simulated, fake broker).

Covers ``poll`` against the fetch settings, ``auto.offset.reset``, ``seek*``/``position``,
``commit_sync``/``commit_async``/``committed``, auto-commit's timing (positions of *earlier*
polls, during later polls), and the changed behaviour of the two consumer bug flags.
"""

from __future__ import annotations

import pytest
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import (
    CommitEvent,
    CommitFailedError,
    CommitMode,
    CommitResult,
    CommittedResult,
    NoOffsetForPartitionError,
    PollResult,
)
from glasskafka.config import config_from_properties
from glasskafka.errors import ErrorCode
from glasskafka.ids import Millis, NodeId, PartitionId, TopicName, TopicPartition
from glasskafka.node import Message, Output, Send
from glasskafka.protocol.envelope import KafkaRequest, answer
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetCommitResponse,
    OffsetCommitResponsePartition,
    OffsetCommitResponseTopic,
)
from glasskafka.protocol.messages.fetch import FetchRequest
from glasskafka.sim import Sent, Simulator

from model_tests.test_consumer_harness import BROKER, FakeBroker, blocking

C1, C2 = NodeId("c1"), NodeId("c2")
T0: TopicPartition = (TopicName("orders"), PartitionId(0))


def world(
    bugs: BugFlags = NO_BUGS,
    records: int = 10,
    broker_kind: type[FakeBroker] = FakeBroker,
    **overrides: str,
) -> Simulator:
    """One partition with ``records`` records (one per batch), and consumer ``c1``."""
    properties = {
        "group.id": "g",
        "auto.offset.reset": "earliest",
        "session.timeout.ms": "10000",
        "heartbeat.interval.ms": "1000",
        "auto.commit.interval.ms": "1000",
    } | {k.replace("_", "."): v for k, v in overrides.items()}
    config = config_from_properties(ConsumerConfig, properties)
    sim = Simulator(seed=3)
    sim.add_node(BROKER, lambda n, d, rng: broker_kind(n, topics={"orders": 1}, rng=rng))
    for member in (C1, C2):
        sim.add_node(
            member,
            lambda n, d, rng: ConsumerNode(
                n, config=config, rng=rng, bugs=bugs, record_history=True
            ),
        )
    broker = sim.node_as(BROKER, FakeBroker)
    for index in range(records):
        broker.produce("orders", 0, [(f"k{index}".encode(), f"v{index}".encode())])
    return sim


def subscribe(sim: Simulator, member: NodeId = C1) -> None:
    sim.call(member, lambda c, now: c.subscribe(["orders"], now), kind=ConsumerNode)


def poll(sim: Simulator, member: NodeId = C1, timeout_ms: int = 1000) -> list[int]:
    result = blocking(sim, member, lambda c, now: c.poll(timeout_ms, now))
    assert isinstance(result, PollResult)
    return [r.offset for r in result.records]


def committed_at_broker(sim: Simulator) -> int | None:
    view = sim.node_as(BROKER, FakeBroker).coordinator.group("g")
    offsets = dict(view.offsets) if view is not None else {}
    return offsets.get(T0)


def commits(sim: Simulator, member: NodeId = C1) -> list[tuple[CommitMode, int, ErrorCode]]:
    history = sim.node_as(member, ConsumerNode).history or []
    return [
        (e.mode, e.offsets[0][1], e.error)
        for e in history
        if isinstance(e, CommitEvent) and e.offsets
    ]


def test_poll_returns_at_most_max_poll_records_in_order() -> None:
    sim = world(max_poll_records="4")
    subscribe(sim)
    assert poll(sim) == [0, 1, 2, 3]
    assert poll(sim) == [4, 5, 6, 7]
    assert poll(sim) == [8, 9]
    assert poll(sim, timeout_ms=300) == []  # nothing more: empty at the timeout
    assert sim.node_as(C1, ConsumerNode).position(T0) == 10


def test_fetches_carry_the_fetch_settings() -> None:
    sim = world(
        fetch_min_bytes="7",
        fetch_max_wait_ms="250",
        fetch_max_bytes="9000",
        max_partition_fetch_bytes="100",
    )
    subscribe(sim)
    assert poll(sim)
    fetches = [
        e.message.body
        for e in sim.trace.events
        if isinstance(e, Sent)
        and isinstance(e.message, KafkaRequest)
        and isinstance(e.message.body, FetchRequest)
    ]
    first = fetches[0]
    assert (first.min_bytes, first.max_wait_ms, first.max_bytes, first.replica_id) == (
        7,
        250,
        9000,
        -1,
    )
    assert first.topics[0].partitions[0].partition_max_bytes == 100
    assert [f.topics[0].partitions[0].fetch_offset for f in fetches[:2]] == [
        0,
        1,
    ]  # 100 bytes: one batch per fetch


@pytest.mark.parametrize(("reset", "first"), [("earliest", [0, 1, 2]), ("latest", [])])
def test_auto_offset_reset_without_a_committed_offset(reset: str, first: list[int]) -> None:
    sim = world(auto_offset_reset=reset, max_poll_records="3")
    subscribe(sim)
    assert poll(sim, timeout_ms=500) == first
    assert sim.node_as(C1, ConsumerNode).position(T0) == (3 if reset == "earliest" else 10)


def test_auto_offset_reset_none_is_an_error_for_the_caller() -> None:
    sim = world(auto_offset_reset="none")
    subscribe(sim)
    with pytest.raises(NoOffsetForPartitionError, match=r"orders-0.*auto\.offset\.reset=none"):
        poll(sim)


def test_seek_seek_to_beginning_and_seek_to_end() -> None:
    sim = world(enable_auto_commit="false", max_poll_records="2")
    sim.call(C1, lambda c, now: c.assign([T0], now), kind=ConsumerNode)
    assert poll(sim) == [0, 1]
    sim.call(C1, lambda c, now: c.seek(T0, 7, now), kind=ConsumerNode)
    assert sim.node_as(C1, ConsumerNode).position(T0) == 7
    assert poll(sim) == [7, 8]
    sim.call(C1, lambda c, now: c.seek_to_beginning([T0], now), kind=ConsumerNode)
    assert sim.node_as(C1, ConsumerNode).position(T0) is None  # looked up at the next poll
    assert poll(sim) == [0, 1]
    sim.call(C1, lambda c, now: c.seek_to_end([T0], now), kind=ConsumerNode)
    assert poll(sim, timeout_ms=300) == []
    assert sim.node_as(C1, ConsumerNode).position(T0) == 10


def test_commit_sync_stores_the_positions_and_a_new_member_resumes_there() -> None:
    sim = world(enable_auto_commit="false", max_poll_records="4")
    subscribe(sim)
    assert poll(sim) == [0, 1, 2, 3]
    result = blocking(sim, C1, lambda c, now: c.commit_sync(now))
    assert isinstance(result, CommitResult) and result.offsets == {T0: 4}
    assert committed_at_broker(sim) == 4
    blocking(sim, C1, lambda c, now: c.close(now))
    subscribe(sim, C2)
    assert poll(sim, C2) == [4, 5, 6, 7]  # the committed offset is the next one to read
    answer = blocking(sim, C2, lambda c, now: c.committed([T0], now))
    assert answer == CommittedResult(offsets={T0: 4})


def test_commit_async_calls_back_with_the_outcome() -> None:
    sim = world(enable_auto_commit="false")
    subscribe(sim)
    poll(sim)
    heard: list[tuple[dict[TopicPartition, int], ErrorCode]] = []
    sim.call(
        C1,
        lambda c, now: c.commit_async(
            now, {T0: 6}, callback=lambda o, e: heard.append((dict(o), e))
        ),
        kind=ConsumerNode,
    )
    assert heard == []  # asynchronous: the answer has not come yet
    sim.run_for(100)
    assert heard == [({T0: 6}, ErrorCode.NONE)]
    assert committed_at_broker(sim) == 6


def test_auto_commit_commits_earlier_polls_during_later_polls() -> None:
    """A poll's records are committed only by a later poll, once they have been processed."""
    sim = world(max_poll_records="3")
    subscribe(sim)
    assert poll(sim) == [0, 1, 2]  # well before auto.commit.interval.ms
    assert committed_at_broker(sim) is None
    sim.run_for(1500)  # processing takes a while; no poll, no commit
    assert committed_at_broker(sim) is None
    assert poll(sim) == [3, 4, 5]
    sim.run_for(50)
    assert committed_at_broker(sim) == 3  # where poll 1 left off, not where poll 2 did
    assert commits(sim)[0] == (CommitMode.AUTO, 3, ErrorCode.NONE)
    blocking(sim, C1, lambda c, now: c.close(now))  # close commits what was processed
    assert committed_at_broker(sim) == 6


def test_bug_auto_commit_current_poll_commits_records_not_yet_processed() -> None:
    sim = world(BugFlags.only("auto_commit_current_poll"), max_poll_records="3")
    subscribe(sim)
    poll(sim)
    sim.run_for(1500)
    assert poll(sim) == [3, 4, 5]
    sim.run_for(50)
    assert committed_at_broker(sim) == 6  # covers 3, 4, 5 before the application saw them


@pytest.mark.parametrize(
    ("flags", "resumes_at"), [(NO_BUGS, 4), (BugFlags.only("resume_after_committed"), 5)]
)
def test_a_new_owner_resumes_at_the_committed_offset(flags: BugFlags, resumes_at: int) -> None:
    sim = world(flags, enable_auto_commit="false", max_poll_records="4")
    subscribe(sim)
    poll(sim)
    blocking(sim, C1, lambda c, now: c.commit_sync(now))
    blocking(sim, C1, lambda c, now: c.close(now))
    subscribe(sim, C2)
    assert poll(sim, C2)[0] == resumes_at  # with the flag, offset 4 is skipped for good


def test_a_stale_member_cannot_commit_after_a_rebalance() -> None:
    """After c1 was pushed out (no poll for max.poll.interval.ms), its commit is refused."""
    sim = world(enable_auto_commit="false", max_poll_interval_ms="6000", max_poll_records="2")
    subscribe(sim)
    poll(sim)
    sim.run_for(7000)  # c1's application is stuck: c1 leaves the group
    before = sim.now_ms
    # Kafka fails the commit at once (sendOffsetCommitRequest: no stable generation), rather
    # than retrying until the timeout.
    with pytest.raises(CommitFailedError, match="REBALANCE_IN_PROGRESS"):
        blocking(sim, C1, lambda c, now: c.commit_sync(now, timeout_ms=60_000), within_ms=1000)
    assert sim.now_ms - before < 1000
    assert committed_at_broker(sim) is None


def test_commit_sync_with_nothing_to_commit_returns_at_once() -> None:
    """commitOffsetsSync returns at once for no offsets, before looking for a coordinator."""
    sim = world(enable_auto_commit="false")
    subscribe(sim)
    result = blocking(sim, C1, lambda c, now: c.commit_sync(now, offsets={}), within_ms=1)
    assert isinstance(result, CommitResult) and result.offsets == {}


class LoadingBroker(FakeBroker):
    """Answers the first OffsetCommit COORDINATOR_LOAD_IN_PROGRESS, as a coordinator still
    loading its offsets partition does; then behaves."""

    refused = 0

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        body = message.body if isinstance(message, KafkaRequest) else None
        first = self.refused == 0
        if first and isinstance(message, KafkaRequest) and isinstance(body, OffsetCommitRequest):
            self.refused += 1
            return [Send(to=sender, message=answer(message, _refusal(body)))]
        return super().on_message(sender, message, now_ms)


def _refusal(body: OffsetCommitRequest) -> OffsetCommitResponse:
    code = int(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    return OffsetCommitResponse(
        topics=tuple(
            OffsetCommitResponseTopic(
                name=t.name,
                partitions=tuple(
                    OffsetCommitResponsePartition(
                        partition_index=p.partition_index, error_code=code
                    )
                    for p in t.partitions
                ),
            )
            for t in body.topics
        )
    )


def test_close_retries_an_auto_commit_that_met_a_retriable_error() -> None:
    """KafkaConsumer.close commits synchronously, retrying a retriable error until its timeout
    (maybeAutoCommitOffsetsSync), so the positions are not lost."""
    sim = world(broker_kind=LoadingBroker, auto_commit_interval_ms="600000")
    subscribe(sim)
    read = poll(sim)
    assert read
    blocking(sim, C1, lambda c, now: c.close(now, timeout_ms=10_000))
    assert sim.node_as(BROKER, LoadingBroker).refused == 1
    assert committed_at_broker(sim) == read[-1] + 1
    errors = [error for _, _, error in commits(sim)]
    assert errors == [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NONE]
