"""The consumer's side of the group protocol: find the coordinator, join, sync, heartbeat, leave.

Theory of operation
-------------------
Kafka's ``AbstractCoordinator`` and ``ConsumerCoordinator`` as plain data.  A member is in one of
four states (``AbstractCoordinator.MemberState``): UNJOINED, PREPARING_REBALANCE (its JoinGroup
is out), COMPLETING_REBALANCE (it has a generation and waits for SyncGroup) and STABLE.  The steps
of a rebalance, as this file takes them (``reference/clients-and-groups.md`` §10.4):

1. **Find the coordinator** with FindCoordinator (any broker answers; the group's coordinator is
   the leader of its ``__consumer_offsets`` partition).
2. **Prepare** (``onJoinPrepare``): with ``enable.auto.commit``, commit the positions reached so
   far and wait for the answer; then give partitions up.  An EAGER member revokes all of them
   (``onPartitionsRevoked``); a COOPERATIVE member keeps them (KIP-429) and revokes only those
   of topics it no longer subscribes to; a member whose generation was reset has *lost* its
   partitions (``onPartitionsLost``: someone else may own them already, so it must not commit).
3. **JoinGroup** with one protocol per configured assignor, most preferred first; each carries
   the member's subscription (topics, owned partitions, generation).  The first answer may be
   MEMBER_ID_REQUIRED with an id to join again with (KIP-394).
4. The **leader** runs the assignor the group chose (``glasskafka.assignors``) over every
   member's subscription and the partition counts it knows (fetching metadata for topics it has
   not seen), and sends every member's assignment in its SyncGroup; the others send none.
5. **SyncGroup**'s answer is this member's assignment (``onJoinComplete``).  EAGER: all of it is
   new (``onPartitionsAssigned``).  COOPERATIVE: partitions it owned but did not get back are
   revoked now, and then it rejoins at once so that their new owners get them in the next
   round; partitions it got and did not own are assigned.
6. **Heartbeats** every ``heartbeat.interval.ms`` while it has a generation; REBALANCE_IN_PROGRESS
   means "rejoin", ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID mean "your generation is gone".
7. **Leaving**: on ``close()``, ``unsubscribe()``, or when the application has not called
   ``poll()`` for ``max.poll.interval.ms`` (the member is then presumed stuck, KIP-62).

The node (``consumer.py``) carries requests out and hands answers back, through the small
:class:`ConsumerHost` protocol; this file decides.

Spec IDs: GROUP-2 and DELIV-21 (one owner per partition) rest on steps 2 and 5; DELIV-19 on the
pre-join commit.

Simplified from Kafka: no static membership (KIP-345), no background heartbeat thread (heartbeats
are timers of the same single-threaded node), no client-side session timeout check, and a fatal
group error (for example INCONSISTENT_GROUP_PROTOCOL) makes the next poll raise instead of
tearing the consumer down.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from glasskafka.assignors import (
    AssignmentStrategy,
    ConsumerProtocolError,
    RebalanceProtocol,
    Subscription,
    assign,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_cooperative_user_data,
    encode_sticky_user_data,
    encode_subscription,
)
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import RebalanceKind
from glasskafka.client.consumer_metadata import ConsumerMetadata
from glasskafka.client.fetcher import Fetcher
from glasskafka.client.subscription_state import SubscriptionState
from glasskafka.errors import ErrorCode
from glasskafka.ids import (
    BrokerId,
    GenerationId,
    MemberId,
    NodeId,
    TopicName,
    TopicPartition,
    broker_node_id,
)
from glasskafka.node import Message
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    LeaveGroupRequest,
    MemberIdentity,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
)
from glasskafka.protocol.messages.metadata import MetadataResponse

__all__ = [
    "ConsumerCoordinator",
    "ConsumerHost",
    "Generation",
    "MemberState",
]


class MemberState(enum.Enum):
    """Where this member stands in its group (``AbstractCoordinator.MemberState``)."""

    UNJOINED = "unjoined"
    PREPARING_REBALANCE = "preparing-rebalance"
    COMPLETING_REBALANCE = "completing-rebalance"
    STABLE = "stable"


@dataclass(frozen=True, slots=True, kw_only=True)
class Generation:
    """The member's generation, member id and the group's chosen assignor."""

    generation_id: int = -1
    member_id: str = ""
    protocol_name: str | None = None


class ConsumerHost(Protocol):
    """What the consumer node does for its coordinator logic."""

    now_ms: int
    config: ConsumerConfig
    subscriptions: SubscriptionState
    fetcher: Fetcher
    metadata: ConsumerMetadata

    def send(self, to: NodeId, body: Message) -> int:
        """Send a request; returns its correlation id."""

    def any_broker(self) -> NodeId:
        """A broker to ask questions any broker can answer."""

    def request_metadata(self, topics: set[str]) -> None:
        """Fetch metadata that covers ``topics`` as well."""

    def rebalance_callback(
        self, kind: RebalanceKind, partitions: tuple[TopicPartition, ...]
    ) -> Mapping[TopicPartition, int]:
        """Run the listener; a revocation may return offsets to commit before rejoining."""

    def commit_before_rejoin(self, offsets: Mapping[TopicPartition, int]) -> int:
        """Send a commit the join must wait for; returns its commit id."""


_COORDINATOR_GONE = frozenset({ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR})
_RETRY_LATER = frozenset({ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.REBALANCE_IN_PROGRESS})


def _code(value: int) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR


@dataclass(slots=True, kw_only=True)
class ConsumerCoordinator:
    """One member's view of its group, and the requests of the protocol in flight."""

    group_id: str
    state: MemberState = MemberState.UNJOINED
    generation: Generation = field(default_factory=Generation)
    coordinator: NodeId | None = None
    find_request: int | None = None
    join_request: int | None = None
    sync_request: int | None = None
    heartbeat_request: int | None = None
    rejoin_needed: bool = True
    join_prepared: bool = False
    pre_join_commit: int | None = None
    leader_join: JoinGroupResponse | None = None
    leader_asked_metadata: bool = False
    assignment_snapshot: dict[TopicName, int] = field(default_factory=dict)
    next_heartbeat_ms: int = 0
    retry_at_ms: int = 0
    fatal: str | None = None

    # -- what the node asks ---------------------------------------------------------------------

    @property
    def stable(self) -> bool:
        return self.state is MemberState.STABLE and not self.rejoin_needed

    def generation_if_stable(self) -> Generation | None:
        """The generation to commit with, or None during a rebalance (``generationIfStable``)."""
        return self.generation if self.state is MemberState.STABLE else None

    def request_rejoin(self) -> None:
        """Join again at the next opportunity (a rebalance is needed)."""
        self.rejoin_needed = True

    def reset_generation(self, *, keep_member_id: bool) -> None:
        """Forget the generation: the member's partitions will count as lost."""
        member_id = self.generation.member_id if keep_member_id else ""
        self.generation = Generation(member_id=member_id)
        self.state = MemberState.UNJOINED
        self.leader_join = None
        self.join_prepared = False  # the next join first declares the partitions lost
        self.request_rejoin()

    def mark_coordinator_unknown(self) -> None:
        """The coordinator moved or its connection broke: find it again, redo what was in flight."""
        self.coordinator = None
        self.find_request = self.heartbeat_request = None
        if self.join_request is not None or self.sync_request is not None:
            self.join_request = self.sync_request = None
            self.state = MemberState.UNJOINED
            self.request_rejoin()

    # -- driving the protocol -------------------------------------------------------------------

    def poll(self, host: ConsumerHost, *, may_join: bool) -> None:
        """Take the next step of the protocol that is due (called after every input).

        A new JoinGroup (with its revocations and pre-join commit) starts only when
        ``may_join``: inside the application's ``poll()``, as in Kafka, where rebalance
        callbacks run on the application's thread.  Finding the coordinator and heartbeats
        happen at any time.
        """
        if self.fatal is not None or host.now_ms < self.retry_at_ms:
            return
        if self.coordinator is None:
            if self.find_request is None:
                body = FindCoordinatorRequest(key=self.group_id)
                self.find_request = host.send(host.any_broker(), body)
            return
        idle = self.join_request is None and self.sync_request is None and self.leader_join is None
        if may_join and self.rejoin_needed and idle and self._prepare_join(host):
            self._send_join(host)
        self._maybe_heartbeat(host)

    def _prepare_join(self, host: ConsumerHost) -> bool:
        """``onJoinPrepare``: commit, then revoke or lose; True when the JoinGroup may go."""
        if self.join_prepared:
            return True
        if self.pre_join_commit is not None:
            return False  # waiting for the commit's answer
        owned = tuple(host.subscriptions.assignment)
        positions = host.subscriptions.all_consumed()
        lost = self.generation.generation_id < 0 or not self.generation.member_id
        to_commit: dict[TopicPartition, int] = {}
        if lost:
            given_up = set(owned)
            if owned:
                host.rebalance_callback(RebalanceKind.LOST, owned)
        else:
            if host.config.enable_auto_commit:
                to_commit.update(positions)
            given_up = self._to_revoke(host, owned)
            if given_up:
                revoked = tuple(tp for tp in owned if tp in given_up)
                to_commit.update(host.rebalance_callback(RebalanceKind.REVOKED, revoked))
        self._give_up(host, given_up)
        self.join_prepared = True
        if to_commit and self.generation_if_stable() is not None:
            self.pre_join_commit = host.commit_before_rejoin(to_commit)
            return False
        return True

    def _to_revoke(
        self, host: ConsumerHost, owned: tuple[TopicPartition, ...]
    ) -> set[TopicPartition]:
        if host.config.rebalance_protocol is RebalanceProtocol.EAGER:
            return set(owned)
        subscribed = set(host.subscriptions.topics)
        return {tp for tp in owned if tp[0] not in subscribed}

    def _give_up(self, host: ConsumerHost, partitions: set[TopicPartition]) -> None:
        if not partitions:
            return
        kept = [tp for tp in host.subscriptions.assignment if tp not in partitions]
        host.subscriptions.assign_from_subscribed(kept)
        host.fetcher.discard(partitions)

    def on_pre_join_commit_done(self, commit_id: int) -> None:
        """The commit that the JoinGroup waited for is answered (whatever the outcome)."""
        if commit_id == self.pre_join_commit:
            self.pre_join_commit = None

    def _send_join(self, host: ConsumerHost) -> None:
        config = host.config
        owned = tuple(host.subscriptions.assignment)
        subscription_topics = host.subscriptions.topics
        protocols = tuple(
            JoinGroupRequestProtocol(
                name=strategy.value,
                metadata=encode_subscription(
                    Subscription(
                        topics=tuple(TopicName(t) for t in subscription_topics),
                        user_data=_user_data(strategy, owned, self.generation.generation_id),
                        owned_partitions=owned,
                        generation_id=GenerationId(self.generation.generation_id),
                    )
                ),
            )
            for strategy in config.strategies
        )
        body = JoinGroupRequest(
            group_id=self.group_id,
            session_timeout_ms=config.session_timeout_ms,
            rebalance_timeout_ms=config.max_poll_interval_ms,
            member_id=self.generation.member_id,
            protocol_type="consumer",
            protocols=protocols,
        )
        assert self.coordinator is not None
        self.state = MemberState.PREPARING_REBALANCE
        self.join_request = host.send(self.coordinator, body)

    # -- answers --------------------------------------------------------------------------------

    def on_find_coordinator(
        self, host: ConsumerHost, correlation: int, answer: FindCoordinatorResponse
    ) -> None:
        if correlation != self.find_request:
            return
        self.find_request = None
        if _code(answer.error_code) is ErrorCode.NONE and answer.node_id >= 0:
            self.coordinator = broker_node_id(BrokerId(answer.node_id))
        else:
            self.retry_at_ms = host.now_ms + host.config.retry_backoff_ms

    def on_join_group(
        self, host: ConsumerHost, correlation: int, answer: JoinGroupResponse
    ) -> None:
        if correlation != self.join_request:
            return  # an answer to a request this member has given up on
        self.join_request = None
        error = _code(answer.error_code)
        if error is ErrorCode.NONE:
            self.generation = Generation(
                generation_id=answer.generation_id,
                member_id=answer.member_id,
                protocol_name=answer.protocol_name,
            )
            self.state = MemberState.COMPLETING_REBALANCE
            self.next_heartbeat_ms = host.now_ms + host.config.heartbeat_interval_ms
            if answer.leader == answer.member_id:
                self.leader_join, self.leader_asked_metadata = answer, False
                self.on_metadata(host)
            else:
                self._send_sync(host, ())
        elif error is ErrorCode.MEMBER_ID_REQUIRED:
            self.generation = Generation(member_id=answer.member_id)
            self._send_join(host)  # KIP-394: straight back with the id
        else:
            self._join_failed(host, error, "JoinGroup")

    def _join_failed(self, host: ConsumerHost, error: ErrorCode, api: str) -> None:
        self.state = MemberState.UNJOINED
        self.request_rejoin()
        if error is ErrorCode.UNKNOWN_MEMBER_ID:
            self.reset_generation(keep_member_id=False)
        elif error is ErrorCode.ILLEGAL_GENERATION:
            self.reset_generation(keep_member_id=True)
        elif error in _COORDINATOR_GONE:
            self.mark_coordinator_unknown()
        elif error in _RETRY_LATER:
            self.retry_at_ms = host.now_ms + host.config.retry_backoff_ms
        else:
            self.fatal = (
                f"{api} for group {self.group_id!r} failed with {error.name} ({int(error)})"
            )

    def on_metadata(self, host: ConsumerHost) -> None:
        """New metadata: a leader waiting to assign may now run its assignor."""
        answer = self.leader_join
        if answer is None or self.state is not MemberState.COMPLETING_REBALANCE:
            return
        subscriptions: dict[MemberId, Subscription] = {}
        for member in answer.members:
            try:
                subscriptions[MemberId(member.member_id)] = decode_subscription(member.metadata)
            except ConsumerProtocolError:
                # A member whose bytes cannot be read subscribes to nothing it can be given.
                subscriptions[MemberId(member.member_id)] = Subscription(topics=())
        topics = {str(t) for s in subscriptions.values() for t in s.topics}
        counts, unknown = host.metadata.counts_of(topics)
        if unknown and not self.leader_asked_metadata:
            self.leader_asked_metadata = True
            host.request_metadata(unknown)
            return
        try:
            strategy = AssignmentStrategy(answer.protocol_name)
        except ValueError:
            self.fatal = (
                f"the group chose assignor {answer.protocol_name!r}, which is not configured"
            )
            return
        result = assign(strategy, counts, subscriptions)
        self.assignment_snapshot = dict(counts)
        self.leader_join = None
        self._send_sync(
            host,
            tuple(
                SyncGroupRequestAssignment(member_id=m, assignment=encode_assignment(p))
                for m, p in result.items()
            ),
        )

    def _send_sync(
        self, host: ConsumerHost, assignments: tuple[SyncGroupRequestAssignment, ...]
    ) -> None:
        body = SyncGroupRequest(
            group_id=self.group_id,
            generation_id=self.generation.generation_id,
            member_id=self.generation.member_id,
            assignments=assignments,
        )
        assert self.coordinator is not None
        self.sync_request = host.send(self.coordinator, body)

    def on_sync_group(
        self, host: ConsumerHost, correlation: int, answer: SyncGroupResponse
    ) -> None:
        if correlation != self.sync_request:
            return
        self.sync_request = None
        error = _code(answer.error_code)
        if error is not ErrorCode.NONE:
            self._join_failed(host, error, "SyncGroup")
            return
        try:
            assigned = decode_assignment(answer.assignment).partitions if answer.assignment else ()
        except ConsumerProtocolError as problem:
            self.fatal = f"the group's assignment for this member cannot be read: {problem}"
            return
        self.state = MemberState.STABLE
        self.rejoin_needed = False
        self.join_prepared = False
        self._on_join_complete(host, assigned)

    def _on_join_complete(self, host: ConsumerHost, assigned: tuple[TopicPartition, ...]) -> None:
        """``onJoinComplete``: take the new assignment; cooperative revocations rejoin."""
        owned = tuple(host.subscriptions.assignment)
        revoked = tuple(tp for tp in owned if tp not in assigned)
        added = tuple(tp for tp in assigned if tp not in owned)
        if revoked:
            # COOPERATIVE (an EAGER member owns nothing here): give these up, then rejoin so
            # that their new owners receive them in the follow-up rebalance (KIP-429).
            host.rebalance_callback(RebalanceKind.REVOKED, revoked)
            host.fetcher.discard(set(revoked))
            self.request_rejoin()
        host.subscriptions.assign_from_subscribed(assigned)
        host.rebalance_callback(RebalanceKind.ASSIGNED, added)

    def _maybe_heartbeat(self, host: ConsumerHost) -> None:
        if self.state not in (MemberState.COMPLETING_REBALANCE, MemberState.STABLE):
            return
        if self.heartbeat_request is not None or host.now_ms < self.next_heartbeat_ms:
            return
        assert self.coordinator is not None
        body = HeartbeatRequest(
            group_id=self.group_id,
            generation_id=self.generation.generation_id,
            member_id=self.generation.member_id,
        )
        self.heartbeat_request = host.send(self.coordinator, body)
        self.next_heartbeat_ms = host.now_ms + host.config.heartbeat_interval_ms

    def on_heartbeat(self, correlation: int, answer: HeartbeatResponse) -> None:
        if correlation != self.heartbeat_request:
            return
        self.heartbeat_request = None
        error = _code(answer.error_code)
        if error is ErrorCode.REBALANCE_IN_PROGRESS:
            if self.state is MemberState.STABLE:
                self.request_rejoin()
        elif error is ErrorCode.ILLEGAL_GENERATION:
            self.reset_generation(keep_member_id=True)
        elif error is ErrorCode.UNKNOWN_MEMBER_ID:
            self.reset_generation(keep_member_id=False)
        elif error in _COORDINATOR_GONE:
            self.mark_coordinator_unknown()

    def on_metadata_changed(self, counts: Mapping[TopicName, int]) -> None:
        """A leader whose assignment used other partition counts asks for a rebalance."""
        if self.assignment_snapshot and any(
            counts.get(topic, count) != count for topic, count in self.assignment_snapshot.items()
        ):
            self.assignment_snapshot = {}
            self.request_rejoin()

    def on_metadata_response(
        self, host: ConsumerHost, response: MetadataResponse, counts: Mapping[TopicName, int]
    ) -> None:
        """A pattern may match other topics now; a leader may see other partition counts."""
        subscriptions = host.subscriptions
        if subscriptions.pattern is not None:
            names = (t.name for t in response.topics if t.error_code == ErrorCode.NONE)
            exclude = host.config.exclude_internal_topics
            matched = subscriptions.matching(names, exclude_internal=exclude)
            if matched != subscriptions.topics:
                subscriptions.topics = matched
                self.request_rejoin()
        self.on_metadata_changed(counts)
        self.on_metadata(host)

    def on_poll_timeout(self, host: ConsumerHost, last_poll_ms: int) -> None:
        """``max.poll.interval.ms`` passed without a poll: leave, so the group rebalances without
        this stuck member (KIP-62).  Its partitions count as lost at its next poll."""
        expired = host.now_ms >= last_poll_ms + host.config.max_poll_interval_ms
        if expired and self.generation.member_id and host.subscriptions.group_managed:
            self.leave(host)

    def timers(self, host: ConsumerHost, last_poll_ms: int) -> dict[str, int]:
        """The node's timers this member needs: the next heartbeat, the poll deadline."""
        wanted = {}
        if self.state in (MemberState.COMPLETING_REBALANCE, MemberState.STABLE):
            wanted["heartbeat"] = self.next_heartbeat_ms
        if host.subscriptions.group_managed and self.generation.member_id:
            wanted["max-poll-interval"] = last_poll_ms + host.config.max_poll_interval_ms
        return wanted

    def give_up_and_leave(self, host: ConsumerHost) -> None:
        """``close()`` or ``unsubscribe()``: revoke (or lose) everything, then LeaveGroup."""
        owned = tuple(host.subscriptions.assignment)
        if owned:
            lost = self.generation.generation_id < 0
            host.rebalance_callback(RebalanceKind.LOST if lost else RebalanceKind.REVOKED, owned)
            host.subscriptions.assign_from_subscribed(())
            host.fetcher.discard(set(owned))
        self.leave(host)

    def leave(self, host: ConsumerHost) -> int | None:
        """Send LeaveGroup if this member has an id and knows its coordinator; forget the rest."""
        correlation = None
        if self.coordinator is not None and self.generation.member_id:
            member = MemberIdentity(member_id=self.generation.member_id)
            # Sent at v3 (envelope.request picks the highest served), where the member travels
            # in ``members``; v0-2's ``member_id`` does not exist on the wire at v3.
            body = LeaveGroupRequest(group_id=self.group_id, members=(member,))
            correlation = host.send(self.coordinator, body)
        self.reset_generation(keep_member_id=False)
        self.join_request = self.sync_request = self.heartbeat_request = None
        self.join_prepared = False
        return correlation


def _user_data(
    strategy: AssignmentStrategy, owned: tuple[TopicPartition, ...], generation: int
) -> bytes | None:
    """What each assignor keeps in the subscription's user data (§5.1)."""
    match strategy:
        case AssignmentStrategy.STICKY:
            return encode_sticky_user_data(owned, generation if generation >= 0 else None)
        case AssignmentStrategy.COOPERATIVE_STICKY:
            return encode_cooperative_user_data(generation)
        case AssignmentStrategy.RANGE | AssignmentStrategy.ROUND_ROBIN:
            return None
