"""The offsets store: turning group state into ``__consumer_offsets`` records, and back.

Theory of operation
-------------------
Writing: :func:`offset_commit_record` and :func:`group_metadata_record` build the records the
coordinator asks its host to append (``host.py``), with the key and value formats of
``records.py``.  A record's timestamp is the commit time.

Reading: when a broker becomes leader of an offsets partition it replays the partition from the
log start to the high watermark (``GroupMetadataManager.doLoadGroupsAndOffsets``).
:func:`replay` does the replaying: batches in offset order, records in order, and for each key
the last value wins -- a tombstone (``null`` value) deletes it, which is exactly what log
compaction keeps, so replaying a compacted log gives the same state as replaying the full one
(LOG-6 makes that safe).  Control batches (transaction markers) are skipped.  A record that is
not a valid key or value is counted in ``skipped`` and passed over: the coordinator must not crash
on its own log, and the count is visible to tests.

:func:`group_from_record` rebuilds a :class:`~glasskafka.group.group.GroupMetadata` from the last
group record: a record without members gives an Empty group at its generation; one with members
gives a Stable group whose members keep their subscriptions and assignments (a group stored in
the middle of a rebalance was stored as Stable: only a settled generation is ever written).  A
group that has offsets but no group record (an ``assign()`` consumer's) loads as Empty, generation
0.  The coordinator then restarts every loaded member's session timer.

Spec IDs: GROUP-1 (a loaded group resumes at its stored generation), GROUP-6 (acknowledged
commits survive failover).

Simplified from Kafka: no offsets expiry (KIP-211) and no transactional offsets (pending until the
transaction marker, KIP-98); loading is one call instead of a background scan in chunks of
``offsets.load.buffer.size``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.group.group import GroupMetadata
from glasskafka.group.member import MemberMetadata
from glasskafka.group.records import (
    GroupMetadataKey,
    GroupMetadataValue,
    OffsetCommitKey,
    OffsetCommitValue,
    OffsetsRecordError,
    decode_group_metadata_value,
    decode_key,
    decode_offset_commit_value,
    encode_group_metadata_value,
    encode_key,
    encode_offset_commit_value,
)
from glasskafka.group.state import GroupState
from glasskafka.ids import PartitionId, TopicName, TopicPartition
from glasskafka.records import (
    CorruptRecordError,
    Record,
    UnsupportedCompressionError,
    decode_batch,
    iter_batches,
)

__all__ = [
    "LoadedGroup",
    "Replay",
    "group_from_record",
    "group_metadata_record",
    "offset_commit_record",
    "replay",
]


def offset_commit_record(
    group_id: str, partition: TopicPartition, value: OffsetCommitValue
) -> Record:
    """The record that stores one committed offset."""
    key = OffsetCommitKey(group=group_id, topic=partition[0], partition=partition[1])
    return Record(
        key=encode_key(key),
        value=encode_offset_commit_value(value),
        timestamp=value.commit_timestamp,
    )


def group_metadata_record(group_id: str, value: GroupMetadataValue, now_ms: int) -> Record:
    """The record that stores a group's settled generation."""
    return Record(
        key=encode_key(GroupMetadataKey(group=group_id)),
        value=encode_group_metadata_value(value),
        timestamp=now_ms,
    )


@dataclass(slots=True, kw_only=True)
class LoadedGroup:
    """What the log says about one group: its last metadata record and its offsets."""

    metadata: GroupMetadataValue | None = None
    offsets: dict[TopicPartition, OffsetCommitValue] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class Replay:
    """The result of replaying one offsets partition."""

    groups: dict[str, LoadedGroup] = field(default_factory=dict)
    records: int = 0
    skipped: int = 0


def _apply(result: Replay, key_bytes: bytes | None, value: bytes | None) -> None:
    if key_bytes is None:
        raise OffsetsRecordError("a record without a key")
    key = decode_key(key_bytes)
    loaded = result.groups.setdefault(key.group, LoadedGroup())
    if isinstance(key, OffsetCommitKey):
        partition = (TopicName(key.topic), PartitionId(key.partition))
        if value is None:
            loaded.offsets.pop(partition, None)
        else:
            loaded.offsets[partition] = decode_offset_commit_value(value)
    else:
        loaded.metadata = None if value is None else decode_group_metadata_value(value)


def replay(records: bytes) -> Replay:
    """Replay the batches in ``records`` (log order); the last value of each key wins.

    A batch that fails its checks ends the replay (the rest of the buffer cannot be trusted);
    a single bad record is skipped.  Both are counted in ``skipped``.
    """
    result = Replay()
    try:
        for position, _ in iter_batches(records):
            batch = decode_batch(records, position)
            if batch.header.is_control:
                continue
            for record in batch.records:
                result.records += 1
                try:
                    _apply(result, record.key, record.value)
                except OffsetsRecordError:
                    result.skipped += 1
    except (CorruptRecordError, UnsupportedCompressionError):
        result.skipped += 1
    # A group whose metadata and offsets were all deleted is gone, as after compaction.
    result.groups = {
        group_id: loaded
        for group_id, loaded in sorted(result.groups.items())
        if loaded.metadata is not None or loaded.offsets
    }
    return result


def group_from_record(group_id: str, loaded: LoadedGroup) -> GroupMetadata:
    """Rebuild a group from its last metadata record and offsets (Empty or Stable).

    The group is *constructed* in its state, not moved into it, as Kafka's
    ``GroupMetadata.loadGroup`` does: loading is not a transition a running group makes.
    """
    value = loaded.metadata
    if value is None:
        return GroupMetadata(group_id=group_id, offsets=dict(loaded.offsets))
    members: dict[str, MemberMetadata] = {}
    for record in value.members:
        protocols = ((value.protocol, record.subscription),) if value.protocol else ()
        members[record.member_id] = MemberMetadata(
            member_id=record.member_id,
            group_instance_id=record.group_instance_id,
            client_id=record.client_id,
            client_host=record.client_host,
            rebalance_timeout_ms=record.rebalance_timeout,
            session_timeout_ms=record.session_timeout,
            protocol_type=value.protocol_type,
            protocols=protocols,
            assignment=record.assignment,
        )
    leader = value.leader if value.leader in members else next(iter(members), None)
    return GroupMetadata(
        group_id=group_id,
        state=GroupState.STABLE if members else GroupState.EMPTY,
        generation_id=value.generation,
        protocol_type=value.protocol_type or None,
        protocol_name=value.protocol if members else None,
        leader_id=leader,
        members=members,
        offsets=dict(loaded.offsets),
    )
