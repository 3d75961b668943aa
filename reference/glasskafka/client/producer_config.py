"""The producer's configuration: Kafka's property names, Kafka 3.7's defaults, Kafka's checks.

Theory of operation
-------------------
:class:`ProducerConfig` is one frozen dataclass (STYLE rule 11), built like the broker's configs
in ``glasskafka.config``: a field's Python name is the property name with dots turned into
underscores, and its ``metadata`` carries Kafka's exact name, a one-line description and the
allowed range.  Defaults are Kafka 3.7's (the producer table of
https://kafka.apache.org/37/documentation.html#producerconfigs).  Two of them changed in newer
Kafka and are worth knowing: ``linger.ms`` is 0 in 3.7 and 5 from 4.0 (KIP-1030), and
``enable.idempotence`` became true (with ``acks=all``) in 3.0 (KIP-679).

:func:`producer_config` builds one from ``key=value`` strings with
:func:`glasskafka.config.config_from_properties` (unknown keys, wrong types and out-of-range values
are refused, naming the key), then applies the rules Kafka applies between properties
(``ProducerConfig.postProcessAndValidateIdempotenceConfigs`` and
``KafkaProducer.configureDeliveryTimeout``):

* Idempotence needs ``acks=all``, ``retries > 0`` and
  ``max.in.flight.requests.per.connection <= 5``.  If ``enable.idempotence`` was set explicitly,
  a conflict is an error naming both properties.  If it is only on by default, a conflicting
  setting switches it off instead (KAFKA-13673, Kafka 3.2), so that existing applications that
  set ``acks=1`` keep working.
* ``delivery.timeout.ms`` must be at least ``linger.ms + request.timeout.ms``, because a batch
  may wait ``linger.ms`` and then a whole request timeout before its first answer.  If it was
  set explicitly, a smaller value is an error; if it is the default, it is raised to that sum.

Spec IDs: none directly; ORDER-2 is why idempotence is the default.

Simplified from Kafka: only the properties glasskafka's producer acts on.  ``compression.type``
offers ``none`` and ``gzip`` (the codecs ``glasskafka.records`` has), the serializers are the four
of ``glasskafka.client.serializers``, and ``retry.backoff.ms`` is a fixed pause (Kafka 3.7 grows
it exponentially up to ``retry.backoff.max.ms``, KIP-580).  Transactions
(``transactional.id``) come later.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from glasskafka.client.partitioner import PARTITIONER_CLASSES
from glasskafka.client.serializers import BYTE_ARRAY_SERIALIZER, SERIALIZERS
from glasskafka.config import config_from_properties
from glasskafka.errors import GlassKafkaError

__all__ = [
    "MAX_IN_FLIGHT_FOR_IDEMPOTENCE",
    "ProducerConfig",
    "producer_config",
]

MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5
"""At most this many requests in flight per connection with idempotence (KAFKA-5494, Kafka 1.0).

A broker remembers the last five batches of each producer, so a retry of any batch that is still
unacknowledged is recognised (``reference/replication-invariants.md`` §6.3, "why 5")."""

_INT = 2**31 - 1
_LONG = 2**63 - 1


def _prop(
    name: str,
    default: Any,
    doc: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    choices: tuple[str, ...] = (),
) -> Any:
    metadata = {"kafka": name, "doc": doc, "minimum": minimum, "maximum": maximum}
    return field(default=default, metadata=metadata | {"choices": choices})


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerConfig:
    """``producer.properties``: one producer's settings (Kafka 3.7 defaults)."""

    bootstrap_servers: str = _prop(
        "bootstrap.servers", "", "Brokers to ask for metadata first (comma-separated)."
    )
    client_id: str = _prop("client.id", "", "Name sent with every request.")
    acks: str = _prop(
        "acks",
        "all",
        "When the leader answers: 0, 1, or all (-1).",
        choices=("all", "-1", "0", "1"),
    )
    enable_idempotence: bool = _prop(
        "enable.idempotence", True, "Producer id and sequence numbers, so retries cannot duplicate."
    )
    max_in_flight_requests_per_connection: int = _prop(
        "max.in.flight.requests.per.connection",
        5,
        "Unanswered requests per broker.",
        minimum=1,
        maximum=_INT,
    )
    retries: int = _prop("retries", _INT, "Re-sends of a failed batch.", minimum=0, maximum=_INT)
    retry_backoff_ms: int = _prop(
        "retry.backoff.ms", 100, "Pause before a retry.", minimum=0, maximum=_LONG
    )
    request_timeout_ms: int = _prop(
        "request.timeout.ms", 30000, "Longest wait for an answer.", minimum=0, maximum=_INT
    )
    delivery_timeout_ms: int = _prop(
        "delivery.timeout.ms",
        120000,
        "Longest time from send to success or failure.",
        minimum=0,
        maximum=_INT,
    )
    linger_ms: int = _prop(
        "linger.ms",
        0,
        "Wait this long for a batch to fill (5 from Kafka 4.0).",
        minimum=0,
        maximum=_INT,
    )
    batch_size: int = _prop(
        "batch.size", 16384, "Bytes per batch and partition.", minimum=0, maximum=_INT
    )
    buffer_memory: int = _prop(
        "buffer.memory",
        33554432,
        "Bytes of records waiting to be sent.",
        minimum=0,
        maximum=_LONG,
    )
    max_block_ms: int = _prop(
        "max.block.ms",
        60000,
        "Longest a send waits for metadata or buffer space.",
        minimum=0,
        maximum=_LONG,
    )
    max_request_size: int = _prop(
        "max.request.size",
        1048576,
        "Largest request, so largest record.",
        minimum=0,
        maximum=_INT,
    )
    metadata_max_age_ms: int = _prop(
        "metadata.max.age.ms",
        300000,
        "Refresh metadata at least this often.",
        minimum=0,
        maximum=_LONG,
    )
    compression_type: str = _prop(
        "compression.type", "none", "Codec of each batch.", choices=("none", "gzip")
    )
    partitioner_class: str | None = _prop(
        "partitioner.class",
        None,
        "A partitioner to use instead of the built-in one.",
        choices=tuple(PARTITIONER_CLASSES),
    )
    partitioner_ignore_keys: bool = _prop(
        "partitioner.ignore.keys", False, "Place keyed records like keyless ones."
    )
    key_serializer: str = _prop(
        "key.serializer",
        BYTE_ARRAY_SERIALIZER,
        "Turns keys into bytes.",
        choices=tuple(SERIALIZERS),
    )
    value_serializer: str = _prop(
        "value.serializer",
        BYTE_ARRAY_SERIALIZER,
        "Turns values into bytes.",
        choices=tuple(SERIALIZERS),
    )
    transaction_timeout_ms: int = _prop(
        "transaction.timeout.ms",
        60000,
        "Sent with InitProducerId (used by transactions).",
        minimum=1,
        maximum=_INT,
    )

    @property
    def acks_value(self) -> int:
        """``acks`` as the ProduceRequest carries it: -1 (all), 0 or 1."""
        return -1 if self.acks == "all" else int(self.acks)

    @property
    def effective_batch_size(self) -> int:
        """``batch.size``, but at least 1 (``batch.size=0`` means one record per batch)."""
        return max(1, self.batch_size)


def producer_config(properties: Mapping[str, str] | None = None) -> ProducerConfig:
    """Build a :class:`ProducerConfig` from Kafka-named string properties, as Kafka checks them.

    Raises :class:`GlassKafkaError` for an unknown key, a bad value, idempotence explicitly on
    with a conflicting setting (naming both), or an explicit ``delivery.timeout.ms`` smaller than
    ``linger.ms + request.timeout.ms``.
    """
    given = dict(properties or {})
    config = config_from_properties(ProducerConfig, given)
    config = _resolve_idempotence(config, explicit="enable.idempotence" in given)
    return _resolve_delivery_timeout(config, explicit="delivery.timeout.ms" in given)


def _resolve_idempotence(config: ProducerConfig, *, explicit: bool) -> ProducerConfig:
    if not config.enable_idempotence:
        return config
    conflicts = []
    if config.acks_value != -1:
        conflicts.append(f"acks={config.acks} (idempotence needs acks=all)")
    if config.retries == 0:
        conflicts.append("retries=0 (idempotence needs retries > 0)")
    if config.max_in_flight_requests_per_connection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:
        conflicts.append(
            "max.in.flight.requests.per.connection="
            f"{config.max_in_flight_requests_per_connection} (idempotence needs at most "
            f"{MAX_IN_FLIGHT_FOR_IDEMPOTENCE})"
        )
    if not conflicts:
        return config
    if explicit:
        raise GlassKafkaError(
            "enable.idempotence=true conflicts with "
            + "; ".join(conflicts)
            + ": change that setting or set enable.idempotence=false"
        )
    # KAFKA-13673: idempotence that is only on by default gives way to the user's settings.
    return dataclasses.replace(config, enable_idempotence=False)


def _resolve_delivery_timeout(config: ProducerConfig, *, explicit: bool) -> ProducerConfig:
    least = min(config.linger_ms + config.request_timeout_ms, _INT)
    if config.delivery_timeout_ms >= least:
        return config
    if explicit:
        raise GlassKafkaError(
            f"delivery.timeout.ms={config.delivery_timeout_ms} must be at least linger.ms + "
            f"request.timeout.ms = {config.linger_ms} + {config.request_timeout_ms} = {least}"
        )
    return dataclasses.replace(config, delivery_timeout_ms=least)
