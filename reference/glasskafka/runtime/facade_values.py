"""The blocking facade's values and errors, shaped like kafka-python's, and its config mapping.

Theory of operation
-------------------
The facade (``facade.py``) lets code written for kafka-python run on glasskafka's own client
nodes.  Its values have kafka-python's names and fields, as named tuples, so that code which
unpacks them or reads ``record.value`` works unchanged:

* :class:`TopicPartition` ``(topic, partition)`` and :class:`OffsetAndMetadata`;
* :class:`RecordMetadata` ``(topic, partition, offset, timestamp)``, what a producer's future
  gives; :class:`ConsumerRecord` ``(topic, partition, offset, timestamp, key, value, headers)``;
* :class:`NewTopic` for the admin client.

Errors are Kafka's: a request that failed with an error code raises
:class:`~glasskafka.errors.KafkaProtocolError` carrying the :class:`~glasskafka.errors.ErrorCode`;
a wait that ran out raises :class:`KafkaTimeoutError` (code ``REQUEST_TIMED_OUT``, as Kafka's
``TimeoutException`` maps in ``Errors.java``); bad input raises
:class:`~glasskafka.errors.GlassKafkaError` naming the keyword and what is allowed.

Configuration: kafka-python spells each setting as a keyword, ``linger_ms=5``; Kafka as a
property, ``linger.ms=5``.  :func:`kafka_properties` turns one into the other (underscores become
dots, Python values become Kafka's strings), and the node's config class
(``ProducerConfig``, ``ConsumerConfig``) then checks every key and value as for a properties file,
so an unknown keyword is refused with the nearest known one suggested.

Spec IDs: none.

Simplified from kafka-python: its ``ConsumerRecord`` also has ``timestamp_type``, ``checksum``
and serialized sizes, its ``RecordMetadata`` the serialized sizes and log start offset; and its
error classes are one per code (``kafka.errors``), where here one class carries the code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from glasskafka.errors import ErrorCode, GlassKafkaError, KafkaProtocolError
from glasskafka.runtime.kafka_client import parse_bootstrap

__all__ = [
    "ConsumerRecord",
    "KafkaTimeoutError",
    "NewTopic",
    "OffsetAndMetadata",
    "RecordMetadata",
    "TopicPartition",
    "bootstrap_addresses",
    "code_of",
    "error_for",
    "kafka_properties",
]


class TopicPartition(NamedTuple):
    """One partition of one topic (kafka-python's ``TopicPartition``)."""

    topic: str
    partition: int


class OffsetAndMetadata(NamedTuple):
    """A committed offset and its metadata string (kafka-python's ``OffsetAndMetadata``)."""

    offset: int
    metadata: str


class RecordMetadata(NamedTuple):
    """Where a produced record was written; ``offset`` is -1 with ``acks=0``."""

    topic: str
    partition: int
    offset: int
    timestamp: int


class ConsumerRecord(NamedTuple):
    """One consumed record, with key and value deserialized; headers as (key, bytes) pairs."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: object
    value: object
    headers: list[tuple[str, bytes | None]]


class NewTopic(NamedTuple):
    """A topic to create: -1 partitions or replication factor means the broker's default."""

    name: str
    num_partitions: int
    replication_factor: int
    topic_configs: Mapping[str, str] = {}


class KafkaTimeoutError(KafkaProtocolError):
    """A blocking call did not finish in time (Kafka's ``TimeoutException``)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.REQUEST_TIMED_OUT, message)


def code_of(number: int) -> ErrorCode:
    """The :class:`ErrorCode` with this number; UNKNOWN_SERVER_ERROR for one glasskafka lacks."""
    try:
        return ErrorCode(number)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR


def error_for(code: ErrorCode | None, message: str) -> GlassKafkaError:
    """The exception for a failure with Kafka error ``code`` (None: a failure without one)."""
    if code is None:
        return GlassKafkaError(message)
    if code is ErrorCode.REQUEST_TIMED_OUT:
        return KafkaTimeoutError(message)
    return KafkaProtocolError(code, message)


def bootstrap_addresses(bootstrap_servers: object) -> list[tuple[str, int]]:
    """``"host:port,..."`` or a list of ``"host:port"`` as (host, port) pairs.

    Raises :class:`GlassKafkaError` naming the value and the form it needs.
    """
    if isinstance(bootstrap_servers, str):
        text = bootstrap_servers
    elif isinstance(bootstrap_servers, Sequence) and all(
        isinstance(entry, str) for entry in bootstrap_servers
    ):
        text = ",".join(bootstrap_servers)
    else:
        raise GlassKafkaError(
            f"bootstrap_servers={bootstrap_servers!r}; allowed: 'host:port' or a list of them"
        )
    if not text.strip():
        raise GlassKafkaError("bootstrap_servers is empty; allowed: 'host:port' or a list of them")
    return parse_bootstrap(text)


def kafka_properties(
    configs: Mapping[str, object], *, handled: Sequence[str] = ()
) -> dict[str, str]:
    """kafka-python keywords as Kafka property strings (``linger_ms=5`` -> ``linger.ms=5``).

    Keywords in ``handled`` (done by the facade itself) and those set to None are left out.
    Raises :class:`GlassKafkaError` for a value that is not a str, bool, int or float.
    """
    properties: dict[str, str] = {}
    for keyword, value in configs.items():
        if keyword in handled or value is None:
            continue
        properties[keyword.replace("_", ".")] = _property_text(keyword, value)
    return properties


def _property_text(keyword: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise GlassKafkaError(
        f"{keyword}={value!r} ({type(value).__name__}); allowed: a str, bool or int"
    )
