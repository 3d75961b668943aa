"""Committing positions (sync, async, auto) and reading committed offsets back.

Theory of operation
-------------------
A commit tells the group where to resume: for each partition, the *next* offset to read
(``KafkaConsumer.commitSync`` javadoc: "the committed offset should be the next message your
application will consume, i.e. lastProcessedMessageOffset + 1").  Commits go to the group
coordinator as OffsetCommit, carrying the member id and generation so the coordinator can refuse
a member that has been left behind (GROUP-3); a consumer that uses ``assign()`` sends generation
-1 and no member id (``ConsumerCoordinator.sendOffsetCommitRequest``).  A group member commits
only while its group is Stable: during a rebalance it does not know whether the partitions are
still its own, and Kafka fails such a commit before sending it.

Three ways to commit, one machinery (:class:`OffsetCommitter`):

* ``commit_sync`` -- a blocking call: retriable errors (coordinator moving, loading) are retried
  after ``retry.backoff.ms`` until ``default.api.timeout.ms``; ILLEGAL_GENERATION,
  UNKNOWN_MEMBER_ID and REBALANCE_IN_PROGRESS fail it (Kafka's ``CommitFailedException`` and
  ``RebalanceInProgressException``);
* ``commit_async`` -- sent once; its callback gets the outcome, and errors are not retried;
* ``enable.auto.commit`` -- every ``auto.commit.interval.ms``, *at the start of a poll*, the
  positions reached by the polls before it are committed asynchronously; also synchronously
  before the consumer gives up partitions in a rebalance, and when it closes.  Because the
  application processes a poll's records before it polls again, an auto-commit never covers a
  record that was not yet handed to the application in an earlier poll: at-least-once, with the
  records after the last commit redelivered after a crash (``reference/delivery-semantics.md``
  §9: auto-commit commits the *previous* poll's offsets).

Reading back: a newly assigned partition has no position; the consumer asks the coordinator for
the committed offset (OffsetFetch) and starts there, or, with none committed, resets by
``auto.offset.reset`` (``none`` makes the next poll raise).  The bug flag
``resume_after_committed`` acts in :func:`apply_committed`.

Spec IDs: DELIV-19 (at-least-once per group) depends on committing only processed positions and
resuming exactly at the committed offset.

Simplified from Kafka: no leader epoch is committed or validated (KIP-320), no
``require_stable`` on OffsetFetch (KIP-447), and commit callbacks run inside the consumer's input
rather than on the next poll.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from glasskafka.bugs import BugFlags
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_coordinator import ConsumerCoordinator
from glasskafka.client.consumer_events import (
    CallKind,
    CallResult,
    CommitEvent,
    CommitFailedError,
    CommitMode,
    CommitResult,
    CommittedResult,
    ConsumerEvent,
    NoOffsetForPartitionError,
    PendingCall,
)
from glasskafka.client.fetcher import Fetcher
from glasskafka.client.subscription_state import (
    FetchState,
    OffsetResetStrategy,
    SubscriptionState,
)
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import NodeId, PartitionId, TopicName, TopicPartition
from glasskafka.node import Message
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetCommitResponse,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
    OffsetFetchResponse,
)

__all__ = [
    "NETWORK_ERROR",
    "CommitCallback",
    "CommitHost",
    "CommitOutcome",
    "InFlightCommit",
    "OffsetCommitter",
    "apply_committed",
    "commit_done",
    "commit_error",
    "committed_offsets",
    "may_commit",
    "maybe_auto_commit",
    "offset_commit_request",
    "offset_fetch_request",
    "on_offset_fetch",
    "progress_commit_sync",
    "progress_committed",
    "request_committed",
    "retry_close_commit",
    "send_commit",
]

CommitCallback = Callable[[Mapping[TopicPartition, int], ErrorCode], None]
"""``OffsetCommitCallback.onComplete``: the offsets, and NONE or the error."""

NETWORK_ERROR = ErrorCode.NETWORK_EXCEPTION
"""The outcome of a commit whose connection broke before its answer came."""

_RETRY_COMMIT = frozenset(
    {
        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        ErrorCode.NOT_COORDINATOR,
        ErrorCode.REQUEST_TIMED_OUT,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.NETWORK_EXCEPTION,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitOutcome:
    """What became of one commit."""

    commit_id: int
    mode: CommitMode
    offsets: dict[TopicPartition, int]
    error: ErrorCode

    @property
    def retriable(self) -> bool:
        return self.error in _RETRY_COMMIT


@dataclass(slots=True, kw_only=True)
class InFlightCommit:
    """A commit sent and not answered yet."""

    mode: CommitMode
    offsets: dict[TopicPartition, int]
    callback: CommitCallback | None = None


@dataclass(slots=True, kw_only=True)
class OffsetCommitter:
    """Commits in flight, the auto-commit clock, and committed-offset lookups in flight."""

    next_auto_commit_ms: int
    in_flight: dict[int, InFlightCommit] = field(default_factory=dict)
    next_commit_id: int = 1
    looking_up: set[TopicPartition] = field(default_factory=set)

    def auto_commit_due(self, now_ms: int, config: ConsumerConfig) -> bool:
        """Whether an auto-commit is due now; if so, the next one is an interval away."""
        if now_ms < self.next_auto_commit_ms:
            return False
        self.next_auto_commit_ms = now_ms + config.auto_commit_interval_ms
        return True

    def start(
        self,
        offsets: Mapping[TopicPartition, int],
        mode: CommitMode,
        callback: CommitCallback | None,
    ) -> int:
        """Remember a commit about to be sent; returns its id."""
        commit_id = self.next_commit_id
        self.next_commit_id += 1
        self.in_flight[commit_id] = InFlightCommit(
            mode=mode, offsets=dict(offsets), callback=callback
        )
        return commit_id

    def finish(self, commit_id: int, error: ErrorCode) -> CommitOutcome | None:
        """The commit's answer (or failure) arrived; runs its callback.  None if unknown."""
        commit = self.in_flight.pop(commit_id, None)
        if commit is None:
            return None
        if commit.callback is not None:
            commit.callback(dict(commit.offsets), error)
        return CommitOutcome(
            commit_id=commit_id, mode=commit.mode, offsets=commit.offsets, error=error
        )


def offset_commit_request(
    group_id: str, offsets: Mapping[TopicPartition, int], *, generation_id: int, member_id: str
) -> OffsetCommitRequest:
    """The OffsetCommit for ``offsets`` (topics and partitions in sorted order)."""
    topics: dict[str, list[OffsetCommitRequestPartition]] = {}
    for (topic, partition), offset in sorted(offsets.items()):
        topics.setdefault(topic, []).append(
            OffsetCommitRequestPartition(
                partition_index=partition, committed_offset=offset, committed_metadata=""
            )
        )
    return OffsetCommitRequest(
        group_id=group_id,
        generation_id=generation_id,
        member_id=member_id,
        topics=tuple(
            OffsetCommitRequestTopic(name=t, partitions=tuple(ps)) for t, ps in topics.items()
        ),
    )


def commit_error(response: OffsetCommitResponse) -> ErrorCode:
    """The commit's outcome: NONE, or the first partition error (they share one cause)."""
    for topic in response.topics:
        for partition in topic.partitions:
            if partition.error_code != ErrorCode.NONE:
                return _code(partition.error_code)
    return ErrorCode.NONE


def offset_fetch_request(group_id: str, partitions: list[TopicPartition]) -> OffsetFetchRequest:
    """OffsetFetch for ``partitions`` (grouped by topic, in the order given)."""
    topics: dict[str, list[int]] = {}
    for topic, partition in partitions:
        topics.setdefault(topic, []).append(partition)
    return OffsetFetchRequest(
        group_id=group_id,
        topics=tuple(
            OffsetFetchRequestTopic(name=t, partition_indexes=tuple(ps)) for t, ps in topics.items()
        ),
    )


def committed_offsets(
    response: OffsetFetchResponse,
) -> tuple[ErrorCode, dict[TopicPartition, int]]:
    """The group error (or the first partition error), and each committed offset (-1: none)."""
    top = _code(response.error_code)
    offsets: dict[TopicPartition, int] = {}
    for topic in response.topics:
        for p in topic.partitions:
            if top is ErrorCode.NONE:
                top = _code(p.error_code)
            offsets[(TopicName(topic.name), PartitionId(p.partition_index))] = p.committed_offset
    return top, offsets


def _code(value: int) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR


def apply_committed(
    committed: Mapping[TopicPartition, int],
    subscriptions: SubscriptionState,
    config: ConsumerConfig,
    bugs: BugFlags,
) -> NoOffsetForPartitionError | None:
    """Give each INITIALIZING partition its position: the committed offset, or a reset.

    Returns an error for the next poll when a partition has no committed offset and
    ``auto.offset.reset=none`` (Kafka's ``NoOffsetForPartitionException``), else None.
    """
    missing = []
    for partition, offset in committed.items():
        state = subscriptions.assignment.get(partition)
        if state is None or state.fetch_state is not FetchState.INITIALIZING:
            continue
        if offset >= 0:
            # Kafka resumes *at* the committed offset: it already means "the next to read".
            # BUG FLAG resume_after_committed: read it as "the last processed" and skip one.
            resume = offset + 1 if bugs.resume_after_committed else offset
            subscriptions.seek(partition, resume)
        elif config.auto_offset_reset == "none":
            missing.append(f"{partition[0]}-{partition[1]}")
        else:
            subscriptions.request_reset(partition, OffsetResetStrategy(config.auto_offset_reset))
    if missing:
        return NoOffsetForPartitionError(
            f"no committed offset for partition(s) {', '.join(missing)} and "
            "auto.offset.reset=none; seek() to a position or choose earliest or latest"
        )
    return None


# ---------------------------------------------------------------------------------------------
# Orchestration: the node's part of committing, through the CommitHost protocol


class CommitHost(Protocol):
    """What the consumer node lends the commit logic."""

    now_ms: int
    config: ConsumerConfig
    bugs: BugFlags
    subscriptions: SubscriptionState
    committer: OffsetCommitter
    coordinator: ConsumerCoordinator | None
    call: PendingCall | None
    fetcher: Fetcher

    def send(self, to: NodeId, body: Message, *, commit_id: int | None = None) -> int:
        """Send a request; returns its correlation id."""

    def finish(self, result: CallResult | GlassKafkaError) -> None:
        """The blocking call in progress is over."""

    def record(self, event: ConsumerEvent) -> None:
        """Remember an event in the history, if one is kept."""


def may_commit(host: CommitHost) -> bool:
    """A group member commits only while Stable; an ``assign()`` consumer always may."""
    coordinator = host.coordinator
    if coordinator is None:
        return False
    if not host.subscriptions.group_managed:
        return True
    return coordinator.generation_if_stable() is not None


def maybe_auto_commit(host: CommitHost) -> None:
    """Commit every position asynchronously if ``auto.commit.interval.ms`` has passed."""
    if host.coordinator is None or not host.config.enable_auto_commit:
        return
    if host.committer.auto_commit_due(host.now_ms, host.config):
        positions = host.subscriptions.all_consumed()
        if positions:
            send_commit(host, positions, CommitMode.AUTO, None)


def send_commit(
    host: CommitHost,
    offsets: Mapping[TopicPartition, int],
    mode: CommitMode,
    callback: CommitCallback | None,
    *,
    call: PendingCall | None = None,
) -> int:
    """Send an OffsetCommit now, or fail it at once if it cannot be sent; returns its id.

    ``call`` is the blocking call that waits for this commit: it learns the commit's id before
    anything is sent, so a commit that fails at once (no stable generation) still ends it.
    """
    commit_id = host.committer.start(offsets, mode, callback)
    if call is not None:
        call.sent = commit_id
    coordinator = host.coordinator
    assert coordinator is not None
    if coordinator.coordinator is None:
        commit_done(host, commit_id, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    elif not offsets:
        commit_done(host, commit_id, ErrorCode.NONE)
    elif not may_commit(host):
        # ConsumerCoordinator.sendOffsetCommitRequest: no stable generation, no commit.
        commit_done(host, commit_id, ErrorCode.REBALANCE_IN_PROGRESS)
    else:
        group_managed = host.subscriptions.group_managed
        generation = coordinator.generation_if_stable() if group_managed else None
        body = offset_commit_request(
            coordinator.group_id,
            offsets,
            generation_id=generation.generation_id if generation else -1,
            member_id=generation.member_id if generation else "",
        )
        host.send(coordinator.coordinator, body, commit_id=commit_id)
    return commit_id


def _react(coordinator: ConsumerCoordinator, error: ErrorCode, group_managed: bool) -> None:
    """What a commit's error tells the member about its group (OffsetCommitResponseHandler)."""
    if error is ErrorCode.UNKNOWN_MEMBER_ID:
        coordinator.reset_generation(keep_member_id=False)
    elif error is ErrorCode.ILLEGAL_GENERATION:
        coordinator.reset_generation(keep_member_id=True)
    elif error is ErrorCode.REBALANCE_IN_PROGRESS and group_managed:
        coordinator.request_rejoin()
    elif error in (ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR):
        coordinator.mark_coordinator_unknown()


def commit_done(host: CommitHost, commit_id: int, error: ErrorCode) -> None:
    """A commit is answered (or failed): callback, history, group reactions, the waiting call."""
    outcome = host.committer.finish(commit_id, error)
    if outcome is None:
        return
    offsets = tuple(sorted(outcome.offsets.items()))
    host.record(CommitEvent(time_ms=host.now_ms, mode=outcome.mode, offsets=offsets, error=error))
    coordinator = host.coordinator
    if coordinator is not None:
        coordinator.on_pre_join_commit_done(commit_id)
        _react(coordinator, error, host.subscriptions.group_managed)
    call = host.call
    if call is None or call.sent != commit_id:
        return
    if call.kind is CallKind.CLOSE:
        # KafkaConsumer.close -> maybeAutoCommitOffsetsSync: a retriable error (the coordinator
        # moving, or __consumer_offsets still being created) is retried until the close timeout.
        if outcome.retriable and host.now_ms < call.deadline_ms:
            call.sent, call.retry_at_ms = None, host.now_ms + host.config.retry_backoff_ms
        return
    if call.kind is not CallKind.COMMIT_SYNC:
        return
    if error is ErrorCode.NONE:
        host.finish(CommitResult(offsets=outcome.offsets))
    elif outcome.retriable and host.now_ms < call.deadline_ms:
        call.sent, call.retry_at_ms = None, host.now_ms + host.config.retry_backoff_ms
    else:
        count = len(outcome.offsets)
        host.finish(CommitFailedError(f"commit of {count} offset(s) failed: {error.name}"))


def progress_commit_sync(host: CommitHost, call: PendingCall) -> None:
    """Send the call's commit once the coordinator is known (and again after a retriable error)."""
    if not call.offsets:
        # ConsumerCoordinator.commitOffsetsSync: nothing to commit returns at once, without
        # looking for the coordinator.
        host.finish(CommitResult(offsets={}))
        return
    coordinator = host.coordinator
    ready = coordinator is not None and coordinator.coordinator is not None
    if call.sent is None and host.now_ms >= call.retry_at_ms and ready:
        send_commit(host, call.offsets, CommitMode.SYNC, None, call=call)
    if host.call is call and host.now_ms >= call.deadline_ms:
        host.finish(CommitFailedError(f"commit_sync() timed out at {host.now_ms} ms"))


def retry_close_commit(host: CommitHost, call: PendingCall) -> None:
    """close(): send the auto-commit again after a retriable error, once it may be sent."""
    coordinator = host.coordinator
    ready = coordinator is not None and coordinator.coordinator is not None
    if host.now_ms >= call.retry_at_ms and ready and may_commit(host):
        send_commit(host, call.offsets, CommitMode.AUTO, None, call=call)


def progress_committed(host: CommitHost, call: PendingCall) -> None:
    """Send the call's OffsetFetch once the coordinator is known."""
    coordinator = host.coordinator
    if call.sent is None and coordinator is not None and coordinator.coordinator is not None:
        body = offset_fetch_request(coordinator.group_id, list(call.partitions))
        call.sent = host.send(coordinator.coordinator, body)
    if host.call is call and host.now_ms >= call.deadline_ms:
        host.finish(GlassKafkaError(f"committed() timed out at {host.now_ms} ms"))


def request_committed(host: CommitHost) -> None:
    """Ask the coordinator for the committed offsets of new partitions (without a group:
    there are none, so reset them at once)."""
    initializing = host.subscriptions.in_state(FetchState.INITIALIZING)
    if not initializing:
        return
    coordinator = host.coordinator
    if coordinator is None:
        none = dict.fromkeys(initializing, -1)
        error = apply_committed(none, host.subscriptions, host.config, host.bugs)
        host.fetcher.error = host.fetcher.error or error
        return
    asked = [tp for tp in initializing if tp not in host.committer.looking_up]
    if asked and coordinator.coordinator is not None:
        host.committer.looking_up.update(asked)
        host.send(coordinator.coordinator, offset_fetch_request(coordinator.group_id, asked))


def on_offset_fetch(host: CommitHost, correlation: int, response: OffsetFetchResponse) -> None:
    """An OffsetFetch answered: the ``committed()`` call's, or new partitions' positions."""
    error, offsets = committed_offsets(response)
    coordinator = host.coordinator
    if error in (ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE) and coordinator:
        coordinator.mark_coordinator_unknown()
    call = host.call
    if call is not None and call.kind is CallKind.COMMITTED and call.sent == correlation:
        if error is not ErrorCode.NONE:
            call.sent = None  # asked again once the coordinator is known and loaded
            return
        found = {tp: offsets.get(tp, -1) for tp in call.partitions}
        host.finish(CommittedResult(offsets={tp: o if o >= 0 else None for tp, o in found.items()}))
        return
    host.committer.looking_up.difference_update(offsets)
    if error is not ErrorCode.NONE:
        host.committer.looking_up.clear()
        return
    problem = apply_committed(offsets, host.subscriptions, host.config, host.bugs)
    host.fetcher.error = host.fetcher.error or problem
