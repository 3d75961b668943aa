"""Transcripts of the classic rebalance protocol against one coordinator (§10.1-10.3).

Each test reads as a conversation: who sends what, what time it is, what comes back.  The
``harness`` fixture fails a test that leaves a response unread.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from glasskafka.errors import ErrorCode
from glasskafka.group import GroupState
from glasskafka.protocol.messages.group_membership import (
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    MemberIdentity,
    SyncGroupResponse,
)

from model_tests.test_group_harness import CoordinatorHarness, join_request


@pytest.fixture
def harness() -> Iterator[CoordinatorHarness]:
    h = CoordinatorHarness.started()
    yield h
    assert h.unread() == [], f"responses nobody checked: {h.unread()}"


def joined(h: CoordinatorHarness, client: str) -> JoinGroupResponse:
    answer = h.take(client, JoinGroupResponse)
    assert isinstance(answer, JoinGroupResponse)
    assert answer.error_code == ErrorCode.NONE, answer
    return answer


def synced(h: CoordinatorHarness, client: str) -> bytes:
    answer = h.take(client, SyncGroupResponse)
    assert isinstance(answer, SyncGroupResponse)
    assert answer.error_code == ErrorCode.NONE, answer
    return answer.assignment


def stable_pair(h: CoordinatorHarness) -> tuple[str, str]:
    """c1 and c2 form generation 1 (c1 leads) and get assignments A and B."""
    h.join("c1")
    h.join("c2")  # parked too: the join phase ends when both are in (it is not a new group now)
    h.advance(0)
    one, two = joined(h, "c1"), joined(h, "c2")
    h.sync("c2", two.member_id, 1)
    h.sync("c1", one.member_id, 1, **{one.member_id: b"A", two.member_id: b"B"})
    h.complete_all()
    assert (synced(h, "c1"), synced(h, "c2")) == (b"A", b"B")
    return one.member_id, two.member_id


def state(h: CoordinatorHarness) -> GroupState:
    view = h.coordinator.group("g")
    assert view is not None
    return view.state


def test_first_join_v4_gets_member_id_required_with_a_fresh_id(harness: CoordinatorHarness) -> None:
    harness.send("c1", join_request())
    answer = harness.take("c1", JoinGroupResponse)
    assert isinstance(answer, JoinGroupResponse)
    assert answer.error_code == ErrorCode.MEMBER_ID_REQUIRED
    assert answer.member_id.startswith("c1-") and len(answer.member_id) == len("c1-") + 36
    view = harness.coordinator.group("g")
    assert view is not None and view.pending_members == (answer.member_id,)
    assert view.members == () and view.state is GroupState.EMPTY


def test_join_v3_is_admitted_at_once(harness: CoordinatorHarness) -> None:
    harness.send("c1", join_request(), api_version=3)
    harness.advance(0)
    answer = joined(harness, "c1")
    assert answer.generation_id == 1 and answer.leader == answer.member_id


def test_initial_delay_waits_and_extends_for_late_arrivals() -> None:
    """KIP-134: a new group waits group.initial.rebalance.delay.ms, again for each newcomer."""
    h = CoordinatorHarness.started(initial_delay_ms=3000)
    h.join("c1")
    h.advance(2000)
    h.join("c2")
    h.advance(1000)  # t=3000: the first delay is over, but c2 arrived: wait another 3000
    assert h.unread() == []
    h.advance(2999)
    assert h.unread() == []
    h.advance(1)  # t=6000
    assert joined(h, "c1").generation_id == joined(h, "c2").generation_id == 1


def test_initial_delay_is_capped_by_the_rebalance_timeout() -> None:
    h = CoordinatorHarness.started(initial_delay_ms=3000)
    h.join("c1", rebalance_timeout_ms=4000)
    h.advance(1000)
    h.join("c2", rebalance_timeout_ms=4000)
    h.advance(2000)  # t=3000: remaining 1000 ms of the rebalance timeout
    assert h.unread() == []
    h.advance(1000)
    assert joined(h, "c1").generation_id == joined(h, "c2").generation_id == 1


def test_the_leader_gets_every_subscription_and_followers_none(harness: CoordinatorHarness) -> None:
    harness.join("c1", metadata=b"one")
    harness.join("c2", metadata=b"two")
    harness.advance(0)
    leader, follower = joined(harness, "c1"), joined(harness, "c2")
    assert leader.leader == follower.leader == leader.member_id
    assert [(m.member_id, m.metadata) for m in leader.members] == [
        (leader.member_id, b"one"),
        (follower.member_id, b"two"),
    ]
    assert follower.members == ()
    assert state(harness) is GroupState.COMPLETING_REBALANCE


@pytest.mark.parametrize(
    ("preferences", "chosen"),
    [
        ((("roundrobin", "range"), ("range",)), "range"),  # the only common one
        ((("range", "roundrobin"), ("roundrobin", "range")), "range"),  # a tie: first member
        ((("roundrobin", "range"), ("roundrobin", "range"), ("range", "roundrobin")), "roundrobin"),
    ],
)
def test_protocol_chosen_by_vote(
    harness: CoordinatorHarness, preferences: tuple[tuple[str, ...], ...], chosen: str
) -> None:
    for index, protocols in enumerate(preferences):
        harness.join(f"c{index}", protocols=protocols)
    harness.advance(0)
    assert {joined(harness, f"c{i}").protocol_name for i in range(len(preferences))} == {chosen}


def test_no_common_protocol_is_inconsistent(harness: CoordinatorHarness) -> None:
    harness.join("c1", protocols=("range",))
    harness.send("c2", join_request(protocols=("sticky",)))
    answer = harness.take("c2", JoinGroupResponse)
    assert isinstance(answer, JoinGroupResponse)
    assert answer.error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    harness.advance(0)
    joined(harness, "c1")


@pytest.mark.parametrize("timeout", [5999, 1800001])
def test_session_timeout_outside_the_broker_bounds_is_refused(
    harness: CoordinatorHarness, timeout: int
) -> None:
    harness.send("c1", join_request(session_timeout_ms=timeout))
    answer = harness.take("c1", JoinGroupResponse)
    assert isinstance(answer, JoinGroupResponse)
    assert answer.error_code == ErrorCode.INVALID_SESSION_TIMEOUT
    assert harness.coordinator.group("g") is None


def test_followers_wait_for_the_stored_assignment_and_get_the_bytes_verbatim(
    harness: CoordinatorHarness,
) -> None:
    harness.join("c1")
    harness.join("c2")
    harness.advance(0)
    one, two = joined(harness, "c1"), joined(harness, "c2")
    harness.sync("c2", two.member_id, 1)
    assert harness.unread() == []  # parked until the leader's assignment
    odd = b"\x00\xff not a ConsumerProtocol assignment"
    harness.sync("c1", one.member_id, 1, **{one.member_id: b"", two.member_id: odd})
    assert harness.unread() == [] and len(harness.pending) == 1  # stored first
    assert state(harness) is GroupState.COMPLETING_REBALANCE
    harness.complete()
    assert synced(harness, "c2") == odd
    assert synced(harness, "c1") == b""
    assert state(harness) is GroupState.STABLE


def test_a_failed_store_answers_the_error_and_rebalances(harness: CoordinatorHarness) -> None:
    harness.join("c1")
    harness.advance(0)
    one = joined(harness, "c1")
    harness.sync("c1", one.member_id, 1, **{one.member_id: b"A"})
    harness.complete(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    answer = harness.take("c1", SyncGroupResponse)
    assert isinstance(answer, SyncGroupResponse)
    assert answer.error_code == ErrorCode.NOT_COORDINATOR and answer.assignment == b""
    assert state(harness) is GroupState.PREPARING_REBALANCE


def test_sync_in_stable_returns_the_stored_assignment(harness: CoordinatorHarness) -> None:
    one, _ = stable_pair(harness)
    harness.sync("c1", one, 1)
    assert synced(harness, "c1") == b"A"


def test_heartbeat_answers(harness: CoordinatorHarness) -> None:
    one, two = stable_pair(harness)
    assert harness.heartbeat("c1", one, 1) is ErrorCode.NONE
    assert harness.heartbeat("c1", one, 0) is ErrorCode.ILLEGAL_GENERATION
    assert harness.heartbeat("c9", "nobody", 1) is ErrorCode.UNKNOWN_MEMBER_ID
    harness.join("c3")  # a new member: the group prepares a rebalance
    assert harness.heartbeat("c2", two, 1) is ErrorCode.REBALANCE_IN_PROGRESS
    assert state(harness) is GroupState.PREPARING_REBALANCE
    harness.advance(10000)  # c1 and c2 fall silent: their sessions end, and the phase with them
    three = joined(harness, "c3")
    assert three.generation_id == 2 and three.leader == three.member_id
    assert harness.now == 10000
    view = harness.coordinator.group("g")
    assert view is not None and view.members == (three.member_id,)


def test_a_silent_member_is_evicted_after_its_session_timeout(harness: CoordinatorHarness) -> None:
    one, two = stable_pair(harness)
    harness.advance(9000)
    assert harness.heartbeat("c1", one, 1) is ErrorCode.NONE
    harness.advance(1000)  # c2 last heard at t=0, session 10000 ms: gone at t=10000
    assert state(harness) is GroupState.PREPARING_REBALANCE
    assert harness.heartbeat("c2", two, 1) is ErrorCode.UNKNOWN_MEMBER_ID
    harness.join("c1", one)
    answer = joined(harness, "c1")
    assert answer.generation_id == 2 and [m.member_id for m in answer.members] == [one]


def test_a_slow_poller_misses_the_rebalance_and_is_evicted(harness: CoordinatorHarness) -> None:
    """Rebalance timeout = max.poll.interval.ms: a member that does not rejoin in time is out."""
    one, two = stable_pair(harness)
    harness.join("c1", one, rebalance_timeout_ms=20000)  # the leader asks for a rebalance
    for _ in range(3):  # c2 stays alive by heartbeats, but never rejoins
        harness.advance(6000)
        assert harness.heartbeat("c2", two, 1) is ErrorCode.REBALANCE_IN_PROGRESS
    harness.advance(12000)  # the join phase ends at its deadline (30000 ms, c2's timeout)
    answer = joined(harness, "c1")
    assert answer.generation_id == 2 and [m.member_id for m in answer.members] == [one]
    assert harness.heartbeat("c2", two, 1) is ErrorCode.UNKNOWN_MEMBER_ID


def test_members_that_never_sync_are_removed_after_the_rebalance_timeout(
    harness: CoordinatorHarness,
) -> None:
    harness.join("c1", rebalance_timeout_ms=20000)
    harness.join("c2", rebalance_timeout_ms=20000)
    harness.advance(0)
    one, two = joined(harness, "c1"), joined(harness, "c2")
    harness.sync("c1", one.member_id, 1, **{one.member_id: b"A", two.member_id: b"B"})
    harness.complete_all()
    assert synced(harness, "c1") == b"A"
    assert state(harness) is GroupState.STABLE
    for _ in range(3):  # c2 heartbeats but never sends SyncGroup
        harness.advance(6000)
        assert harness.heartbeat("c1", one.member_id, 1) is ErrorCode.NONE
        assert harness.heartbeat("c2", two.member_id, 1) is ErrorCode.NONE
    harness.advance(2000)  # 20000 ms after the join phase ended
    assert state(harness) is GroupState.PREPARING_REBALANCE
    view = harness.coordinator.group("g")
    assert view is not None and view.members == (one.member_id,)
    assert harness.heartbeat("c1", one.member_id, 1) is ErrorCode.REBALANCE_IN_PROGRESS


def test_an_unused_member_id_expires(harness: CoordinatorHarness) -> None:
    harness.send("c1", join_request())
    assert harness.take("c1", JoinGroupResponse).error_code == ErrorCode.MEMBER_ID_REQUIRED
    harness.advance(10000)
    view = harness.coordinator.group("g")
    assert view is not None and view.pending_members == ()


def test_a_pending_id_holds_the_join_phase_until_it_is_used(harness: CoordinatorHarness) -> None:
    one, two = stable_pair(harness)
    harness.send("c3", join_request())  # c3 gets an id but has not come back yet
    c3_id = harness.take("c3", JoinGroupResponse).member_id
    harness.join("c1", one)
    harness.join("c2", two)
    assert harness.unread() == []  # everyone known has rejoined, but c3's id is pending
    harness.join("c3", c3_id)
    assert {joined(harness, c).generation_id for c in ("c1", "c2", "c3")} == {2}


def test_leave_group_v3_answers_each_member(harness: CoordinatorHarness) -> None:
    one, two = stable_pair(harness)
    body = LeaveGroupRequest(
        group_id="g",
        members=(MemberIdentity(member_id=two), MemberIdentity(member_id="ghost")),
    )
    harness.send("c2", body)
    answer = harness.take("c2", LeaveGroupResponse)
    assert isinstance(answer, LeaveGroupResponse) and answer.error_code == ErrorCode.NONE
    assert [(m.member_id, m.error_code) for m in answer.members] == [
        (two, ErrorCode.NONE),
        ("ghost", ErrorCode.UNKNOWN_MEMBER_ID),
    ]
    assert state(harness) is GroupState.PREPARING_REBALANCE
    assert harness.heartbeat("c1", one, 1) is ErrorCode.REBALANCE_IN_PROGRESS


def test_leave_group_v0_names_one_member(harness: CoordinatorHarness) -> None:
    one, _ = stable_pair(harness)
    harness.send("c1", LeaveGroupRequest(group_id="g", member_id=one), api_version=0)
    answer = harness.take("c1", LeaveGroupResponse)
    assert isinstance(answer, LeaveGroupResponse)
    assert answer.error_code == ErrorCode.NONE and answer.members == ()
    harness.send("c1", LeaveGroupRequest(group_id="g", member_id=one), api_version=0)
    again = harness.take("c1", LeaveGroupResponse)
    assert isinstance(again, LeaveGroupResponse)
    assert again.error_code == ErrorCode.UNKNOWN_MEMBER_ID


def test_the_last_member_leaving_makes_the_group_empty_one_generation_later(
    harness: CoordinatorHarness,
) -> None:
    one, two = stable_pair(harness)
    for client, member in (("c1", one), ("c2", two)):
        harness.send(client, LeaveGroupRequest(group_id="g", member_id=member), api_version=0)
        harness.take(client, LeaveGroupResponse)
    view = harness.coordinator.group("g")
    assert view is not None and view.state is GroupState.EMPTY and view.generation_id == 2
    assert len(harness.pending) == 1  # the Empty generation is stored too
    harness.complete()


def test_a_rejoining_follower_with_unchanged_metadata_keeps_the_generation(
    harness: CoordinatorHarness,
) -> None:
    _, two = stable_pair(harness)
    harness.join("c2", two)
    answer = joined(harness, "c2")
    assert answer.generation_id == 1 and answer.members == ()
    assert state(harness) is GroupState.STABLE


def test_a_superseded_join_is_answered_not_dropped(harness: CoordinatorHarness) -> None:
    harness.join("c1")
    view = harness.coordinator.group("g")
    assert view is not None
    one_id = view.members[0]
    harness.join("c1", one_id)  # a second JoinGroup while the first is parked
    first = harness.take("c1", JoinGroupResponse)
    assert first.error_code == ErrorCode.REBALANCE_IN_PROGRESS
    harness.advance(0)
    joined(harness, "c1")
