"""OffsetCommit and OffsetFetch: a group's committed positions, fenced by generation.

Theory of operation
-------------------
A committed offset is Kafka's promise to the *next* reader of a partition: start here.  It is
only as good as the fence around it (``reference/clients-and-groups.md`` §10.3;
``GroupCoordinator.doCommitOffsets``):

* a member of the group must name the current generation and be a member: a member of an older
  generation may still be processing partitions that now belong to someone else, and letting it
  commit would move the new owner's position under its feet (GROUP-3).  Refusals are
  ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID;
* a consumer that assigns its partitions itself (``assign()``) never joins: it sends generation
  -1 and an empty member id, which is accepted only while the group has no members (Empty);
* during CompletingRebalance a member's commit is refused with REBALANCE_IN_PROGRESS (it has
  its new generation but not yet its partitions); during PreparingRebalance commits are still
  accepted, so an eager member can commit what it processed before it revokes.

An accepted commit is not acknowledged until its records are committed in the offsets log
(:class:`~glasskafka.group.context.PendingCommit`; ``offsets.commit.required.acks=-1``): only
then does the coordinator update its cache and answer NONE, so an acknowledged commit survives
the coordinator's failover (GROUP-6).  A failed append maps to the error a client understands
(``GroupMetadataManager.storeOffsets``): NOT_LEADER_OR_FOLLOWER becomes NOT_COORDINATOR, too few
replicas COORDINATOR_NOT_AVAILABLE, an oversized batch INVALID_COMMIT_OFFSET_SIZE.

OffsetFetch reads the cache regardless of the group's state, answering offset -1 where nothing
was committed; ``topics=None`` (v2+) asks for every partition the group has committed.

The bug flag ``stale_generation_commit_accepted`` acts in :func:`_commit_error`.

Spec IDs: GROUP-3, GROUP-6.

Simplified from Kafka: the coordinator does not know which topics exist, so it cannot answer
UNKNOWN_TOPIC_OR_PARTITION for a topic that was never created (only for a malformed name or a
negative partition); no offsets retention (KIP-211), no transactional commits (KIP-98).
"""

from __future__ import annotations

import re

from glasskafka.errors import ErrorCode
from glasskafka.group.context import Context, PendingCommit
from glasskafka.group.group import GroupMetadata
from glasskafka.group.host import ParkedRequest
from glasskafka.group.membership import schedule_heartbeat
from glasskafka.group.offsets_store import offset_commit_record
from glasskafka.group.records import OffsetCommitValue
from glasskafka.group.state import GroupState
from glasskafka.ids import PartitionId, TopicName, TopicPartition
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetCommitResponse,
    OffsetCommitResponsePartition,
    OffsetCommitResponseTopic,
    OffsetFetchRequest,
    OffsetFetchResponse,
    OffsetFetchResponsePartition,
    OffsetFetchResponseTopic,
)

__all__ = [
    "append_error",
    "commit_response",
    "fetch_offsets",
    "offset_fetch_error",
    "on_commit_appended",
    "on_offset_commit",
]

_TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")


def commit_response(
    request: OffsetCommitRequest, errors: dict[TopicPartition, int]
) -> OffsetCommitResponse:
    """One error per requested partition, in the request's order."""
    return OffsetCommitResponse(
        topics=tuple(
            OffsetCommitResponseTopic(
                name=topic.name,
                partitions=tuple(
                    OffsetCommitResponsePartition(
                        partition_index=p.partition_index,
                        error_code=errors[(TopicName(topic.name), PartitionId(p.partition_index))],
                    )
                    for p in topic.partitions
                ),
            )
            for topic in request.topics
        )
    )


def _requested(request: OffsetCommitRequest) -> list[TopicPartition]:
    return [
        (TopicName(topic.name), PartitionId(p.partition_index))
        for topic in request.topics
        for p in topic.partitions
    ]


def on_offset_commit(group: GroupMetadata, parked: ParkedRequest, ctx: Context) -> None:
    """Validate a commit against the group and store it, or answer the refusal at once.

    Invariants: GROUP-3, GROUP-6.
    """
    request = parked.request.body
    assert isinstance(request, OffsetCommitRequest)
    error = _commit_error(group, request, ctx)
    if error is not ErrorCode.NONE:
        ctx.effects.respond(
            parked, commit_response(request, dict.fromkeys(_requested(request), error))
        )
        return
    member = group.members.get(request.member_id)
    if member is not None:
        # A commit is a sign of life, like a heartbeat (completeAndScheduleNextHeartbeatExpiration).
        schedule_heartbeat(group, member, ctx, member.session_timeout_ms)
    _store_offsets(group, parked, request, ctx)


def _commit_error(group: GroupMetadata, request: OffsetCommitRequest, ctx: Context) -> ErrorCode:
    """NONE if ``request`` may commit for ``group`` now, else the refusal (GROUP-3)."""
    if group.state is GroupState.DEAD:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if request.generation_id < 0 and group.state is GroupState.EMPTY:
        return ErrorCode.NONE  # the group only uses Kafka to store offsets: assign() consumers
    if request.member_id not in group.members:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if request.generation_id != group.generation_id:
        # BUG FLAG stale_generation_commit_accepted: let a member of an older generation commit,
        # the fence that GroupCoordinator.doCommitOffsets keeps with ILLEGAL_GENERATION.  The old
        # owner of a reassigned partition then moves the new owner's committed position.
        stale = request.generation_id < group.generation_id
        if not (ctx.bugs.stale_generation_commit_accepted and stale):
            return ErrorCode.ILLEGAL_GENERATION
    if group.state is GroupState.COMPLETING_REBALANCE:
        return ErrorCode.REBALANCE_IN_PROGRESS
    return ErrorCode.NONE


def _store_offsets(
    group: GroupMetadata, parked: ParkedRequest, request: OffsetCommitRequest, ctx: Context
) -> None:
    accepted: dict[TopicPartition, OffsetCommitValue] = {}
    refused: dict[TopicPartition, int] = {}
    # Only OffsetCommit v2-4 carry a retention time; -1 means the broker default (no expiry).
    retention = request.retention_time_ms if 2 <= parked.api_version <= 4 else -1
    for topic in request.topics:
        for p in topic.partitions:
            tp = (TopicName(topic.name), PartitionId(p.partition_index))
            metadata = p.committed_metadata or ""
            if not _TOPIC_NAME.fullmatch(topic.name) or p.partition_index < 0:
                refused[tp] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            elif len(metadata.encode("utf-8")) > ctx.config.offset_metadata_max_bytes:
                refused[tp] = ErrorCode.OFFSET_METADATA_TOO_LARGE
            else:
                refused.pop(tp, None)
                accepted[tp] = OffsetCommitValue(
                    offset=p.committed_offset,
                    leader_epoch=p.committed_leader_epoch,
                    metadata=metadata,
                    commit_timestamp=ctx.now_ms,
                    expire_timestamp=ctx.now_ms + retention if retention >= 0 else -1,
                )
    if not accepted:
        ctx.effects.respond(parked, commit_response(request, refused))
        return
    records = tuple(
        offset_commit_record(group.group_id, tp, value) for tp, value in accepted.items()
    )
    pending = PendingCommit(
        group_id=group.group_id,
        parked=parked,
        offsets=tuple(accepted.items()),
        refused=tuple(refused.items()),
    )
    ctx.append(group.group_id, records, pending)


def append_error(code: ErrorCode, *, offsets: bool) -> ErrorCode:
    """The error a client gets when an append to the offsets log failed with ``code``.

    ``GroupMetadataManager.storeOffsets`` (``offsets=True``) and ``storeGroup`` map the log's
    errors to ones a group member knows how to handle.
    """
    if code in (
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.NOT_ENOUGH_REPLICAS,
        ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        ErrorCode.REQUEST_TIMED_OUT,
    ):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if code in (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR):
        return ErrorCode.NOT_COORDINATOR
    if code in (
        ErrorCode.MESSAGE_TOO_LARGE,
        ErrorCode.RECORD_LIST_TOO_LARGE,
        ErrorCode.INVALID_FETCH_SIZE,
    ):
        return ErrorCode.INVALID_COMMIT_OFFSET_SIZE if offsets else ErrorCode.UNKNOWN_SERVER_ERROR
    return code if offsets or code is ErrorCode.NONE else ErrorCode.UNKNOWN_SERVER_ERROR


def on_commit_appended(
    group: GroupMetadata | None, pending: PendingCommit, code: ErrorCode, ctx: Context
) -> None:
    """The commit's records are committed (or not): update the cache, then answer.

    Invariants: GROUP-6 (an acknowledged commit is in the log).
    """
    request = pending.parked.request.body
    assert isinstance(request, OffsetCommitRequest)
    error = append_error(code, offsets=True)
    if error is ErrorCode.NONE and group is not None and group.state is not GroupState.DEAD:
        for tp, value in pending.offsets:
            group.offsets[tp] = value
    errors: dict[TopicPartition, int] = {tp: error for tp, _ in pending.offsets}
    errors.update(pending.refused)
    ctx.effects.respond(pending.parked, commit_response(request, errors))


def offset_fetch_error(request: OffsetFetchRequest, code: ErrorCode) -> OffsetFetchResponse:
    """A whole-request error: every asked partition carries it, and (v2+) so does the top."""
    return OffsetFetchResponse(
        error_code=code,
        topics=tuple(
            OffsetFetchResponseTopic(
                name=topic.name,
                partitions=tuple(
                    OffsetFetchResponsePartition(
                        partition_index=index, committed_offset=-1, metadata="", error_code=code
                    )
                    for index in topic.partition_indexes
                ),
            )
            for topic in request.topics or ()
        ),
    )


def fetch_offsets(group: GroupMetadata | None, request: OffsetFetchRequest) -> OffsetFetchResponse:
    """The committed offsets asked for (-1 where none), or all of them for ``topics=None``."""
    offsets = group.offsets if group is not None else {}
    if request.topics is None:
        wanted: dict[str, list[int]] = {}
        for topic, partition in sorted(offsets):
            wanted.setdefault(topic, []).append(partition)
        asked = list(wanted.items())
    else:
        asked = [(t.name, list(t.partition_indexes)) for t in request.topics]
    topics = []
    for name, indexes in asked:
        partitions = []
        for index in indexes:
            value = offsets.get((TopicName(name), PartitionId(index)))
            partitions.append(
                OffsetFetchResponsePartition(
                    partition_index=index,
                    committed_offset=value.offset if value else -1,
                    committed_leader_epoch=value.leader_epoch if value else -1,
                    metadata=value.metadata if value else "",
                    error_code=ErrorCode.NONE,
                )
            )
        topics.append(OffsetFetchResponseTopic(name=name, partitions=tuple(partitions)))
    return OffsetFetchResponse(topics=tuple(topics), error_code=ErrorCode.NONE)
