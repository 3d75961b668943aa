"""The consumer node: Kafka's ``KafkaConsumer`` as a sans-IO state machine.

Theory of operation
-------------------
:class:`ConsumerNode` is a :class:`~glasskafka.node.Node` that speaks Kafka's API messages to
brokers named ``"broker-<id>"``.  Its API calls are inputs like any other.  Calls that block in
Kafka -- ``poll(timeout)``, ``commit_sync``, ``committed`` and ``close`` -- *start* here and
*finish* later: the driver runs the simulation until :attr:`ConsumerNode.result_ready`, then
takes the outcome with :meth:`ConsumerNode.take_result` (which raises the call's error, as
Kafka's call would throw).  One call at a time, as on Kafka's single application thread.
``subscribe``, ``assign``, ``seek*``, ``position`` and ``commit_async`` return at once.

What happens inside, after every input (:meth:`ConsumerNode._progress`):

1. metadata is refreshed when something is unknown or stale (leaders, partition counts,
   topics matching a pattern);
2. the group protocol takes its next step (``consumer_coordinator.py``) -- a new JoinGroup only
   inside ``poll()``, where the rebalance callbacks run;
3. inside ``poll()``: a due **auto-commit** of the positions reached by earlier polls
   (``offset_commit.py``), position lookups for new partitions, then buffered records are
   returned (at most ``max.poll.records``) or Fetches are sent (``fetcher.py``); the poll
   finishes with records, with an error, or empty at its timeout;
4. timers are set for what comes next: the call's deadline, the heartbeat, the next
   auto-commit, ``max.poll.interval.ms``, retries.

The positions a poll returns are the application's to process: a record is *processed* when
the application says so (outside the consumer), and only positions of earlier polls are
auto-committed, so with ``enable.auto.commit`` a crash redelivers at most what was returned
since the last commit (at-least-once).  With ``record_history`` the node keeps what a Kafka
client could observe (polls, commits, rebalance callbacks, subscribe and assign) as
:data:`ConsumerEvent` values, for ``glasskafka.history`` to judge.

Spec IDs: DELIV-1 (no record below a committed offset goes unprocessed) and DELIV-10 (one owner
per partition per generation) are the consumer's share; bug flags ``auto_commit_current_poll``
(here) and ``resume_after_committed`` (``offset_commit.py``) break DELIV-1.

Simplified from Kafka: no ``pause``/``resume``, no ``wakeup``, no request timeouts (a broken
connection is reported by the network, DESIGN §3), no deserializers (records carry bytes) and
no client-side session timeout; see each module's own note.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_coordinator import ConsumerCoordinator, RebalanceKind
from glasskafka.client.fetcher import ConsumerRecord, Fetcher, drain
from glasskafka.client.offset_commit import (
    CommitCallback,
    CommitMode,
    OffsetCommitter,
    apply_committed,
    commit_error,
    committed_offsets,
    offset_commit_request,
    offset_fetch_request,
)
from glasskafka.client.subscription_state import (
    FetchState,
    OffsetResetStrategy,
    SubscriptionState,
)
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import Millis, NodeId, PartitionId, TopicName, TopicPartition
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.protocol.apis import api_for
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse, request
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitResponse,
    OffsetFetchResponse,
)
from glasskafka.protocol.messages.fetch import FetchRequest, FetchResponse
from glasskafka.protocol.messages.find_coordinator import FindCoordinatorResponse
from glasskafka.protocol.messages.group_membership import (
    HeartbeatResponse,
    JoinGroupResponse,
    LeaveGroupResponse,
    SyncGroupResponse,
)
from glasskafka.protocol.messages.list_offsets import ListOffsetsResponse
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
)

__all__ = [
    "AssignEvent",
    "CallKind",
    "CallResult",
    "CommitEvent",
    "CommitFailedError",
    "CommitResult",
    "CommittedResult",
    "ConsumerEvent",
    "ConsumerNode",
    "ConsumerRebalanceListener",
    "ConsumerRecord",
    "NoOffsetForPartitionError",
    "PollEvent",
    "PollResult",
    "RebalanceEvent",
    "SubscribeEvent",
]


class NoOffsetForPartitionError(GlassKafkaError):
    """No committed offset and ``auto.offset.reset=none`` (``NoOffsetForPartitionException``)."""


class CommitFailedError(GlassKafkaError):
    """A commit the group refused or that timed out (``CommitFailedException`` and kin)."""


class CallKind(enum.Enum):
    """The blocking calls, one of which may be in progress."""

    POLL = "poll"
    COMMIT_SYNC = "commit_sync"
    COMMITTED = "committed"
    CLOSE = "close"


@dataclass(frozen=True, slots=True, kw_only=True)
class PollResult:
    """What ``poll()`` returned."""

    records: tuple[ConsumerRecord, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitResult:
    """A ``commit_sync()`` that succeeded, with the offsets it committed."""

    offsets: dict[TopicPartition, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommittedResult:
    """``committed()``: each partition's committed offset, or None."""

    offsets: dict[TopicPartition, int | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseResult:
    """``close()`` finished: the member left its group."""


CallResult = PollResult | CommitResult | CommittedResult | CloseResult


@dataclass(frozen=True, slots=True, kw_only=True)
class PollEvent:
    """History: a poll that completed, with its records (or its error)."""

    time_ms: int
    records: tuple[ConsumerRecord, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitEvent:
    """History: a commit's outcome (``ErrorCode.NONE`` for success)."""

    time_ms: int
    mode: CommitMode
    offsets: tuple[tuple[TopicPartition, int], ...]
    error: ErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalanceEvent:
    """History: a rebalance callback ran, in a generation."""

    time_ms: int
    kind: RebalanceKind
    partitions: tuple[TopicPartition, ...]
    generation: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeEvent:
    """History: ``subscribe()`` as a member of ``group``."""

    time_ms: int
    group: str
    topics: tuple[str, ...]
    pattern: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignEvent:
    """History: ``assign()`` of exactly these partitions."""

    time_ms: int
    partitions: tuple[TopicPartition, ...]


ConsumerEvent = PollEvent | CommitEvent | RebalanceEvent | SubscribeEvent | AssignEvent
"""What a consumer with ``record_history`` remembers, in order."""


class ConsumerRebalanceListener:
    """Subclass and override to hear about rebalances (Kafka's ``ConsumerRebalanceListener``).

    ``on_partitions_revoked`` may return offsets to commit before the partitions are given up,
    the sans-IO form of calling ``commitSync`` inside the callback.
    """

    def on_partitions_revoked(
        self, partitions: tuple[TopicPartition, ...]
    ) -> Mapping[TopicPartition, int] | None:
        del partitions
        return None

    def on_partitions_assigned(self, partitions: tuple[TopicPartition, ...]) -> None:
        del partitions

    def on_partitions_lost(self, partitions: tuple[TopicPartition, ...]) -> None:
        del partitions


@dataclass(slots=True, kw_only=True)
class _Call:
    kind: CallKind
    deadline_ms: int
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    partitions: tuple[TopicPartition, ...] = ()
    sent: int | None = None
    retry_at_ms: int = 0


@dataclass(slots=True, kw_only=True)
class _Pending:
    to: NodeId
    body: Message
    commit_id: int | None = None
    for_call: bool = False


@dataclass(slots=True, kw_only=True)
class _Metadata:
    brokers: tuple[NodeId, ...] = ()
    leaders: dict[TopicPartition, NodeId | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)
    request: int | None = None
    stale: bool = True
    refreshed_ms: int = 0
    retry_at_ms: int = 0


class ConsumerNode(Node):
    """A Kafka consumer: subscribe or assign, poll, commit, rebalance, close."""

    def __init__(
        self,
        node_id: NodeId,
        *,
        config: ConsumerConfig,
        rng: random.Random,
        bootstrap: Sequence[NodeId] = (NodeId("broker-1"),),
        bugs: BugFlags = NO_BUGS,
        listener: ConsumerRebalanceListener | None = None,
        record_history: bool = False,
    ) -> None:
        if not bootstrap:
            raise GlassKafkaError("bootstrap: name at least one broker node, e.g. 'broker-1'")
        self.node_id = node_id
        self.config = config
        self.rng = rng
        self.bootstrap = tuple(bootstrap)
        self.bugs = bugs
        self.listener = listener
        self.history: list[ConsumerEvent] | None = [] if record_history else None
        self.now_ms = 0
        self.subscriptions = SubscriptionState()
        self.fetcher = Fetcher()
        self.committer = OffsetCommitter(next_auto_commit_ms=config.auto_commit_interval_ms)
        group = config.group_id
        self.coordinator = ConsumerCoordinator(group_id=group) if group is not None else None
        self.metadata = _Metadata()
        self.in_flight: dict[int, _Pending] = {}
        self.next_correlation = 0
        self.call: _Call | None = None
        self.result: CallResult | GlassKafkaError | None = None
        self.last_poll_ms = 0
        self.closed = False
        self.timers: dict[str, int] = {}
        self.outbox: list[Output] = []

    # -- the node contract ---------------------------------------------------------------------

    def on_start(self, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        self.last_poll_ms = now_ms
        self.committer.next_auto_commit_ms = now_ms + self.config.auto_commit_interval_ms
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        if isinstance(message, KafkaResponse):
            pending = self.in_flight.pop(message.correlation_id, None)
            if pending is not None and pending.to == sender and _answers(pending.body, message.body):
                self._on_response(message.correlation_id, pending, message.body)
            elif pending is not None:
                self._on_failure(pending)  # a mismatched answer counts as no answer
        return self._step()

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        self.timers.pop(name, None)
        if name == "max-poll-interval":
            self._maybe_leave_for_slow_polls()
        return self._step()

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        for correlation in sorted(c for c, p in self.in_flight.items() if p.to == peer):
            self._on_failure(self.in_flight.pop(correlation))
        if self.coordinator is not None and self.coordinator.coordinator == peer:
            self.coordinator.mark_coordinator_unknown()
        return self._step()

    # -- the API: subscribing ------------------------------------------------------------------

    def subscribe(self, topics: Iterable[str], now_ms: Millis) -> list[Output]:
        """``subscribe(topics)``: join the group and read what it assigns from these topics."""
        coordinator = self._group("subscribe()")
        self._enter(now_ms)
        topics = list(topics)
        if self.subscriptions.subscribe(topics):
            coordinator.request_rejoin()
        self.metadata.stale = True
        self._record(SubscribeEvent(time_ms=now_ms, group=coordinator.group_id, topics=tuple(sorted(set(topics)))))
        return self._step()

    def subscribe_pattern(self, pattern: str, now_ms: Millis) -> list[Output]:
        """``subscribe(Pattern)``: every topic whose whole name matches, now and later."""
        coordinator = self._group("subscribe(pattern)")
        self._enter(now_ms)
        self.subscriptions.subscribe_pattern(pattern)
        coordinator.request_rejoin()
        self.metadata.stale = True
        self._record(SubscribeEvent(time_ms=now_ms, group=coordinator.group_id, topics=(), pattern=pattern))
        return self._step()

    def assign(self, partitions: Iterable[tuple[str, int]], now_ms: Millis) -> list[Output]:
        """``assign(partitions)``: read exactly these, without a group."""
        self._enter(now_ms)
        chosen = [_partition(topic, index) for topic, index in partitions]
        before = set(self.subscriptions.assignment)
        self.subscriptions.assign_from_user(chosen)
        self.fetcher.discard(before - set(chosen))
        self.metadata.stale = True
        self._record(AssignEvent(time_ms=now_ms, partitions=tuple(chosen)))
        return self._step()

    def unsubscribe(self, now_ms: Millis) -> list[Output]:
        """Give up every partition (revoke callbacks), leave the group, forget the subscription."""
        self._enter(now_ms)
        if self.subscriptions.group_managed and self.coordinator is not None:
            self._leave_group()
        self.fetcher.discard(set(self.subscriptions.assignment))
        self.subscriptions.unsubscribe()
        return self._step()

    def assignment(self) -> tuple[TopicPartition, ...]:
        """The partitions this consumer reads now."""
        return tuple(self.subscriptions.assignment)

    # -- the API: positions --------------------------------------------------------------------

    def seek(self, partition: tuple[str, int], offset: int, now_ms: Millis) -> list[Output]:
        """Read ``partition`` from ``offset`` on."""
        self._enter(now_ms)
        self.subscriptions.seek(_partition(*partition), offset)
        return self._step()

    def seek_to_beginning(self, partitions: Iterable[tuple[str, int]], now_ms: Millis) -> list[Output]:
        """Read these partitions from their log start offset (looked up at the next poll)."""
        return self._reset(partitions, OffsetResetStrategy.EARLIEST, now_ms)

    def seek_to_end(self, partitions: Iterable[tuple[str, int]], now_ms: Millis) -> list[Output]:
        """Read these partitions from their high watermark (looked up at the next poll)."""
        return self._reset(partitions, OffsetResetStrategy.LATEST, now_ms)

    def _reset(self, partitions: Iterable[tuple[str, int]], strategy: OffsetResetStrategy, now_ms: Millis) -> list[Output]:
        self._enter(now_ms)
        for topic, index in partitions:
            self.subscriptions.request_reset(_partition(topic, index), strategy)
        return self._step()

    def position(self, partition: tuple[str, int]) -> int | None:
        """The next offset a poll would return from ``partition``; None while looked up."""
        return self.subscriptions.position(_partition(*partition))

    # -- the API: blocking calls ---------------------------------------------------------------

    def poll(self, timeout_ms: int, now_ms: Millis) -> list[Output]:
        """Start ``poll(timeout)``: finished with records, an error, or empty at the timeout."""
        self._begin(CallKind.POLL, timeout_ms, now_ms)
        if self.subscriptions.type.value == "none":
            self.call = None
            raise GlassKafkaError("poll(): the consumer is not subscribed to any topics or assigned any partitions")
        self.last_poll_ms = now_ms
        return self._step()

    def commit_sync(
        self, now_ms: Millis, offsets: Mapping[tuple[str, int], int] | None = None, timeout_ms: int | None = None
    ) -> list[Output]:
        """Start ``commitSync``: the given offsets, or every current position."""
        self._group("commit_sync()")
        self._begin(CallKind.COMMIT_SYNC, timeout_ms, now_ms)
        assert self.call is not None
        self.call.offsets = _offsets(offsets) if offsets is not None else self.subscriptions.all_consumed()
        return self._step()

    def committed(
        self, partitions: Iterable[tuple[str, int]], now_ms: Millis, timeout_ms: int | None = None
    ) -> list[Output]:
        """Start ``committed(partitions)``: read the group's committed offsets."""
        self._group("committed()")
        self._begin(CallKind.COMMITTED, timeout_ms, now_ms)
        assert self.call is not None
        self.call.partitions = tuple(_partition(t, p) for t, p in partitions)
        return self._step()

    def close(self, now_ms: Millis, timeout_ms: int | None = None) -> list[Output]:
        """Start ``close()``: auto-commit, revoke, leave the group; then refuse every call."""
        self._begin(CallKind.CLOSE, timeout_ms, now_ms)
        coordinator = self.coordinator
        assert self.call is not None
        if coordinator is not None and self.config.enable_auto_commit and self._may_commit():
            self.call.offsets = self.subscriptions.all_consumed()
        if not self.call.offsets:
            self._finish_close()
        return self._step()

    def commit_async(
        self,
        now_ms: Millis,
        offsets: Mapping[tuple[str, int], int] | None = None,
        callback: CommitCallback | None = None,
    ) -> list[Output]:
        """``commitAsync``: send the commit and return; ``callback`` gets the outcome."""
        self._group("commit_async()")
        self._enter(now_ms)
        chosen = _offsets(offsets) if offsets is not None else self.subscriptions.all_consumed()
        self._send_commit(chosen, CommitMode.ASYNC, callback)
        return self._step()

    @property
    def result_ready(self) -> bool:
        """Whether the blocking call in progress has finished."""
        return self.result is not None

    def take_result(self) -> CallResult:
        """The finished call's result; raises its error, as the Kafka call would throw."""
        result, self.result = self.result, None
        if result is None:
            raise GlassKafkaError("take_result(): no call has finished (check result_ready first)")
        if isinstance(result, GlassKafkaError):
            raise result
        return result

    # -- the API's bookkeeping -----------------------------------------------------------------

    def _enter(self, now_ms: Millis) -> None:
        if self.closed:
            raise GlassKafkaError(f"consumer {self.node_id} is closed")
        self.now_ms = now_ms

    def _begin(self, kind: CallKind, timeout_ms: int | None, now_ms: Millis) -> None:
        self._enter(now_ms)
        if self.call is not None or self.result is not None:
            raise GlassKafkaError(
                f"{kind.value}(): a {self.call.kind.value if self.call else 'finished'} call is not "
                "taken yet; one call at a time, and take_result() after each"
            )
        timeout = self.config.default_api_timeout_ms if timeout_ms is None else timeout_ms
        if timeout < 0:
            raise GlassKafkaError(f"{kind.value}(timeout_ms={timeout}): a timeout is 0 or more")
        self.call = _Call(kind=kind, deadline_ms=now_ms + timeout)

    def _group(self, api: str) -> ConsumerCoordinator:
        if self.coordinator is None:
            raise GlassKafkaError(
                f"{api} needs a consumer group: set group.id (the group management and offset "
                "commit APIs need it)"
            )
        return self.coordinator

    def _finish(self, result: CallResult | GlassKafkaError) -> None:
        call, self.call = self.call, None
        self.result = result
        if call is not None and call.kind is CallKind.POLL:
            records = result.records if isinstance(result, PollResult) else ()
            error = str(result) if isinstance(result, GlassKafkaError) else None
            self._record(PollEvent(time_ms=self.now_ms, records=records, error=error))

    def _record(self, event: ConsumerEvent) -> None:
        if self.history is not None:
            self.history.append(event)

    # -- after every input ---------------------------------------------------------------------

    def _step(self) -> list[Output]:
        if not self.closed:
            self._progress()
            self._set_timers()
        outputs, self.outbox = self.outbox, []
        return outputs

    def _progress(self) -> None:
        """Take every step that is due now (the loop body of Kafka's ``poll``)."""
        call = self.call
        if call is not None and call.kind is CallKind.POLL:
            self.last_poll_ms = self.now_ms  # blocked inside poll() counts as polling
        self._maybe_refresh_metadata()
        coordinator = self.coordinator
        if coordinator is not None and (self.subscriptions.group_managed or self._needs_coordinator()):
            polling = call is not None and call.kind is CallKind.POLL
            coordinator.poll(self, may_join=polling and self.subscriptions.group_managed)
        if call is None:
            return
        match call.kind:
            case CallKind.POLL:
                self._progress_poll(call)
            case CallKind.COMMIT_SYNC:
                self._progress_commit_sync(call)
            case CallKind.COMMITTED:
                self._progress_committed(call)
            case CallKind.CLOSE:
                self._progress_close(call)

    def _progress_poll(self, call: _Call) -> None:
        coordinator = self.coordinator
        if coordinator is not None and coordinator.fatal is not None:
            self._finish(GlassKafkaError(coordinator.fatal))
            return
        ready = not self.subscriptions.group_managed or (coordinator is not None and coordinator.stable)
        # Kafka auto-commits at the start of poll(), before this poll returns any record: the
        # positions committed are those of earlier polls, already processed (offset_commit.py).
        if ready and not self.bugs.auto_commit_current_poll:
            self._maybe_auto_commit()
        self._update_positions()
        if self.fetcher.error is not None:
            error, self.fetcher.error = self.fetcher.error, None
            self._finish(GlassKafkaError(error))
            return
        records = drain(self.fetcher, self.subscriptions, self.config.max_poll_records)
        if records:
            if ready and self.bugs.auto_commit_current_poll:
                # BUG FLAG auto_commit_current_poll: commit the positions just reached, before
                # the application has seen (let alone processed) these records.
                self._maybe_auto_commit()
            self._finish(PollResult(records=tuple(records)))
        elif self.now_ms >= call.deadline_ms:
            self._finish(PollResult(records=()))
        # Fetch ahead, so the next poll finds data waiting (Kafka sends before it returns).
        self._send_fetches()

    def _update_positions(self) -> None:
        """Committed offsets for new partitions, then ListOffsets for those that need a reset."""
        initializing = self.subscriptions.in_state(FetchState.INITIALIZING)
        coordinator = self.coordinator
        if initializing and coordinator is None:
            error = apply_committed(dict.fromkeys(initializing, -1), self.subscriptions, self.config, self.bugs)
            if error is not None:
                self.fetcher.error = error
        elif initializing and coordinator is not None and coordinator.coordinator is not None:
            asked = [tp for tp in initializing if tp not in self.committer.looking_up]
            if asked:
                self.committer.looking_up.update(asked)
                body = offset_fetch_request(coordinator.group_id, asked)
                self.send(coordinator.coordinator, body)
        for leader, body in self.fetcher.list_offsets_requests(self.subscriptions, self._leaders(), self.config):
            self.send(leader, body)

    def _send_fetches(self) -> None:
        for leader, body in self.fetcher.fetch_requests(self.subscriptions, self._leaders(), self.config):
            self.send(leader, body)
        if self.fetcher.wants_metadata:
            self.fetcher.wants_metadata = False
            self.metadata.stale = True

    def _needs_coordinator(self) -> bool:
        call = self.call
        waiting = call is not None and call.kind in (CallKind.COMMIT_SYNC, CallKind.COMMITTED, CallKind.CLOSE)
        return waiting or bool(self.subscriptions.in_state(FetchState.INITIALIZING))

    # -- commits -------------------------------------------------------------------------------

    def _may_commit(self) -> bool:
        if self.coordinator is None:
            return False
        return not self.subscriptions.group_managed or self.coordinator.generation_if_stable() is not None

    def _maybe_auto_commit(self) -> None:
        if self.coordinator is None or not self.config.enable_auto_commit:
            return
        if self.committer.auto_commit_due(self.now_ms, self.config):
            positions = self.subscriptions.all_consumed()
            if positions:
                self._send_commit(positions, CommitMode.AUTO, None)

    def _send_commit(
        self, offsets: Mapping[TopicPartition, int], mode: CommitMode, callback: CommitCallback | None
    ) -> int:
        """Send an OffsetCommit now, or fail it at once if this member may not commit now."""
        commit_id = self.committer.start(offsets, mode, callback)
        coordinator = self.coordinator
        assert coordinator is not None
        if coordinator.coordinator is None:
            self._commit_done(commit_id, ErrorCode.COORDINATOR_NOT_AVAILABLE)
        elif not offsets:
            self._commit_done(commit_id, ErrorCode.NONE)
        elif not self._may_commit():
            # ConsumerCoordinator.sendOffsetCommitRequest: no stable generation, no commit.
            self._commit_done(commit_id, ErrorCode.REBALANCE_IN_PROGRESS)
        else:
            generation = coordinator.generation_if_stable() if self.subscriptions.group_managed else None
            body = offset_commit_request(
                coordinator.group_id,
                offsets,
                generation_id=generation.generation_id if generation else -1,
                member_id=generation.member_id if generation else "",
            )
            correlation = self.send(coordinator.coordinator, body)
            self.in_flight[correlation].commit_id = commit_id
        return commit_id

    def _commit_done(self, commit_id: int, error: ErrorCode) -> None:
        outcome = self.committer.finish(commit_id, error)
        if outcome is None:
            return
        self._record(
            CommitEvent(time_ms=self.now_ms, mode=outcome.mode, offsets=tuple(sorted(outcome.offsets.items())), error=error)
        )
        coordinator = self.coordinator
        if coordinator is not None:
            coordinator.on_pre_join_commit_done(commit_id)
            if error is ErrorCode.UNKNOWN_MEMBER_ID:
                coordinator.reset_generation(keep_member_id=False)
            elif error is ErrorCode.ILLEGAL_GENERATION:
                coordinator.reset_generation(keep_member_id=True)
            elif error is ErrorCode.REBALANCE_IN_PROGRESS and self.subscriptions.group_managed:
                coordinator.request_rejoin()
            elif error in (ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR):
                coordinator.mark_coordinator_unknown()
        call = self.call
        if call is None or call.sent != commit_id:
            return
        if call.kind is CallKind.CLOSE:
            self._finish_close()
        elif error is ErrorCode.NONE:
            self._finish(CommitResult(offsets=outcome.offsets))
        elif outcome.retriable and self.now_ms < call.deadline_ms:
            call.sent, call.retry_at_ms = None, self.now_ms + self.config.retry_backoff_ms
        else:
            self._finish(CommitFailedError(f"commit of {len(outcome.offsets)} offset(s) failed: {error.name} ({int(error)})"))

    def _progress_commit_sync(self, call: _Call) -> None:
        if call.sent is None and self.now_ms >= call.retry_at_ms:
            coordinator = self.coordinator
            if coordinator is not None and coordinator.coordinator is not None:
                call.sent = self._send_commit(call.offsets, CommitMode.SYNC, None)
        if self.call is call and self.now_ms >= call.deadline_ms:
            self._finish(CommitFailedError(f"commit_sync() timed out after reaching {self.now_ms} ms"))

    def _progress_committed(self, call: _Call) -> None:
        coordinator = self.coordinator
        if call.sent is None and coordinator is not None and coordinator.coordinator is not None:
            body = offset_fetch_request(coordinator.group_id, list(call.partitions))
            call.sent = self.send(coordinator.coordinator, body, for_call=True)
        if self.now_ms >= call.deadline_ms:
            self._finish(GlassKafkaError(f"committed() timed out at {self.now_ms} ms"))

    # -- closing and leaving -------------------------------------------------------------------

    def _progress_close(self, call: _Call) -> None:
        if call.offsets and call.sent is None:
            call.sent = self._send_commit(call.offsets, CommitMode.AUTO, None)
        if self.call is call and self.now_ms >= call.deadline_ms:
            self._finish_close()

    def _finish_close(self) -> None:
        """Revoke (or lose), leave the group, and stop (``KafkaConsumer.close``)."""
        if self.subscriptions.group_managed and self.coordinator is not None:
            self._leave_group()
        self._finish(CloseResult())
        self.closed = True
        self.outbox.extend(CancelTimer(name=name) for name in sorted(self.timers))
        self.timers.clear()

    def _leave_group(self) -> None:
        coordinator = self.coordinator
        assert coordinator is not None
        owned = tuple(self.subscriptions.assignment)
        if owned:
            lost = coordinator.generation.generation_id < 0
            self.rebalance_callback(RebalanceKind.LOST if lost else RebalanceKind.REVOKED, owned)
            self.subscriptions.assign_from_subscribed(())
            self.fetcher.discard(set(owned))
        coordinator.leave(self)

    def _maybe_leave_for_slow_polls(self) -> None:
        """``max.poll.interval.ms`` passed without a poll: leave, the group rebalances (KIP-62)."""
        coordinator = self.coordinator
        polling = self.call is not None and self.call.kind is CallKind.POLL
        expired = self.now_ms >= self.last_poll_ms + self.config.max_poll_interval_ms
        if coordinator is not None and self.subscriptions.group_managed and expired and not polling:
            if coordinator.generation.member_id:
                coordinator.leave(self)
