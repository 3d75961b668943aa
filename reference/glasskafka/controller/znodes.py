"""The znodes Kafka keeps in ZooKeeper, their paths and their JSON, as glasskafka writes them.

Theory of operation
-------------------
In ZooKeeper-era Kafka the coordination service is the source of truth for cluster metadata, and
brokers, the controller and the command-line tools all read and write the same znodes.  Their
paths and JSON shapes come from Kafka's ``core/src/main/scala/kafka/zk/ZkData.scala``:

=============================================  ==============================================
path                                           content
=============================================  ==============================================
``/brokers/ids/<id>``            (ephemeral)   the broker's registration: host, port, endpoints
``/controller``                  (ephemeral)   ``{"version":1,"brokerid":N,"timestamp":"…"}``
``/controller_epoch``                          the controller epoch as a decimal string
``/brokers/topics/<topic>``                    replica assignment: partition -> broker ids
``/brokers/topics/<t>/partitions/<p>/state``   leader, leader_epoch, isr, controller_epoch
``/admin/delete_topics/<topic>``               a request to delete the topic
``/isr_change_notification/isr_change_<seq>``  partitions whose ISR a leader changed
``/config/topics/<topic>``                     the topic's config overrides
=============================================  ==============================================

Two leader ids are special: ``-1`` (:data:`NO_LEADER`) in a state znode means the partition is
offline, and ``-2`` (:data:`LEADER_DURING_DELETE`) appears only in UpdateMetadata, telling brokers
to drop a deleted partition from their metadata cache (Kafka's ``LeaderAndIsr.LeaderDuringDelete``).

Both the ``broker`` and ``controller`` packages use these helpers, so the two sides cannot drift.
JSON is written with sorted keys and no spaces, so equal states give equal bytes (DESIGN §7).
Decoders raise :class:`ZnodeFormatError` for anything malformed: a znode may have been written by
a student with ``zk-shell``.

Spec IDs: none; CTRL-1 fences on the controller epoch these encodings carry.

Simplified from Kafka: registrations carry one PLAINTEXT endpoint, no rack, no JMX port; topic
assignments have no ``adding_replicas``/``removing_replicas`` (no reassignment).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from glasskafka.ids import BrokerId, Epoch, PartitionId, TopicName

__all__ = [
    "BROKER_IDS_PATH",
    "CONFIG_PATH",
    "CONFIG_TOPICS_PATH",
    "CONTROLLER_EPOCH_PATH",
    "CONTROLLER_PATH",
    "DELETE_TOPICS_PATH",
    "ISR_CHANGE_NOTIFICATION_PATH",
    "ISR_CHANGE_SEQUENCE_PREFIX",
    "LEADER_DURING_DELETE",
    "NO_LEADER",
    "PERSISTENT_PATHS",
    "TOPICS_PATH",
    "BrokerRegistration",
    "PartitionState",
    "ZnodeFormatError",
    "broker_path",
    "decode_broker",
    "decode_controller",
    "decode_controller_epoch",
    "decode_isr_change",
    "decode_partition_state",
    "decode_topic_assignment",
    "decode_topic_config",
    "delete_topic_path",
    "encode_broker",
    "encode_controller",
    "encode_controller_epoch",
    "encode_isr_change",
    "encode_partition_state",
    "encode_topic_assignment",
    "encode_topic_config",
    "partition_path",
    "partition_state_path",
    "partitions_path",
    "topic_config_path",
    "topic_path",
]

BROKER_IDS_PATH = "/brokers/ids"
TOPICS_PATH = "/brokers/topics"
CONTROLLER_PATH = "/controller"
CONTROLLER_EPOCH_PATH = "/controller_epoch"
DELETE_TOPICS_PATH = "/admin/delete_topics"
ISR_CHANGE_NOTIFICATION_PATH = "/isr_change_notification"
CONFIG_PATH = "/config"
CONFIG_TOPICS_PATH = "/config/topics"

ISR_CHANGE_SEQUENCE_PREFIX = f"{ISR_CHANGE_NOTIFICATION_PATH}/isr_change_"
"""A leader creates a *sequential* znode at this prefix after changing an ISR (Kafka's
``IsrChangeNotificationSequenceZNode``); the controller reads and deletes it."""

NO_LEADER = BrokerId(-1)
"""The leader of an offline partition (Kafka's ``LeaderAndIsr.NoLeader``)."""

LEADER_DURING_DELETE = BrokerId(-2)
"""The leader UpdateMetadata names for a partition being deleted (Kafka's
``LeaderAndIsr.LeaderDuringDelete``): brokers drop it from their metadata cache."""

PERSISTENT_PATHS: tuple[str, ...] = (
    "/brokers",
    BROKER_IDS_PATH,
    TOPICS_PATH,
    "/admin",
    DELETE_TOPICS_PATH,
    ISR_CHANGE_NOTIFICATION_PATH,
)
"""Parents every broker creates at start-up (Kafka's ``KafkaZkClient.createTopLevelPaths``)."""


class ZnodeFormatError(ValueError):
    """A znode's bytes are not the JSON Kafka writes there."""


def broker_path(broker_id: BrokerId) -> str:
    return f"{BROKER_IDS_PATH}/{broker_id}"


def topic_path(topic: TopicName) -> str:
    return f"{TOPICS_PATH}/{topic}"


def partitions_path(topic: TopicName) -> str:
    return f"{TOPICS_PATH}/{topic}/partitions"


def partition_path(topic: TopicName, partition: PartitionId) -> str:
    return f"{TOPICS_PATH}/{topic}/partitions/{partition}"


def partition_state_path(topic: TopicName, partition: PartitionId) -> str:
    return f"{TOPICS_PATH}/{topic}/partitions/{partition}/state"


def topic_config_path(topic: TopicName) -> str:
    return f"{CONFIG_TOPICS_PATH}/{topic}"


def delete_topic_path(topic: TopicName) -> str:
    return f"{DELETE_TOPICS_PATH}/{topic}"


def _dump(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _load(data: bytes | None, what: str) -> dict[str, Any]:
    if data is None:
        raise ZnodeFormatError(f"{what} znode has no data")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ZnodeFormatError(f"{what} znode is not JSON: {data[:80]!r}") from error
    if not isinstance(value, dict):
        raise ZnodeFormatError(f"{what} znode is not a JSON object: {data[:80]!r}")
    return value


def _int(value: dict[str, Any], key: str, what: str) -> int:
    item = value.get(key)
    if not isinstance(item, int) or isinstance(item, bool):
        raise ZnodeFormatError(f"{what} znode field {key!r} is not an integer: {item!r}")
    return item


def _int_list(items: Any, what: str) -> tuple[int, ...]:
    if not isinstance(items, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in items
    ):
        raise ZnodeFormatError(f"{what} is not a list of integers: {items!r}")
    return tuple(items)


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerRegistration:
    """``/brokers/ids/<id>``: where a live broker can be reached."""

    broker_id: BrokerId
    host: str
    port: int
    timestamp_ms: int = 0


def encode_broker(registration: BrokerRegistration) -> bytes:
    endpoint = f"PLAINTEXT://{registration.host}:{registration.port}"
    return _dump(
        {
            "endpoints": [endpoint],
            "host": registration.host,
            "jmx_port": -1,
            "listener_security_protocol_map": {"PLAINTEXT": "PLAINTEXT"},
            "port": registration.port,
            "timestamp": str(registration.timestamp_ms),
            "version": 4,
        }
    )


def decode_broker(broker_id: BrokerId, data: bytes | None) -> BrokerRegistration:
    value = _load(data, "broker registration")
    host = value.get("host")
    if not isinstance(host, str):
        raise ZnodeFormatError(f"broker registration has no host: {value!r}")
    timestamp = value.get("timestamp", "0")
    return BrokerRegistration(
        broker_id=broker_id,
        host=host,
        port=_int(value, "port", "broker registration"),
        timestamp_ms=int(timestamp) if isinstance(timestamp, str) and timestamp.isdigit() else 0,
    )


def encode_controller(broker_id: BrokerId, *, timestamp_ms: int) -> bytes:
    return _dump({"brokerid": broker_id, "timestamp": str(timestamp_ms), "version": 1})


def decode_controller(data: bytes | None) -> BrokerId:
    return BrokerId(_int(_load(data, "controller"), "brokerid", "controller"))


def encode_controller_epoch(epoch: Epoch) -> bytes:
    return str(epoch).encode()


def decode_controller_epoch(data: bytes | None) -> Epoch:
    text = (data or b"").decode("ascii", errors="replace").strip()
    if not text.isdigit():
        raise ZnodeFormatError(f"controller_epoch znode is not a number: {data!r}")
    return Epoch(int(text))


def encode_topic_assignment(assignment: Mapping[PartitionId, Sequence[BrokerId]]) -> bytes:
    partitions = {str(p): list(assignment[p]) for p in sorted(assignment)}
    return _dump({"partitions": partitions, "version": 1})


def decode_topic_assignment(data: bytes | None) -> dict[PartitionId, tuple[BrokerId, ...]]:
    value = _load(data, "topic")
    partitions = value.get("partitions")
    if not isinstance(partitions, dict):
        raise ZnodeFormatError(f"topic znode has no partitions object: {value!r}")
    result: dict[PartitionId, tuple[BrokerId, ...]] = {}
    for key, replicas in partitions.items():
        if not (isinstance(key, str) and key.isdigit()):
            raise ZnodeFormatError(f"topic znode partition key {key!r} is not a number")
        result[PartitionId(int(key))] = tuple(
            BrokerId(b) for b in _int_list(replicas, f"replicas of partition {key}")
        )
    return dict(sorted(result.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionState:
    """``/brokers/topics/<t>/partitions/<p>/state``: who leads, in which epoch, with which ISR.

    ``leader`` is -1 when the partition is offline.  ``zk_version`` is the znode's version when
    it was read (not part of the JSON): every update is a compare-and-set on it (CTRL-1).
    """

    leader: BrokerId
    leader_epoch: Epoch
    isr: tuple[BrokerId, ...]
    controller_epoch: Epoch
    zk_version: int = -1


def encode_partition_state(state: PartitionState) -> bytes:
    return _dump(
        {
            "controller_epoch": state.controller_epoch,
            "isr": list(state.isr),
            "leader": state.leader,
            "leader_epoch": state.leader_epoch,
            "version": 1,
        }
    )


def decode_partition_state(data: bytes | None, *, zk_version: int = -1) -> PartitionState:
    value = _load(data, "partition state")
    return PartitionState(
        leader=BrokerId(_int(value, "leader", "partition state")),
        leader_epoch=Epoch(_int(value, "leader_epoch", "partition state")),
        isr=tuple(BrokerId(b) for b in _int_list(value.get("isr"), "partition state isr")),
        controller_epoch=Epoch(_int(value, "controller_epoch", "partition state")),
        zk_version=zk_version,
    )


def encode_isr_change(partitions: Sequence[tuple[TopicName, PartitionId]]) -> bytes:
    items = [{"partition": p, "topic": t} for t, p in sorted(partitions)]
    return _dump({"partitions": items, "version": 1})


def decode_isr_change(data: bytes | None) -> tuple[tuple[TopicName, PartitionId], ...]:
    value = _load(data, "isr change notification")
    items = value.get("partitions")
    if not isinstance(items, list):
        raise ZnodeFormatError(f"isr change notification has no partitions list: {value!r}")
    result = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("topic"), str):
            raise ZnodeFormatError(f"isr change notification entry is malformed: {item!r}")
        result.append(
            (TopicName(item["topic"]), PartitionId(_int(item, "partition", "isr change")))
        )
    return tuple(sorted(result))


def encode_topic_config(configs: Mapping[str, str]) -> bytes:
    """``/config/topics/<t>``: ``{"config":{"cleanup.policy":"compact"},"version":1}``."""
    return _dump({"config": {key: configs[key] for key in sorted(configs)}, "version": 1})


def decode_topic_config(data: bytes | None) -> dict[str, str]:
    """The overrides of a topic config znode (Kafka's ``ConfigEntityZNode.decode``)."""
    value = _load(data, "topic config")
    config = value.get("config", {})
    if not isinstance(config, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in config.items()
    ):
        raise ZnodeFormatError(f"topic config znode has no string-to-string config: {value!r}")
    return dict(sorted(config.items()))
