"""OffsetCommit and OffsetFetch: the generation fence, durability, and the error mapping (§10.3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from glasskafka.bugs import BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.group import GroupState
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetCommitResponse,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
    OffsetFetchResponse,
)
from glasskafka.protocol.messages.group_membership import JoinGroupResponse, SyncGroupResponse

from model_tests.test_group_harness import CoordinatorHarness


@pytest.fixture
def harness() -> Iterator[CoordinatorHarness]:
    h = CoordinatorHarness.started()
    yield h
    assert h.unread() == [], f"responses nobody checked: {h.unread()}"


def commit_body(
    member_id: str,
    generation: int,
    offset: int = 5,
    *,
    metadata: str | None = "m",
    topic: str = "t",
) -> OffsetCommitRequest:
    partition = OffsetCommitRequestPartition(
        partition_index=0, committed_offset=offset, committed_metadata=metadata
    )
    return OffsetCommitRequest(
        group_id="g",
        generation_id=generation,
        member_id=member_id,
        topics=(OffsetCommitRequestTopic(name=topic, partitions=(partition,)),),
    )


def commit(h: CoordinatorHarness, client: str, body: OffsetCommitRequest) -> ErrorCode:
    """Send a commit, complete its append if there is one, and return the partition's error."""
    h.send(client, body)
    if not h.unread(client):
        h.complete()
    answer = h.take(client, OffsetCommitResponse)
    assert isinstance(answer, OffsetCommitResponse)
    (topic,) = answer.topics
    (partition,) = topic.partitions
    return ErrorCode(partition.error_code)


def fetched(
    h: CoordinatorHarness, topics: tuple[OffsetFetchRequestTopic, ...] | None = None
) -> dict[tuple[str, int], tuple[int, str | None]]:
    h.send("admin", OffsetFetchRequest(group_id="g", topics=topics))
    answer = h.take("admin", OffsetFetchResponse)
    assert isinstance(answer, OffsetFetchResponse) and answer.error_code == ErrorCode.NONE
    return {
        (t.name, p.partition_index): (p.committed_offset, p.metadata)
        for t in answer.topics
        for p in t.partitions
    }


def generation_one(h: CoordinatorHarness, *clients: str) -> list[str]:
    """``clients`` form generation 1 (the first leads); returns their member ids."""
    for client in clients:
        h.join(client)
    h.advance(0)
    answers = [h.take(c, JoinGroupResponse) for c in clients]
    ids = [a.member_id for a in answers]
    for client, member in zip(clients[1:], ids[1:], strict=True):
        h.sync(client, member, 1)
    h.sync(clients[0], ids[0], 1, **{m: b"" for m in ids})
    h.complete_all()
    for client in clients:
        h.take(client, SyncGroupResponse)
    return ids


def test_a_member_of_the_current_generation_commits(harness: CoordinatorHarness) -> None:
    (one,) = generation_one(harness, "c1")
    harness.send("c1", commit_body(one, 1, 42))
    assert harness.unread() == []  # not acknowledged before its record is in the log
    assert fetched(harness) == {}
    harness.complete()
    answer = harness.take("c1", OffsetCommitResponse)
    assert answer.topics[0].partitions[0].error_code == ErrorCode.NONE
    assert fetched(harness) == {("t", 0): (42, "m")}


def test_stale_generation_and_unknown_members_are_fenced(harness: CoordinatorHarness) -> None:
    one, two = generation_one(harness, "c1", "c2")
    harness.join("c2", two)  # c2 changes nothing, so it just gets generation 1 again
    harness.take("c2", JoinGroupResponse)
    harness.join("c1", one)  # the leader rejoins: a rebalance
    harness.join("c2", two)
    harness.advance(0)
    assert {harness.take(c, JoinGroupResponse).generation_id for c in ("c1", "c2")} == {2}
    assert commit(harness, "c2", commit_body(two, 1)) is ErrorCode.ILLEGAL_GENERATION
    assert commit(harness, "c9", commit_body("ghost", 2)) is ErrorCode.UNKNOWN_MEMBER_ID
    assert commit(harness, "c2", commit_body("", -1)) is ErrorCode.UNKNOWN_MEMBER_ID
    # CompletingRebalance: the member has its generation but not yet its partitions.
    assert commit(harness, "c2", commit_body(two, 2)) is ErrorCode.REBALANCE_IN_PROGRESS
    assert fetched(harness) == {}


def test_commits_are_accepted_while_preparing_a_rebalance(harness: CoordinatorHarness) -> None:
    one, two = generation_one(harness, "c1", "c2")
    harness.join("c3")  # PreparingRebalance: eager members commit before they revoke
    view = harness.coordinator.group("g")
    assert view is not None and view.state is GroupState.PREPARING_REBALANCE
    assert commit(harness, "c2", commit_body(two, 1, 7)) is ErrorCode.NONE
    assert fetched(harness) == {("t", 0): (7, "m")}
    harness.advance(30000)
    harness.take("c3", JoinGroupResponse)
    del one


def test_assign_consumers_commit_with_generation_minus_one(harness: CoordinatorHarness) -> None:
    assert commit(harness, "c1", commit_body("", -1, 3, metadata=None)) is ErrorCode.NONE
    view = harness.coordinator.group("g")
    assert view is not None and view.state is GroupState.EMPTY and view.members == ()
    assert fetched(harness) == {("t", 0): (3, "")}  # null metadata is stored as ""


def test_a_generation_for_an_unknown_group_is_illegal(harness: CoordinatorHarness) -> None:
    assert commit(harness, "c1", commit_body("someone", 4)) is ErrorCode.ILLEGAL_GENERATION
    assert harness.coordinator.group("g") is None


@pytest.mark.parametrize(
    ("log_error", "client_error"),
    [
        (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR),
        (ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE),
        (ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_NOT_AVAILABLE),
        (ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE),
        (ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR),
    ],
)
def test_a_failed_append_maps_to_a_client_error_and_changes_nothing(
    harness: CoordinatorHarness, log_error: ErrorCode, client_error: ErrorCode
) -> None:
    harness.send("c1", commit_body("", -1))
    harness.complete(log_error)
    answer = harness.take("c1", OffsetCommitResponse)
    assert answer.topics[0].partitions[0].error_code == client_error
    assert fetched(harness) == {}


def test_oversized_metadata_and_bad_partitions_are_refused_per_partition(
    harness: CoordinatorHarness,
) -> None:
    big = "x" * 4097
    assert (
        commit(harness, "c1", commit_body("", -1, metadata=big))
        is ErrorCode.OFFSET_METADATA_TOO_LARGE
    )
    assert (
        commit(harness, "c1", commit_body("", -1, topic="bad/name"))
        is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    )
    body = OffsetCommitRequest(
        group_id="g",
        topics=(
            OffsetCommitRequestTopic(
                name="t",
                partitions=(
                    OffsetCommitRequestPartition(
                        partition_index=-1, committed_offset=1, committed_metadata=""
                    ),
                    OffsetCommitRequestPartition(
                        partition_index=1, committed_offset=9, committed_metadata=""
                    ),
                ),
            ),
        ),
    )
    harness.send("c1", body)
    harness.complete()
    answer = harness.take("c1", OffsetCommitResponse)
    assert [p.error_code for p in answer.topics[0].partitions] == [
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.NONE,
    ]
    assert fetched(harness) == {("t", 1): (9, "")}


def test_offset_fetch_answers_minus_one_for_nothing_committed(harness: CoordinatorHarness) -> None:
    assert commit(harness, "c1", commit_body("", -1, 11)) is ErrorCode.NONE
    asked = (
        OffsetFetchRequestTopic(name="t", partition_indexes=(0, 3)),
        OffsetFetchRequestTopic(name="u", partition_indexes=(0,)),
    )
    assert fetched(harness, asked) == {("t", 0): (11, "m"), ("t", 3): (-1, ""), ("u", 0): (-1, "")}


def test_the_stale_generation_bug_flag_lets_a_zombie_commit() -> None:
    h = CoordinatorHarness.started()
    h.coordinator.bugs = BugFlags.only("stale_generation_commit_accepted")
    one, two = generation_one(h, "c1", "c2")
    h.join("c1", one)
    h.join("c2", two)
    h.advance(0)
    h.take("c1", JoinGroupResponse)
    h.take("c2", JoinGroupResponse)
    h.sync("c2", two, 2)
    h.sync("c1", one, 2, **{one: b"", two: b""})
    h.complete_all()
    h.take("c1", SyncGroupResponse)
    h.take("c2", SyncGroupResponse)
    assert commit(h, "c2", commit_body(two, 1, 99)) is ErrorCode.NONE  # generation 1 < 2
    assert fetched(h) == {("t", 0): (99, "m")}
    assert commit(h, "c2", commit_body(two, 3)) is ErrorCode.ILLEGAL_GENERATION  # newer: still no
    assert h.unread() == []
