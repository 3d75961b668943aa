"""Topic creation rules: what a CreateTopics entry must satisfy, and the plan it turns into.

Theory of operation
-------------------
A CreateTopics request (sent to the controller; other brokers answer NOT_CONTROLLER) lists topics,
each with a partition count and a replication factor, or an explicit replica assignment, and
config overrides.  :func:`plan_topic` checks one entry the way Kafka's ``ZkAdminManager`` and
``AdminZkClient.validateTopicCreate`` do, in this order, and returns either a :class:`TopicPlan`
(the assignment and configs to write) or a :class:`TopicError` with Kafka's code and a message:

1. the name: only ``[A-Za-z0-9._-]``, 1 to 249 characters, not ``.`` or ``..``
   (17 INVALID_TOPIC_EXCEPTION);
2. no topic of that name, nor one still being deleted (36 TOPIC_ALREADY_EXISTS, "Topic 'x'
   already exists.");
3. no topic whose name is the same once ``.`` reads as ``_``, since both would map to the same
   metric names (17, "collides with existing topic");
4. not both counts and an explicit assignment (42 INVALID_REQUEST);
5. partitions at least 1, ``-1`` meaning ``num.partitions`` (37 INVALID_PARTITIONS);
6. replication factor at least 1, ``-1`` meaning ``default.replication.factor``, and at most the
   live brokers (38 INVALID_REPLICATION_FACTOR, "larger than available brokers");
7. an explicit assignment: partitions ``0..n-1``, equal sizes, no duplicate or unknown broker
   (39 INVALID_REPLICA_ASSIGNMENT);
8. every config a known topic config with a valid value (40 INVALID_CONFIG).

The name rules matter beyond tidiness: a topic name becomes a directory name in every broker's
log directory, so ``../x`` or ``a/b`` must never get through (DESIGN §7).  The rules are shared with
the log (``glasskafka.log.validate_topic``), which refuses such names a second time.

Without an explicit assignment the replicas are placed by the course's rule
(:mod:`~glasskafka.controller.placement`) over the live brokers.

Spec IDs: none (input validation; see ``reference/wire-protocol.md`` §6 for the codes).

Simplified from Kafka: no ``CreateTopicPolicy`` (``create.topic.policy.class.name``), no internal
topic protections, and a cap of :data:`MAX_PARTITIONS` partitions per topic, which Kafka does not
have: a classroom cluster should refuse a typo like ``--partitions 1000000`` instead of creating a
million znodes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from glasskafka.config import BrokerConfig, TopicConfig
from glasskafka.controller.placement import Assignment, assign_replicas_course
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import BrokerId, PartitionId, TopicName
from glasskafka.log import LogError, validate_topic
from glasskafka.protocol.messages.topic_admin import CreatableTopic

__all__ = ["MAX_PARTITIONS", "TopicError", "TopicPlan", "collision_of", "plan_topic"]

MAX_PARTITIONS = 10_000
"""glasskafka's own cap on partitions per topic (Kafka has none)."""

_DEFAULT = -1
"""``num_partitions``/``replication_factor`` of ``-1``: use the broker's default (KIP-464)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicPlan:
    """A valid topic: the assignment and the config overrides to write."""

    name: TopicName
    assignment: Assignment
    configs: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicError:
    """Why a topic cannot be created: Kafka's code and a message naming the problem."""

    code: ErrorCode
    message: str


def collision_of(name: str, existing: Collection[str]) -> str | None:
    """An existing topic whose name equals ``name`` once ``.`` is read as ``_``, if any.

    Kafka refuses such pairs (``Topic.hasCollision``) because both become the same metric name.
    """
    folded = name.replace(".", "_")
    return next((t for t in sorted(existing) if t != name and t.replace(".", "_") == folded), None)


def plan_topic(
    topic: CreatableTopic,
    *,
    exists: Callable[[TopicName], bool],
    existing: Collection[str],
    live: Sequence[BrokerId],
    config: BrokerConfig,
) -> TopicPlan | TopicError:
    """Check one CreateTopics entry against the rules above; the first broken rule wins."""
    name = topic.name
    try:
        validate_topic(name)
    except LogError as error:
        return TopicError(code=ErrorCode.INVALID_TOPIC_EXCEPTION, message=str(error))
    if exists(TopicName(name)):
        return TopicError(
            code=ErrorCode.TOPIC_ALREADY_EXISTS, message=f"Topic '{name}' already exists."
        )
    other = collision_of(name, existing)
    if other is not None:
        return TopicError(
            code=ErrorCode.INVALID_TOPIC_EXCEPTION,
            message=f"Topic '{name}' collides with existing topic: {other}",
        )
    if topic.assignments:
        if topic.num_partitions != _DEFAULT or topic.replication_factor != _DEFAULT:
            return TopicError(
                code=ErrorCode.INVALID_REQUEST,
                message="Both numPartitions or replicationFactor and replicasAssignments were set. "
                "Both cannot be used at the same time.",
            )
        assignment_or_error = _explicit_assignment(topic, live)
    else:
        assignment_or_error = _placed_assignment(topic, live, config)
    if isinstance(assignment_or_error, TopicError):
        return assignment_or_error
    configs_or_error = _configs(topic, config)
    if isinstance(configs_or_error, TopicError):
        return configs_or_error
    return TopicPlan(name=TopicName(name), assignment=assignment_or_error, configs=configs_or_error)


def _placed_assignment(
    topic: CreatableTopic, live: Sequence[BrokerId], config: BrokerConfig
) -> Assignment | TopicError:
    partitions = config.num_partitions if topic.num_partitions == _DEFAULT else topic.num_partitions
    factor = (
        config.default_replication_factor
        if topic.replication_factor == _DEFAULT
        else topic.replication_factor
    )
    if partitions < 1:
        return TopicError(
            code=ErrorCode.INVALID_PARTITIONS,
            message=f"Number of partitions must be larger than 0 (or -1 for the default), "
            f"got {topic.num_partitions}.",
        )
    if partitions > MAX_PARTITIONS:
        return TopicError(
            code=ErrorCode.INVALID_PARTITIONS,
            message=f"Number of partitions {partitions} is above glasskafka's limit of "
            f"{MAX_PARTITIONS} per topic.",
        )
    if factor < 1:
        return TopicError(
            code=ErrorCode.INVALID_REPLICATION_FACTOR,
            message=f"Replication factor must be larger than 0 (or -1 for the default), "
            f"got {topic.replication_factor}.",
        )
    if factor > len(live):
        return TopicError(
            code=ErrorCode.INVALID_REPLICATION_FACTOR,
            message=f"Replication factor: {factor} larger than available brokers: {len(live)}.",
        )
    return assign_replicas_course(live, num_partitions=partitions, replication_factor=factor)


def _explicit_assignment(
    topic: CreatableTopic, live: Sequence[BrokerId]
) -> Assignment | TopicError:
    def refuse(message: str) -> TopicError:
        return TopicError(code=ErrorCode.INVALID_REPLICA_ASSIGNMENT, message=message)

    indexes = sorted(a.partition_index for a in topic.assignments)
    if indexes != list(range(len(indexes))):
        return refuse(f"Partitions {indexes} should be a consecutive 0-based integer sequence.")
    if len(indexes) > MAX_PARTITIONS:
        return refuse(f"{len(indexes)} partitions is above glasskafka's limit of {MAX_PARTITIONS}.")
    sizes = {len(a.broker_ids) for a in topic.assignments}
    if len(sizes) != 1 or 0 in sizes:
        return refuse(f"Inconsistent replication factor between partitions: sizes {sorted(sizes)}.")
    assignment: Assignment = {}
    for item in topic.assignments:
        brokers = tuple(BrokerId(b) for b in item.broker_ids)
        if len(set(brokers)) != len(brokers):
            return refuse(
                f"Duplicate brokers in the assignment of partition {item.partition_index}."
            )
        unknown = sorted(set(brokers) - set(live))
        if unknown:
            return refuse(f"Unknown broker(s) in replica assignment: {unknown}.")
        assignment[PartitionId(item.partition_index)] = brokers
    return dict(sorted(assignment.items()))


def _configs(topic: CreatableTopic, config: BrokerConfig) -> dict[str, str] | TopicError:
    overrides: dict[str, str] = {}
    for item in topic.configs:
        if item.value is None:
            return TopicError(
                code=ErrorCode.INVALID_CONFIG,
                message=f"Null value not supported for topic config {item.name!r}.",
            )
        overrides[item.name] = item.value
    try:
        TopicConfig.from_broker(config, overrides)
    except GlassKafkaError as error:
        return TopicError(code=ErrorCode.INVALID_CONFIG, message=str(error))
    return dict(sorted(overrides.items()))
