"""The group coordinator: a broker role that runs consumer groups and stores their offsets.

Theory of operation
-------------------
Kafka's classic group protocol splits the work: the *coordinator* (a broker) decides who is in
the group and when a generation starts, relays opaque subscription and assignment bytes, and
stores committed offsets; the *clients* choose the assignment (``glasskafka.assignors``).  This
package is the broker side, one concept per file:

==========================  ==================================================================
``placement.py``            which offsets partition (and so which broker) owns a group
``state.py``                the five group states and the legal-transition table
``member.py``               one member: protocols, timeouts, parked requests
``group.py``                one group: generation, leader, protocol, ``become_*`` transitions
``membership.py``           JoinGroup, MEMBER_ID_REQUIRED, the (delayed) join phase
``sync.py``                 SyncGroup, Heartbeat, LeaveGroup, session and sync expiry
``offsets.py``              OffsetCommit (fenced by generation) and OffsetFetch
``records.py``              the ``__consumer_offsets`` key and value formats
``offsets_store.py``        records from groups and offsets, and replaying a partition
``context.py``              what every handler is given; appends awaiting completion
``inspection.py``           FindCoordinator, DescribeGroups, ListGroups, snapshots
``host.py``                 THE SEAM: what a hosting broker gives the role and carries out
``coordinator.py``          :class:`GroupCoordinator`, which routes requests and owns the state
``coordinator_config.py``   the broker properties the role reads
==========================  ==================================================================

Start with ``host.py`` (how a broker hosts the role) and ``docs/concepts/group-coordinator.md``.

Spec IDs: GROUP-1 .. GROUP-6 (``specs/group.py``).

Simplified from Kafka: no static membership (KIP-345), no DeleteGroups, no offsets expiry
(KIP-211), no transactional offset commits (KIP-98), and not KIP-848's new consumer protocol.
"""

from glasskafka.group.coordinator import GroupCoordinator, OffsetsPartitionState
from glasskafka.group.coordinator_config import NEW_MEMBER_JOIN_TIMEOUT_MS, GroupCoordinatorConfig
from glasskafka.group.group import GroupMetadata, JoinPhase, Transition
from glasskafka.group.host import (
    TIMER_PREFIX,
    CoordinatorEndpoint,
    GroupStep,
    OffsetsAppend,
    ParkedRequest,
    parse_timer,
    timer_name,
)
from glasskafka.group.inspection import GroupView
from glasskafka.group.member import MemberMetadata
from glasskafka.group.offsets_store import (
    Replay,
    group_from_record,
    group_metadata_record,
    offset_commit_record,
    replay,
)
from glasskafka.group.placement import OFFSETS_TOPIC, java_string_hash, partition_for, utils_abs
from glasskafka.group.records import (
    GroupMetadataKey,
    GroupMetadataValue,
    MemberRecord,
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
from glasskafka.group.state import (
    VALID_PREVIOUS_STATES,
    GroupState,
    is_valid_transition,
    transition_dot,
    transition_edges,
)

__all__ = [
    "NEW_MEMBER_JOIN_TIMEOUT_MS",
    "OFFSETS_TOPIC",
    "TIMER_PREFIX",
    "VALID_PREVIOUS_STATES",
    "CoordinatorEndpoint",
    "GroupCoordinator",
    "GroupCoordinatorConfig",
    "GroupMetadata",
    "GroupMetadataKey",
    "GroupMetadataValue",
    "GroupState",
    "GroupStep",
    "GroupView",
    "JoinPhase",
    "MemberMetadata",
    "MemberRecord",
    "OffsetCommitKey",
    "OffsetCommitValue",
    "OffsetsAppend",
    "OffsetsPartitionState",
    "OffsetsRecordError",
    "ParkedRequest",
    "Replay",
    "Transition",
    "decode_group_metadata_value",
    "decode_key",
    "decode_offset_commit_value",
    "encode_group_metadata_value",
    "encode_key",
    "encode_offset_commit_value",
    "group_from_record",
    "group_metadata_record",
    "is_valid_transition",
    "java_string_hash",
    "offset_commit_record",
    "parse_timer",
    "partition_for",
    "replay",
    "timer_name",
    "transition_dot",
    "transition_edges",
    "utils_abs",
]
