"""Model test of the group coordinator: members join, leave, crash, stall and commit; brokers fail.

Theory of operation
-------------------
:class:`GroupMachine` drives one :class:`~glasskafka.group.GroupCoordinator` for one group
``"g"`` of three would-be members (``c0``, ``c1``, ``c2``) that consume a four-partition topic.
The machine is everything around the coordinator: the members' clients (each a few lines of
Kafka's ``AbstractCoordinator`` logic: join, rejoin with the MEMBER_ID_REQUIRED id, run the range
assignor when leader, sync, heartbeat, react to REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION and
UNKNOWN_MEMBER_ID), the network (instant, one request at a time per member, as a muted Kafka
connection), the clock and timers, and the hosting broker (it appends to an in-memory
``__consumer_offsets`` partition and completes appends in log order).

Rules are the environment: join, sync, heartbeat, leave, commit with the current or a stale
generation, commit as an ``assign()`` consumer, crash a member (it falls silent until its session
expires) and restart it, let time pass (a member that does not rejoin in time is a slow poller),
complete an append, fail the coordinator over to a new broker that replays the log, and read the
committed offsets back.  After every step one ``@invariant`` per GROUP id checks what was observed
(``specs/group.py``).

The teeth are in ``test_group_teeth.py``.
"""

from __future__ import annotations

import random
from typing import Any

from glasskafka.assignors import (
    AssignmentStrategy,
    Subscription,
    assign,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.group import (
    GroupCoordinator,
    GroupCoordinatorConfig,
    GroupMetadataKey,
    GroupState,
    GroupStep,
    OffsetsAppend,
    OffsetsPartitionState,
    decode_group_metadata_value,
    decode_key,
)
from glasskafka.ids import MemberId, Millis, NodeId, PartitionId, TopicName
from glasskafka.node import CancelTimer, Message, Send, SetTimer
from glasskafka.protocol.envelope import KafkaResponse, request
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetCommitResponse,
    OffsetFetchRequest,
    OffsetFetchResponse,
)
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
)
from glasskafka.records import Record, encode_batch
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from model_tests.test_group_harness import (
    Client,
    Observations,
    Unanswered,
    first_error,
    records_of,
    snapshot,
)
from specs.catalogue import check
from specs.group import (
    CommitObservation,
    FetchObservation,
    GroupSnapshot,
    GroupStepObservation,
    HandedOut,
    ParkedObservation,
    StateChange,
    acknowledged_commits_are_durable,
    commits_only_from_current_generation,
    generations_advance_one_join_phase_at_a_time,
    one_owner_per_partition_per_generation,
    parked_requests_are_answered,
    states_follow_the_table,
)

GROUP = "g"
TOPIC = "orders"
PARTITIONS = 4
OFFSETS_PARTITION = PartitionId(0)
SESSION_TIMEOUT_MS = 10000
REBALANCE_TIMEOUTS_MS = (15000, 20000, 25000)
CONFIG = GroupCoordinatorConfig(offsets_topic_num_partitions=1)
GROUP5_BOUND_MS = max((*REBALANCE_TIMEOUTS_MS, CONFIG.group_initial_rebalance_delay_ms))
SUBSCRIPTION = encode_subscription(Subscription.of([TOPIC]))
ADMIN = NodeId("admin")

slots = st.integers(min_value=0, max_value=len(REBALANCE_TIMEOUTS_MS) - 1)
durations = st.sampled_from((100, 1000, 3000, 3000, 6000, 10000, 16000, 30000, 30000))
topic_partitions = st.integers(min_value=0, max_value=PARTITIONS - 1)


class GroupMachine(RuleBasedStateMachine):
    """Three members, one coordinator at a time, an offsets log and a clock."""

    bugs: BugFlags = NO_BUGS

    def __init__(self) -> None:
        super().__init__()
        self.now = 0
        self.next_broker = 1
        self.correlation = 0
        self.coordinator = self.make_coordinator(self.next_broker)
        self.log: list[Record] = []
        self.pending: dict[int, OffsetsAppend] = {}
        self.timers: dict[str, int] = {}
        self.clients = [Client() for _ in REBALANCE_TIMEOUTS_MS]
        self.unanswered: dict[int, Unanswered] = {}
        self.acknowledged: dict[tuple[str, int], int] = {}
        self.seen = Observations()
        self.checked: dict[str, int] = {}

    def make_coordinator(self, broker_id: int) -> GroupCoordinator:
        """The coordinator under test (teeth tests override this with broken variants)."""
        return GroupCoordinator(
            broker_id=broker_id, config=CONFIG, rng=random.Random(broker_id), bugs=self.bugs
        )

    # -----------------------------------------------------------------------------------------
    # The hosting broker and the network

    def _input(self, call: str, *args: object, loaded: bool = False) -> None:
        """Run one coordinator input, record what it did to group "g", and deliver its outputs."""
        before = snapshot(self.coordinator.group(GROUP))
        step: GroupStep = getattr(self.coordinator, call)(*args)
        self.coordinator.check_invariants()
        self._observe(before, loaded=loaded)
        self._carry_out(step)

    def _observe(self, before: GroupSnapshot | None, *, loaded: bool) -> None:
        changes = tuple(
            StateChange(source=t.source.value, target=t.target.value)
            for t in self.coordinator.last_transitions
            if t.group_id == GROUP
        )
        self.seen.steps.append(
            GroupStepObservation(
                group_id=GROUP,
                before=before,
                after=snapshot(self.coordinator.group(GROUP)),
                changes=changes,
                loaded=loaded,
                stored_generation=self._stored_generation() if loaded else None,
            )
        )

    def _carry_out(self, step: GroupStep) -> None:
        for output in step.outputs:
            match output:
                case SetTimer(name=name, at_ms=at_ms):
                    self.timers[name] = at_ms
                case CancelTimer(name=name):
                    self.timers.pop(name, None)
                case Send(message=KafkaResponse() as response):
                    self._deliver(response.correlation_id, response.body)
                case _:
                    raise AssertionError(f"unexpected output {output!r}")
        for append in step.appends:
            assert append.partition == OFFSETS_PARTITION
            self.pending[append.append_id] = append

    def _stored_generation(self) -> int | None:
        generation = None
        for record in self.log:
            assert record.key is not None
            if isinstance(decode_key(record.key), GroupMetadataKey) and record.value is not None:
                generation = decode_group_metadata_value(record.value).generation
        return generation

    def _complete_oldest(self, error: ErrorCode) -> None:
        append_id = min(self.pending)
        append = self.pending.pop(append_id)
        if error is ErrorCode.NONE:
            # Through real batch bytes, so the log is what a broker would hold.
            self.log.extend(records_of(append.batch()))
        self._input("on_append_completed", append_id, error, Millis(self.now))

    def _send(self, slot: int | None, body: Message, kind: str, **extra: Any) -> None:
        self.correlation += 1
        sender = ADMIN if slot is None else NodeId(f"c{slot}")
        if slot is not None:
            client = self.clients[slot]
            client.in_flight = self.correlation
            self.unanswered[self.correlation] = Unanswered(
                kind=kind,
                slot=slot,
                incarnation=client.incarnation,
                sent_ms=self.now,
                group_before=snapshot(self.coordinator.group(GROUP)),
                **extra,
            )
        envelope = request(body, correlation_id=self.correlation, client_id=sender)
        self._input("on_request", sender, envelope, Millis(self.now))

    # -----------------------------------------------------------------------------------------
    # The members' clients

    def _deliver(self, correlation: int, body: Message) -> None:
        if isinstance(body, OffsetFetchResponse):
            self._check_fetched(body)
            return
        sent = self.unanswered.pop(correlation)
        client = self.clients[sent.slot]
        if isinstance(body, OffsetCommitResponse):
            self._record_commit(sent, body)
        if sent.incarnation != client.incarnation:
            return  # the client crashed after sending: nobody reads this answer
        client.in_flight = None
        match body:
            case JoinGroupResponse():
                self._on_join_answer(client, body)
            case SyncGroupResponse():
                self._on_sync_answer(client, body)
            case HeartbeatResponse() | OffsetCommitResponse() | LeaveGroupResponse():
                self._on_error(client, first_error(body))

    def _on_join_answer(self, client: Client, answer: JoinGroupResponse) -> None:
        if answer.error_code == ErrorCode.MEMBER_ID_REQUIRED:
            client.member_id = answer.member_id
        elif answer.error_code == ErrorCode.NONE:
            client.member_id = answer.member_id
            client.previous_generation = client.generation
            client.generation = answer.generation_id
            client.to_sync = answer
            client.rejoin = False
        else:
            self._on_error(client, ErrorCode(answer.error_code))

    def _on_sync_answer(self, client: Client, answer: SyncGroupResponse) -> None:
        if answer.error_code != ErrorCode.NONE:
            self._on_error(client, ErrorCode(answer.error_code))
            return
        partitions = decode_assignment(answer.assignment).partitions if answer.assignment else ()
        self.seen.handed_out.append(
            HandedOut(
                group_id=GROUP,
                generation_id=client.generation,
                member_id=client.member_id,
                partitions=tuple((str(t), int(p)) for t, p in partitions),
            )
        )

    def _on_error(self, client: Client, error: ErrorCode) -> None:
        # AbstractCoordinator: these errors reset the member id or the generation; every error
        # here means "join again" (the client's next join rule does that).
        if error is ErrorCode.UNKNOWN_MEMBER_ID:
            client.member_id = ""
        if error in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION):
            client.previous_generation = client.generation
            client.generation = -1
        if error is not ErrorCode.NONE:
            client.to_sync = None
            client.rejoin = True

    def _record_commit(self, sent: Unanswered, answer: OffsetCommitResponse) -> None:
        accepted = all(p.error_code == ErrorCode.NONE for t in answer.topics for p in t.partitions)
        self.seen.commits.append(
            CommitObservation(
                group_id=GROUP,
                member_id=sent.member_id,
                generation_id=sent.generation_id,
                group=sent.group_before,
                accepted=accepted,
            )
        )
        if accepted:
            for partition, offset in sent.commit:
                self.acknowledged[partition] = offset

    def _check_fetched(self, answer: OffsetFetchResponse) -> None:
        outstanding: dict[tuple[str, int], set[int]] = {}
        for sent in self.unanswered.values():
            for partition, offset in sent.commit:
                outstanding.setdefault(partition, set()).add(offset)
        fetched = {
            (t.name, p.partition_index): p.committed_offset
            for t in answer.topics
            for p in t.partitions
        }
        for partition in sorted(set(fetched) | set(self.acknowledged)):
            self.seen.fetches.append(
                FetchObservation(
                    group_id=GROUP,
                    partition=partition,
                    fetched=fetched.get(partition, -1),
                    acknowledged=self.acknowledged.get(partition),
                    outstanding=frozenset(outstanding.get(partition, set())),
                )
            )

    def _idle(self, slot: int) -> bool:
        client = self.clients[slot]
        return not client.crashed and client.in_flight is None

    # -----------------------------------------------------------------------------------------
    # Rules

    @initialize(members=st.integers(min_value=0, max_value=len(REBALANCE_TIMEOUTS_MS)))
    def start(self, members: int) -> None:
        """Broker 1 leads the offsets partition and loads it (empty); then the first
        ``members`` members form a Stable group the healthy way, so that most runs start from
        a working group and spend their steps on what can go wrong."""
        self._input("become_leader", OFFSETS_PARTITION, Millis(self.now))
        self._input("load", OFFSETS_PARTITION, b"", Millis(self.now), loaded=True)
        for _ in range(12 if members else 0):
            for slot in range(members):
                self.act(slot)
            view = self.coordinator.group(GROUP)
            settled = all(self.clients[s].in_flight is None for s in range(members))
            if view is not None and view.state is GroupState.STABLE and settled:
                break
            self.advance(3000)

    @rule(slot=slots)
    def act(self, slot: int) -> None:
        """A member does what a healthy client does next: join (again), sync, or heartbeat."""
        client = self.clients[slot]
        if client.to_sync is not None:
            self.sync(slot)
        elif client.rejoin or client.generation < 0 or not client.member_id:
            self.join(slot)
        else:
            self.heartbeat(slot)

    @rule()
    def everyone_acts(self) -> None:
        """Every live member takes its next step, as healthy clients do all the time."""
        for slot in range(len(self.clients)):
            self.act(slot)

    def join(self, slot: int) -> None:
        """A member sends JoinGroup (first with an empty id, then with the id it was given)."""
        if not self._idle(slot):
            return
        client = self.clients[slot]
        body = JoinGroupRequest(
            group_id=GROUP,
            session_timeout_ms=SESSION_TIMEOUT_MS,
            rebalance_timeout_ms=REBALANCE_TIMEOUTS_MS[slot],
            member_id=client.member_id,
            protocol_type="consumer",
            protocols=(JoinGroupRequestProtocol(name="range", metadata=SUBSCRIPTION),),
        )
        self._send(slot, body, "JoinGroup")

    def sync(self, slot: int) -> None:
        """A member that has its generation sends SyncGroup; the leader runs the range assignor."""
        client = self.clients[slot]
        answer = client.to_sync
        if not self._idle(slot) or answer is None:
            return
        client.to_sync = None
        assignments: tuple[SyncGroupRequestAssignment, ...] = ()
        if answer.leader == answer.member_id:
            subscriptions = {
                MemberId(m.member_id): decode_subscription(m.metadata) for m in answer.members
            }
            result = assign(AssignmentStrategy.RANGE, {TopicName(TOPIC): PARTITIONS}, subscriptions)
            assignments = tuple(
                SyncGroupRequestAssignment(member_id=m, assignment=encode_assignment(p))
                for m, p in result.items()
            )
        body = SyncGroupRequest(
            group_id=GROUP,
            generation_id=answer.generation_id,
            member_id=answer.member_id,
            assignments=assignments,
        )
        self._send(slot, body, "SyncGroup")

    def heartbeat(self, slot: int) -> None:
        client = self.clients[slot]
        if self._idle(slot) and client.member_id:
            body = HeartbeatRequest(
                group_id=GROUP, generation_id=client.generation, member_id=client.member_id
            )
            self._send(slot, body, "Heartbeat")

    @rule(slot=slots)
    def leave(self, slot: int) -> None:
        """A member shuts down cleanly and leaves the group."""
        client = self.clients[slot]
        if self._idle(slot) and client.member_id:
            body = LeaveGroupRequest(group_id=GROUP, member_id=client.member_id)
            self._send(slot, body, "LeaveGroup")
            client.member_id, client.generation, client.to_sync = "", -1, None

    @rule(slot=slots, partition=topic_partitions, stale=st.booleans(), offset=st.integers(0, 50))
    def commit(self, slot: int, partition: int, stale: bool, offset: int) -> None:
        """A member commits with its generation, or with its previous one (a zombie's commit)."""
        client = self.clients[slot]
        if not self._idle(slot) or not client.member_id:
            return
        generation = client.previous_generation if stale else client.generation
        self._commit(slot, client.member_id, generation, partition, offset)

    @rule(slot=slots, partition=topic_partitions, offset=st.integers(0, 50))
    def commit_as_assign_consumer(self, slot: int, partition: int, offset: int) -> None:
        """A consumer that uses ``assign()`` commits: generation -1, no member id."""
        if self._idle(slot):
            self._commit(slot, "", -1, partition, offset)

    def _commit(
        self, slot: int, member_id: str, generation: int, partition: int, offset: int
    ) -> None:
        body = OffsetCommitRequest(
            group_id=GROUP,
            generation_id=generation,
            member_id=member_id,
            topics=(
                OffsetCommitRequestTopic(
                    name=TOPIC,
                    partitions=(
                        OffsetCommitRequestPartition(
                            partition_index=partition,
                            committed_offset=offset,
                            committed_metadata="",
                        ),
                    ),
                ),
            ),
        )
        commit = (((TOPIC, partition), offset),)
        self._send(
            slot, body, "OffsetCommit", commit=commit, member_id=member_id, generation_id=generation
        )

    @rule(slot=slots, rare=st.integers(0, 1))
    def crash(self, slot: int, rare: int) -> None:
        """A member's process dies: it sends nothing more, and its session will expire."""
        if not rare:
            self.clients[slot].crashed = True

    @rule(slot=slots)
    def restart(self, slot: int) -> None:
        """A crashed member starts again as a new consumer, with no member id."""
        client = self.clients[slot]
        if client.crashed:
            self.clients[slot] = Client(incarnation=client.incarnation + 1)

    @rule(duration=durations)
    def advance(self, duration: int) -> None:
        """Time passes: the host completes its appends, then due timers fire in order."""
        while self.pending:
            self._complete_oldest(ErrorCode.NONE)
        end = self.now + duration
        while True:
            due = sorted((at, name) for name, at in self.timers.items() if at <= end)
            if not due:
                break
            at, name = due[0]
            del self.timers[name]
            self.now = max(self.now, at)
            self._input("on_timer", name, Millis(self.now))
            while self.pending:
                self._complete_oldest(ErrorCode.NONE)
        self.now = end

    @precondition(lambda self: bool(self.pending))
    @rule(ok=st.booleans())
    def complete_append(self, ok: bool) -> None:
        """The oldest append commits, or fails (too few replicas); either way it is answered."""
        self._complete_oldest(ErrorCode.NONE if ok else ErrorCode.NOT_ENOUGH_REPLICAS)

    @precondition(lambda self: OFFSETS_PARTITION in self.coordinator.partitions)
    @rule(
        committed=st.sampled_from((0, 0, 1, 2, 4)),
        load_now=st.booleans(),
        rare=st.integers(0, 1),
    )
    def fail_over(self, committed: int, load_now: bool, rare: int) -> None:
        """Another broker takes the offsets partition: some of the pending appends made it into
        the log (they commit), the rest are lost with the old leader.  The new leader loads the
        log now or later.  (One draw in two acts, so groups have time to settle in between.)"""
        if rare:
            return
        for _ in range(min(committed, len(self.pending))):
            self._complete_oldest(ErrorCode.NONE)
        self._input("become_follower", OFFSETS_PARTITION, Millis(self.now))
        while self.pending:
            self._complete_oldest(ErrorCode.NOT_LEADER_OR_FOLLOWER)
        self.next_broker += 1
        self.coordinator = self.make_coordinator(self.next_broker)
        self.timers.clear()
        self._input("become_leader", OFFSETS_PARTITION, Millis(self.now))
        if load_now:
            self.finish_loading()

    @precondition(
        lambda self: (
            self.coordinator.partitions.get(OFFSETS_PARTITION) is OffsetsPartitionState.LOADING
        )
    )
    @rule()
    def finish_loading(self) -> None:
        """The new leader has read the offsets partition: its groups are back, and an admin
        reads the committed offsets at once."""
        data = encode_batch(self.log) if self.log else b""
        self._input("load", OFFSETS_PARTITION, data, Millis(self.now), loaded=True)
        self.fetch_offsets()

    @rule()
    def fetch_offsets(self) -> None:
        """An admin reads the group's committed offsets (OffsetFetch for every partition)."""
        if self.coordinator.partitions.get(OFFSETS_PARTITION) is OffsetsPartitionState.ACTIVE:
            self._send(None, OffsetFetchRequest(group_id=GROUP, topics=None), "OffsetFetch")

    # -----------------------------------------------------------------------------------------
    # Invariants: one per GROUP id

    def _new_steps(self, spec_id: str) -> list[GroupStepObservation]:
        start = self.checked.get(spec_id, 0)
        self.checked[spec_id] = len(self.seen.steps)
        return self.seen.steps[start:]

    @invariant()
    def generations_advance_one_join_phase_at_a_time(self) -> None:
        for step in self._new_steps("GROUP-1"):
            check("GROUP-1", generations_advance_one_join_phase_at_a_time(step))

    @invariant()
    def one_owner_per_partition_per_generation(self) -> None:
        check("GROUP-2", one_owner_per_partition_per_generation(self.seen.handed_out))

    @invariant()
    def commits_only_from_current_generation(self) -> None:
        check("GROUP-3", commits_only_from_current_generation(self.seen.commits))

    @invariant()
    def states_follow_the_table(self) -> None:
        for step in self._new_steps("GROUP-4"):
            check("GROUP-4", states_follow_the_table(step))

    @invariant()
    def parked_requests_are_answered(self) -> None:
        parked = [
            ParkedObservation(kind=u.kind, sender=f"c{u.slot}", sent_ms=u.sent_ms)
            for u in self.unanswered.values()
            if u.kind in ("JoinGroup", "SyncGroup")
        ]
        check("GROUP-5", parked_requests_are_answered(parked, self.now, GROUP5_BOUND_MS))

    @invariant()
    def acknowledged_commits_are_durable(self) -> None:
        check("GROUP-6", acknowledged_commits_are_durable(self.seen.fetches))


TestGroupModel = GroupMachine.TestCase
