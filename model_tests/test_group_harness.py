"""A hosting broker in miniature, for transcript tests of the group coordinator.

:class:`CoordinatorHarness` plays the broker's part of the seam (``glasskafka/group/host.py``)
for one coordinator: it keeps the timers the role sets and fires them as time passes, keeps the
appends the role asks for and completes them in log order into an in-memory offsets partition,
and collects every response.  A test takes each response it expects with :meth:`take`; the
``harness`` fixtures in the test files fail a test that leaves a response unread, so no output
goes unchecked (STYLE rule 12).

It also holds what ``test_group_model.py``'s members remember (:class:`Client`), the requests
they wait on (:class:`Unanswered`) and the observations the GROUP specs judge
(:class:`Observations`).  The tests at the bottom check the harness itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, TypeVar

from glasskafka.errors import ErrorCode
from glasskafka.group import (
    GroupCoordinator,
    GroupCoordinatorConfig,
    GroupStep,
    GroupView,
    OffsetsAppend,
)
from glasskafka.ids import Millis, NodeId, PartitionId
from glasskafka.node import CancelTimer, Message, Send, SetTimer
from glasskafka.protocol.envelope import KafkaResponse, request
from glasskafka.protocol.messages.committed_offsets import OffsetCommitResponse
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    LeaveGroupResponse,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
)
from glasskafka.records import Record, decode_batch

from specs.group import (
    CommitObservation,
    FetchObservation,
    GroupSnapshot,
    GroupStepObservation,
    HandedOut,
)

__all__ = [
    "Client",
    "CoordinatorHarness",
    "Observations",
    "Unanswered",
    "first_error",
    "join_request",
    "records_of",
    "snapshot",
]

PARTITION = PartitionId(0)
M = TypeVar("M", bound=Message)


def join_request(
    member_id: str = "",
    *,
    protocols: tuple[str, ...] = ("range",),
    metadata: bytes = b"subscription",
    session_timeout_ms: int = 10000,
    rebalance_timeout_ms: int = 30000,
    group_id: str = "g",
) -> JoinGroupRequest:
    """A JoinGroup for group ``g`` with the given protocols (all carrying ``metadata``)."""
    return JoinGroupRequest(
        group_id=group_id,
        session_timeout_ms=session_timeout_ms,
        rebalance_timeout_ms=rebalance_timeout_ms,
        member_id=member_id,
        protocol_type="consumer",
        protocols=tuple(JoinGroupRequestProtocol(name=p, metadata=metadata) for p in protocols),
    )


@dataclass(slots=True)
class CoordinatorHarness:
    """One coordinator, its timers, its offsets partition and every response it sent."""

    coordinator: GroupCoordinator
    now: int = 0
    timers: dict[str, int] = field(default_factory=dict)
    pending: dict[int, OffsetsAppend] = field(default_factory=dict)
    log: list[Record] = field(default_factory=list)
    responses: list[tuple[NodeId, int, Message]] = field(default_factory=list)
    correlation: int = 0

    @classmethod
    def started(cls, *, initial_delay_ms: int = 0, **config: int) -> CoordinatorHarness:
        """A coordinator that leads offsets partition 0 (of one) and has loaded it."""
        options = {"offsets_topic_num_partitions": 1} | config
        settings = GroupCoordinatorConfig(
            group_initial_rebalance_delay_ms=initial_delay_ms, **options
        )
        harness = cls(GroupCoordinator(broker_id=1, config=settings, rng=random.Random(7)))
        harness.apply(harness.coordinator.become_leader(PARTITION, Millis(0)))
        harness.apply(harness.coordinator.load(PARTITION, b"", Millis(0)))
        return harness

    def apply(self, step: GroupStep) -> None:
        """Carry out one step's outputs, as a hosting broker would, and check the role."""
        self.coordinator.check_invariants()
        for output in step.outputs:
            match output:
                case SetTimer(name=name, at_ms=at_ms):
                    self.timers[name] = at_ms
                case CancelTimer(name=name):
                    self.timers.pop(name, None)
                case Send(to=to, message=KafkaResponse() as response):
                    self.responses.append((to, response.correlation_id, response.body))
                case _:
                    raise AssertionError(f"unexpected output {output!r}")
        for append in step.appends:
            self.pending[append.append_id] = append

    def send(self, sender: str, body: Message, *, api_version: int = -1) -> int:
        """Deliver a request from ``sender``; returns its correlation id."""
        self.correlation += 1
        envelope = request(
            body, correlation_id=self.correlation, client_id=sender, api_version=api_version
        )
        self.apply(self.coordinator.on_request(NodeId(sender), envelope, Millis(self.now)))
        return self.correlation

    def take(self, sender: str, kind: type[M]) -> M:
        """The oldest unread response to ``sender`` (which must be a ``kind``)."""
        for index, (to, _, body) in enumerate(self.responses):
            if to == sender:
                del self.responses[index]
                assert isinstance(body, kind), f"expected a {kind.__name__}, got {body!r}"
                return body
        raise AssertionError(f"no response to {sender}; unread: {self.responses}")

    def unread(self, sender: str | None = None) -> list[Message]:
        """Responses not taken yet (to ``sender``, or to anyone)."""
        return [body for to, _, body in self.responses if sender is None or to == sender]

    def advance(self, duration_ms: int) -> None:
        """Let time pass, firing due timers in time order."""
        end = self.now + duration_ms
        while True:
            due = sorted((at, name) for name, at in self.timers.items() if at <= end)
            if not due:
                break
            at, name = due[0]
            del self.timers[name]
            self.now = max(self.now, at)
            self.apply(self.coordinator.on_timer(name, Millis(self.now)))
        self.now = end

    def complete(self, error: ErrorCode = ErrorCode.NONE) -> None:
        """Complete the oldest pending append; a success lands in the log."""
        append_id = min(self.pending)
        append = self.pending.pop(append_id)
        if error is ErrorCode.NONE:
            self.log.extend(
                Record(key=r.key, value=r.value, timestamp=r.timestamp)
                for r in decode_batch(append.batch()).records
            )
        self.apply(self.coordinator.on_append_completed(append_id, error, Millis(self.now)))

    def complete_all(self) -> None:
        while self.pending:
            self.complete()

    # -- a well-behaved member, for tests that need a group to exist ----------------------------

    def join(self, client: str, member_id: str = "", **options: Any) -> int:
        """Send JoinGroup; with an empty id, first do the MEMBER_ID_REQUIRED round trip.

        Returns the correlation id of the JoinGroup that is now parked or answered.
        """
        if not member_id:
            self.send(client, join_request(**options))
            answer = self.take(client, JoinGroupResponse)
            assert answer.error_code == ErrorCode.MEMBER_ID_REQUIRED, answer
            member_id = answer.member_id
        return self.send(client, join_request(member_id, **options))

    def sync(self, client: str, member_id: str, generation: int, **assignment: bytes) -> None:
        """Send SyncGroup; keyword arguments are member ids (as given) and their bytes."""
        body = SyncGroupRequest(
            group_id="g",
            generation_id=generation,
            member_id=member_id,
            assignments=tuple(
                SyncGroupRequestAssignment(member_id=m, assignment=a) for m, a in assignment.items()
            ),
        )
        self.send(client, body)

    def heartbeat(self, client: str, member_id: str, generation: int) -> ErrorCode:
        self.send(
            client, HeartbeatRequest(group_id="g", generation_id=generation, member_id=member_id)
        )
        answer = self.take(client, HeartbeatResponse)
        return ErrorCode(answer.error_code)


# ---------------------------------------------------------------------------------------------
# The model test's clients and observations (model_tests/test_group_model.py)


def snapshot(view: GroupView | None) -> GroupSnapshot | None:
    """The observable part of a group, for the specs."""
    if view is None:
        return None
    return GroupSnapshot(
        state=view.state.value, generation_id=view.generation_id, members=frozenset(view.members)
    )


@dataclass(slots=True, kw_only=True)
class Client:
    """One member's client: what it knows, and its one request in flight."""

    incarnation: int = 0
    crashed: bool = False
    member_id: str = ""
    generation: int = -1
    previous_generation: int = -1
    to_sync: JoinGroupResponse | None = None
    rejoin: bool = True
    in_flight: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Unanswered:
    """A request the coordinator has not answered yet."""

    kind: str
    slot: int
    incarnation: int
    sent_ms: int
    group_before: GroupSnapshot | None = None
    commit: tuple[tuple[tuple[str, int], int], ...] = ()
    member_id: str = ""
    generation_id: int = -1


@dataclass(slots=True, kw_only=True)
class Observations:
    """Everything the specs judge, appended as it happens."""

    steps: list[GroupStepObservation] = field(default_factory=list)
    handed_out: list[HandedOut] = field(default_factory=list)
    commits: list[CommitObservation] = field(default_factory=list)
    fetches: list[FetchObservation] = field(default_factory=list)


def records_of(batch: bytes) -> list[Record]:
    decoded = decode_batch(batch)
    return [Record(key=r.key, value=r.value, timestamp=r.timestamp) for r in decoded.records]


def first_error(body: HeartbeatResponse | OffsetCommitResponse | LeaveGroupResponse) -> ErrorCode:
    if isinstance(body, OffsetCommitResponse):
        codes = [p.error_code for t in body.topics for p in t.partitions]
        return ErrorCode(next((c for c in codes if c != ErrorCode.NONE), ErrorCode.NONE))
    return ErrorCode(body.error_code)


def test_harness_fires_timers_in_time_order_and_completes_appends_in_log_order() -> None:
    harness = CoordinatorHarness.started(initial_delay_ms=3000)
    harness.join("c1")
    assert harness.unread("c1") == []  # parked for the initial delay
    harness.advance(2999)
    assert harness.unread("c1") == []
    harness.advance(1)
    answer = harness.take("c1", JoinGroupResponse)
    assert answer.generation_id == 1
    harness.sync("c1", answer.member_id, 1, **{answer.member_id: b"mine"})
    assert list(harness.pending) == [0] and harness.unread() == []
    harness.complete_all()
    assert len(harness.log) == 1
    assert harness.take("c1", SyncGroupResponse).assignment == b"mine"
    assert harness.unread() == []


def test_take_refuses_a_response_of_the_wrong_kind() -> None:
    harness = CoordinatorHarness.started()
    harness.send("c1", join_request())
    try:
        harness.take("c1", HeartbeatResponse)
    except AssertionError as error:
        assert "expected a HeartbeatResponse" in str(error)
    else:
        raise AssertionError("take accepted the wrong kind of response")
