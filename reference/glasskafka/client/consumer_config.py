"""``consumer.properties``: the consumer's settings, with Kafka's names and defaults (Kafka 3.x).

Theory of operation
-------------------
:class:`ConsumerConfig` is one frozen dataclass (STYLE rule 11) built by
:func:`~glasskafka.config.config_from_properties`, so a bad key or value raises
:class:`~glasskafka.errors.GlassKafkaError` naming it and what is allowed, and an unknown key
suggests the nearest known one.  Defaults are those of Kafka 3.x's ``ConsumerConfig``
(https://kafka.apache.org/documentation/#consumerconfigs), grouped by what they govern:

* **the group**: ``group.id`` (none: the consumer can only ``assign()`` and cannot commit),
  ``session.timeout.ms`` 45000 (KIP-735), ``heartbeat.interval.ms`` 3000,
  ``max.poll.interval.ms`` 300000 (also the JoinGroup rebalance timeout, KIP-62),
  ``partition.assignment.strategy`` ``range,cooperative-sticky`` (KIP-726);
* **offsets**: ``enable.auto.commit`` true, ``auto.commit.interval.ms`` 5000,
  ``auto.offset.reset`` ``latest`` (``earliest``, ``latest`` or ``none``);
* **fetching**: ``max.poll.records`` 500, ``fetch.min.bytes`` 1, ``fetch.max.wait.ms`` 500,
  ``fetch.max.bytes`` 52428800, ``max.partition.fetch.bytes`` 1048576, ``isolation.level``;
* **the client**: ``client.id``, ``bootstrap.servers``, ``retry.backoff.ms`` 100,
  ``metadata.max.age.ms`` 300000, ``default.api.timeout.ms`` 60000,
  ``exclude.internal.topics`` true, ``allow.auto.create.topics`` true.

Cross-field rules are checked when the object is built, as Kafka's constructors check them:
``heartbeat.interval.ms`` must be below ``session.timeout.ms`` (``Heartbeat``'s constructor),
and ``partition.assignment.strategy`` must name known assignors
(:func:`~glasskafka.assignors.strategy_from_config`, which also accepts Kafka's class names).

Spec IDs: none.

Simplified from Kafka: no deserializers (records carry bytes, as with ``ByteArrayDeserializer``),
no ``group.instance.id`` (static membership, KIP-345), no interceptors or metrics settings.  In
the simulator brokers are named by node id, so ``bootstrap.servers`` is informative there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from glasskafka.assignors import AssignmentStrategy, RebalanceProtocol, strategy_from_config
from glasskafka.errors import GlassKafkaError

__all__ = ["ConsumerConfig"]

_INT = 2**31 - 1


def _prop(name: str, default: Any, doc: str, **limits: Any) -> Any:
    """A field carrying Kafka's property name, as ``config_from_properties`` reads it."""
    meta = {"kafka": name, "doc": doc, "minimum": None, "maximum": None, "choices": ()} | limits
    return field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerConfig:
    """A consumer's settings (Kafka 3.x defaults)."""

    bootstrap_servers: str = _prop(
        "bootstrap.servers", "localhost:9092", "host:port list to find the cluster."
    )
    client_id: str = _prop("client.id", "", "A name for this client in requests and logs.")
    group_id: str | None = _prop(
        "group.id", None, "The consumer group; needed to subscribe() or commit."
    )
    enable_auto_commit: bool = _prop(
        "enable.auto.commit", True, "Commit positions of earlier polls during later polls."
    )
    auto_commit_interval_ms: int = _prop(
        "auto.commit.interval.ms", 5000, "How often auto-commit commits.", minimum=0, maximum=_INT
    )
    auto_offset_reset: str = _prop(
        "auto.offset.reset",
        "latest",
        "Where to start without a committed offset.",
        choices=("earliest", "latest", "none"),
    )
    max_poll_records: int = _prop(
        "max.poll.records", 500, "Most records one poll() returns.", minimum=1, maximum=_INT
    )
    max_poll_interval_ms: int = _prop(
        "max.poll.interval.ms",
        300000,
        "Longest pause between polls before leaving the group (the rebalance timeout).",
        minimum=1,
        maximum=_INT,
    )
    session_timeout_ms: int = _prop(
        "session.timeout.ms",
        45000,
        "Silence after which the coordinator evicts the member.",
        minimum=1,
        maximum=_INT,
    )
    heartbeat_interval_ms: int = _prop(
        "heartbeat.interval.ms", 3000, "Time between heartbeats.", minimum=1, maximum=_INT
    )
    fetch_min_bytes: int = _prop(
        "fetch.min.bytes", 1, "Bytes a fetch waits for at the broker.", minimum=0, maximum=_INT
    )
    fetch_max_wait_ms: int = _prop(
        "fetch.max.wait.ms",
        500,
        "Longest a fetch waits at the broker for fetch.min.bytes.",
        minimum=0,
        maximum=_INT,
    )
    fetch_max_bytes: int = _prop(
        "fetch.max.bytes", 52428800, "Bytes one fetch returns at most.", minimum=0, maximum=_INT
    )
    max_partition_fetch_bytes: int = _prop(
        "max.partition.fetch.bytes",
        1048576,
        "Bytes one fetch returns per partition at most.",
        minimum=0,
        maximum=_INT,
    )
    partition_assignment_strategy: str = _prop(
        "partition.assignment.strategy",
        "range,cooperative-sticky",
        "Assignors this member supports, most preferred first.",
    )
    isolation_level: str = _prop(
        "isolation.level",
        "read_uncommitted",
        "Read everything, or only committed transactions.",
        choices=("read_uncommitted", "read_committed"),
    )
    retry_backoff_ms: int = _prop(
        "retry.backoff.ms", 100, "Pause before retrying a failed request.", minimum=0
    )
    metadata_max_age_ms: int = _prop(
        "metadata.max.age.ms", 300000, "Refresh metadata at least this often.", minimum=0
    )
    default_api_timeout_ms: int = _prop(
        "default.api.timeout.ms",
        60000,
        "Timeout of blocking calls given none (commit_sync, committed, close).",
        minimum=0,
        maximum=_INT,
    )
    exclude_internal_topics: bool = _prop(
        "exclude.internal.topics", True, "A pattern never matches internal topics."
    )
    allow_auto_create_topics: bool = _prop(
        "allow.auto.create.topics", True, "Let Metadata requests create subscribed topics."
    )

    def __post_init__(self) -> None:
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise GlassKafkaError(
                f"heartbeat.interval.ms={self.heartbeat_interval_ms} must be lower than "
                f"session.timeout.ms={self.session_timeout_ms}"
            )
        strategy_from_config(self.partition_assignment_strategy)  # raises for unknown names
        if self.group_id is not None and not self.group_id.strip():
            raise GlassKafkaError(
                "group.id is empty or blank; allowed: a non-blank group name, or no group.id"
            )

    @property
    def strategies(self) -> tuple[AssignmentStrategy, ...]:
        """``partition.assignment.strategy`` as assignors, most preferred first."""
        return strategy_from_config(self.partition_assignment_strategy)

    @property
    def rebalance_protocol(self) -> RebalanceProtocol:
        """COOPERATIVE only if every configured assignor supports it (KIP-429); else EAGER."""
        if all(RebalanceProtocol.COOPERATIVE in s.supported_protocols for s in self.strategies):
            return RebalanceProtocol.COOPERATIVE
        return RebalanceProtocol.EAGER

    @property
    def read_committed(self) -> bool:
        return self.isolation_level == "read_committed"
