"""CreateTopics (API key 19) and DeleteTopics (API key 20): the admin client's topic requests.

Theory of operation
-------------------
Admin clients send these to the **controller** (Metadata's ``controller_id``); any other broker
answers NOT_CONTROLLER (41).  The controller checks each topic on its own -- name rules
(``[A-Za-z0-9._-]``, at most 249 characters, not ``.`` or ``..``: INVALID_TOPIC_EXCEPTION),
partition count, replication factor against the live brokers, existence -- writes the
assignment to the coordination service, and answers per topic (``reference/wire-protocol.md``
§6).  ``validate_only`` runs the checks and changes nothing.

A topic is either given ``num_partitions`` and ``replication_factor`` (-1 = the broker's
defaults, from v4, KIP-464) or explicit ``assignments`` of broker ids per partition, and may carry
topic ``configs`` (``cleanup.policy``, ``retention.ms``...).

Versions served (``reference/wire-protocol.md`` §4-5): CreateTopics 2-4, DeleteTopics 1-3.

==================  =========================================================================
CreateTopics v1     ``validate_only``; response ``error_message``
CreateTopics v2     response ``throttle_time_ms`` (the Kafka 4 floor)
CreateTopics v3     same as v2
CreateTopics v4     ``num_partitions`` and ``replication_factor`` may be -1 (KIP-464)
DeleteTopics v1     response ``throttle_time_ms`` (the Kafka 4 floor); v2, v3 the same
==================  =========================================================================

Spec IDs: none.

Simplified from Kafka: CreateTopics 5+ and DeleteTopics 4+ (flexible; topic ids, returned
configs) are a later chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import BOOLEAN, INT16, INT32, STRING, ArrayOf, field, struct

__all__ = [
    "CREATE_TOPICS_REQUEST",
    "CREATE_TOPICS_RESPONSE",
    "DELETE_TOPICS_REQUEST",
    "DELETE_TOPICS_RESPONSE",
    "CreatableReplicaAssignment",
    "CreatableTopic",
    "CreatableTopicConfig",
    "CreatableTopicResult",
    "CreateTopicsRequest",
    "CreateTopicsResponse",
    "DeletableTopicResult",
    "DeleteTopicsRequest",
    "DeleteTopicsResponse",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableReplicaAssignment:
    """An explicit replica list (broker ids, preferred leader first) for one partition."""

    partition_index: int
    broker_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableTopicConfig:
    """One topic config to set, e.g. ``cleanup.policy=compact``."""

    name: str
    value: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableTopic:
    """A topic to create: partitions and replication factor, or explicit assignments."""

    name: str
    num_partitions: int
    replication_factor: int
    assignments: tuple[CreatableReplicaAssignment, ...]
    configs: tuple[CreatableTopicConfig, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTopicsRequest(Message):
    """Create topics (sent to the controller)."""

    topics: tuple[CreatableTopic, ...]
    timeout_ms: int = 60000
    validate_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableTopicResult:
    """The outcome for one topic."""

    name: str
    error_code: int
    error_message: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTopicsResponse(Message):
    """One result per topic asked for."""

    throttle_time_ms: int = 0
    topics: tuple[CreatableTopicResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteTopicsRequest(Message):
    """Delete topics by name (sent to the controller)."""

    topic_names: tuple[str, ...]
    timeout_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletableTopicResult:
    """The outcome for one topic (UNKNOWN_TOPIC_OR_PARTITION if there is none)."""

    name: str
    error_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteTopicsResponse(Message):
    """One result per topic asked for."""

    throttle_time_ms: int = 0
    responses: tuple[DeletableTopicResult, ...]


_CREATABLE_REPLICA_ASSIGNMENT = struct(
    CreatableReplicaAssignment,
    field("partition_index", INT32),
    field("broker_ids", ArrayOf(INT32)),
)

_CREATABLE_TOPIC_CONFIG = struct(
    CreatableTopicConfig,
    field("name", STRING),
    field("value", STRING, nullable="0+"),
)

_CREATABLE_TOPIC = struct(
    CreatableTopic,
    field("name", STRING),
    field("num_partitions", INT32),
    field("replication_factor", INT16),
    field("assignments", ArrayOf(_CREATABLE_REPLICA_ASSIGNMENT)),
    field("configs", ArrayOf(_CREATABLE_TOPIC_CONFIG)),
)

CREATE_TOPICS_REQUEST = struct(
    CreateTopicsRequest,
    field("topics", ArrayOf(_CREATABLE_TOPIC)),
    field("timeout_ms", INT32),
    field("validate_only", BOOLEAN, "1+"),
)

_CREATABLE_TOPIC_RESULT = struct(
    CreatableTopicResult,
    field("name", STRING),
    field("error_code", INT16),
    field("error_message", STRING, "1+", nullable="0+", ignorable=True),
)

CREATE_TOPICS_RESPONSE = struct(
    CreateTopicsResponse,
    field("throttle_time_ms", INT32, "2+", ignorable=True),
    field("topics", ArrayOf(_CREATABLE_TOPIC_RESULT)),
)

DELETE_TOPICS_REQUEST = struct(
    DeleteTopicsRequest,
    field("topic_names", ArrayOf(STRING), "0-5", ignorable=True),
    field("timeout_ms", INT32),
)

_DELETABLE_TOPIC_RESULT = struct(
    DeletableTopicResult,
    field("name", STRING),
    field("error_code", INT16),
)

DELETE_TOPICS_RESPONSE = struct(
    DeleteTopicsResponse,
    field("throttle_time_ms", INT32, "1+", ignorable=True),
    field("responses", ArrayOf(_DELETABLE_TOPIC_RESULT)),
)
