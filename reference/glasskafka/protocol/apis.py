"""The API table: every API glasskafka speaks, its key, schemas and version windows.

Theory of operation
-------------------
Each row ties an API key (Kafka's numbers, ``ApiKeys.java``) to its request and response
schemas and to four version facts:

* ``versions`` -- what this codec can encode and decode: each API's non-flexible range, or the
  part of it glasskafka needs;
* ``flexible_from`` -- Kafka's first flexible version, which decides the request header version
  (v2 from there on), even for versions glasskafka does not decode;
* ``advertised`` -- what the broker lists in its ApiVersions answer, or ``None`` for APIs that
  are not offered to clients (the inter-broker ones);
* ``served`` -- what the broker answers normally.  Only Produce differs from ``versions``: 0-2
  are advertised, because old librdkafka disables gzip and snappy unless it sees Produce v0 in
  range, but answered UNSUPPORTED_VERSION, as Kafka 4 does (librdkafka #4956, KAFKA-18659).

The advertised window is ``reference/wire-protocol.md`` §4: for every client in use, min(client
max, broker max) lands inside the window and above each client's feature checks (magic 2 needs
Produce 3 and Fetch 4; offsets by time ListOffsets 1; groups FindCoordinator 0; idempotence
InitProducerId 0; zstd Produce 7 and Fetch 10), and kafka-python infers a broker release from it
(Produce 8 means 2.4+: magic 2, idempotence, zstd, fetch sessions).  Plain contiguous ranges
only: odd ranges confuse that inference.

Importing this module checks every schema against its API's versions
(:func:`~glasskafka.protocol.schema.check_schema`), so a malformed schema fails at once.

Spec IDs: none.

Simplified from Kafka: Kafka's table has 80-odd APIs; glasskafka has the 21 its clients and
brokers use.  Flexible versions (ApiVersions 3-4 and so on) are a later chapter.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from glasskafka.node import Message
from glasskafka.protocol.messages.api_versions import (
    API_VERSIONS_REQUEST,
    API_VERSIONS_RESPONSE,
    ApiVersion,
)
from glasskafka.protocol.messages.committed_offsets import (
    OFFSET_COMMIT_REQUEST,
    OFFSET_COMMIT_RESPONSE,
    OFFSET_FETCH_REQUEST,
    OFFSET_FETCH_RESPONSE,
)
from glasskafka.protocol.messages.fetch import FETCH_REQUEST, FETCH_RESPONSE
from glasskafka.protocol.messages.find_coordinator import (
    FIND_COORDINATOR_REQUEST,
    FIND_COORDINATOR_RESPONSE,
)
from glasskafka.protocol.messages.group_listing import (
    DESCRIBE_GROUPS_REQUEST,
    DESCRIBE_GROUPS_RESPONSE,
    LIST_GROUPS_REQUEST,
    LIST_GROUPS_RESPONSE,
)
from glasskafka.protocol.messages.group_membership import (
    HEARTBEAT_REQUEST,
    HEARTBEAT_RESPONSE,
    JOIN_GROUP_REQUEST,
    JOIN_GROUP_RESPONSE,
    LEAVE_GROUP_REQUEST,
    LEAVE_GROUP_RESPONSE,
    SYNC_GROUP_REQUEST,
    SYNC_GROUP_RESPONSE,
)
from glasskafka.protocol.messages.init_producer_id import (
    INIT_PRODUCER_ID_REQUEST,
    INIT_PRODUCER_ID_RESPONSE,
)
from glasskafka.protocol.messages.leader_and_isr import (
    LEADER_AND_ISR_REQUEST,
    LEADER_AND_ISR_RESPONSE,
)
from glasskafka.protocol.messages.list_offsets import LIST_OFFSETS_REQUEST, LIST_OFFSETS_RESPONSE
from glasskafka.protocol.messages.metadata import METADATA_REQUEST, METADATA_RESPONSE
from glasskafka.protocol.messages.offset_for_leader_epoch import (
    OFFSET_FOR_LEADER_EPOCH_REQUEST,
    OFFSET_FOR_LEADER_EPOCH_RESPONSE,
)
from glasskafka.protocol.messages.produce import PRODUCE_REQUEST, PRODUCE_RESPONSE, ProduceRequest
from glasskafka.protocol.messages.stop_replica import STOP_REPLICA_REQUEST, STOP_REPLICA_RESPONSE
from glasskafka.protocol.messages.topic_admin import (
    CREATE_TOPICS_REQUEST,
    CREATE_TOPICS_RESPONSE,
    DELETE_TOPICS_REQUEST,
    DELETE_TOPICS_RESPONSE,
)
from glasskafka.protocol.messages.update_metadata import (
    UPDATE_METADATA_REQUEST,
    UPDATE_METADATA_RESPONSE,
)
from glasskafka.protocol.schema import StructSchema, Versions, check_schema

__all__ = [
    "API_TABLE",
    "Api",
    "ApiKey",
    "advertised_api_versions",
    "api_for",
    "expects_response",
    "find_api",
    "is_request",
]


class ApiKey(enum.IntEnum):
    """Kafka's API keys, with Kafka's names (``ApiKeys.java``)."""

    PRODUCE = 0
    FETCH = 1
    LIST_OFFSETS = 2
    METADATA = 3
    LEADER_AND_ISR = 4
    STOP_REPLICA = 5
    UPDATE_METADATA = 6
    OFFSET_COMMIT = 8
    OFFSET_FETCH = 9
    FIND_COORDINATOR = 10
    JOIN_GROUP = 11
    HEARTBEAT = 12
    LEAVE_GROUP = 13
    SYNC_GROUP = 14
    DESCRIBE_GROUPS = 15
    LIST_GROUPS = 16
    API_VERSIONS = 18
    CREATE_TOPICS = 19
    DELETE_TOPICS = 20
    INIT_PRODUCER_ID = 22
    OFFSET_FOR_LEADER_EPOCH = 23


@dataclass(frozen=True, slots=True, kw_only=True)
class Api:
    """One row of the API table."""

    key: ApiKey
    name: str
    request: StructSchema[Any]
    response: StructSchema[Any]
    versions: Versions
    flexible_from: int
    advertised: Versions | None
    served: Versions


def _closed(text: str) -> Versions:
    """Parse a bounded version range such as ``"0-8"``."""
    parsed = Versions.parse(text)
    if parsed is None or parsed.highest is None:
        raise ValueError(f"expected a bounded version range, got {text!r}")
    return parsed


def _api(
    key: ApiKey,
    request: StructSchema[Any],
    response: StructSchema[Any],
    *,
    versions: str,
    flexible_from: int,
    advertised: str | None = None,
    served: str | None = None,
) -> Api:
    return Api(
        key=key,
        name=request.name.removesuffix("Request"),
        request=request,
        response=response,
        versions=_closed(versions),
        flexible_from=flexible_from,
        advertised=None if advertised is None else _closed(advertised),
        served=_closed(served or versions),
    )


_ROWS = (
    # Client APIs: the window of reference/wire-protocol.md §4.
    _api(ApiKey.PRODUCE,
         PRODUCE_REQUEST, PRODUCE_RESPONSE,
         versions="0-8", flexible_from=9, advertised="0-8", served="3-8"),
    _api(ApiKey.FETCH,
         FETCH_REQUEST, FETCH_RESPONSE,
         versions="4-11", flexible_from=12, advertised="4-11"),
    _api(ApiKey.LIST_OFFSETS,
         LIST_OFFSETS_REQUEST, LIST_OFFSETS_RESPONSE,
         versions="1-5", flexible_from=6, advertised="1-5"),
    _api(ApiKey.METADATA,
         METADATA_REQUEST, METADATA_RESPONSE,
         versions="0-8", flexible_from=9, advertised="0-8"),
    _api(ApiKey.OFFSET_COMMIT,
         OFFSET_COMMIT_REQUEST, OFFSET_COMMIT_RESPONSE,
         versions="2-7", flexible_from=8, advertised="2-7"),
    _api(ApiKey.OFFSET_FETCH,
         OFFSET_FETCH_REQUEST, OFFSET_FETCH_RESPONSE,
         versions="1-5", flexible_from=6, advertised="1-5"),
    _api(ApiKey.FIND_COORDINATOR,
         FIND_COORDINATOR_REQUEST, FIND_COORDINATOR_RESPONSE,
         versions="0-2", flexible_from=3, advertised="0-2"),
    _api(ApiKey.JOIN_GROUP,
         JOIN_GROUP_REQUEST, JOIN_GROUP_RESPONSE,
         versions="0-5", flexible_from=6, advertised="0-5"),
    _api(ApiKey.HEARTBEAT,
         HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE,
         versions="0-3", flexible_from=4, advertised="0-3"),
    _api(ApiKey.LEAVE_GROUP,
         LEAVE_GROUP_REQUEST, LEAVE_GROUP_RESPONSE,
         versions="0-3", flexible_from=4, advertised="0-3"),
    _api(ApiKey.SYNC_GROUP,
         SYNC_GROUP_REQUEST, SYNC_GROUP_RESPONSE,
         versions="0-3", flexible_from=4, advertised="0-3"),
    _api(ApiKey.DESCRIBE_GROUPS,
         DESCRIBE_GROUPS_REQUEST, DESCRIBE_GROUPS_RESPONSE,
         versions="0-4", flexible_from=5, advertised="0-4"),
    _api(ApiKey.LIST_GROUPS,
         LIST_GROUPS_REQUEST, LIST_GROUPS_RESPONSE,
         versions="0-2", flexible_from=3, advertised="0-2"),
    _api(ApiKey.API_VERSIONS,
         API_VERSIONS_REQUEST, API_VERSIONS_RESPONSE,
         versions="0-2", flexible_from=3, advertised="0-2"),
    _api(ApiKey.CREATE_TOPICS,
         CREATE_TOPICS_REQUEST, CREATE_TOPICS_RESPONSE,
         versions="2-4", flexible_from=5, advertised="2-4"),
    _api(ApiKey.DELETE_TOPICS,
         DELETE_TOPICS_REQUEST, DELETE_TOPICS_RESPONSE,
         versions="1-3", flexible_from=4, advertised="1-3"),
    _api(ApiKey.INIT_PRODUCER_ID,
         INIT_PRODUCER_ID_REQUEST, INIT_PRODUCER_ID_RESPONSE,
         versions="0-1", flexible_from=2, advertised="0-1"),
    # Followers ask it where to truncate (KIP-101/279); consumers ask it whether their position
    # survived a leader change (KIP-320), because Metadata v7+ reports real leader epochs.  2 is
    # the first version with current_leader_epoch, 3 the last non-flexible one; 0-1 stay served
    # for replicas (reference/wire-protocol.md §4 "optional later", §6 "Metadata").
    _api(ApiKey.OFFSET_FOR_LEADER_EPOCH,
         OFFSET_FOR_LEADER_EPOCH_REQUEST, OFFSET_FOR_LEADER_EPOCH_RESPONSE,
         versions="0-3", flexible_from=4, advertised="2-3"),
    # Inter-broker APIs, not advertised: only the controller sends them.
    _api(ApiKey.LEADER_AND_ISR,
         LEADER_AND_ISR_REQUEST, LEADER_AND_ISR_RESPONSE,
         versions="0-3", flexible_from=4),
    _api(ApiKey.STOP_REPLICA,
         STOP_REPLICA_REQUEST, STOP_REPLICA_RESPONSE,
         versions="0-1", flexible_from=2),
    _api(ApiKey.UPDATE_METADATA,
         UPDATE_METADATA_REQUEST, UPDATE_METADATA_RESPONSE,
         versions="0-5", flexible_from=6),
)  # fmt: skip

API_TABLE: dict[ApiKey, Api] = {api.key: api for api in sorted(_ROWS, key=lambda api: api.key)}
"""Every API glasskafka speaks, by key, in key order."""

_BY_KEY: dict[int, Api] = {int(api.key): api for api in _ROWS}
_BY_CLASS: dict[type[Any], tuple[Api, bool]] = {}
for _row in _ROWS:
    _BY_CLASS[_row.request.cls] = (_row, True)
    _BY_CLASS[_row.response.cls] = (_row, False)


def find_api(api_key: int) -> Api | None:
    """The API with key ``api_key``, or ``None`` if glasskafka does not speak it."""
    return _BY_KEY.get(api_key)


def api_for(message: Message | type[Message]) -> Api:
    """The API a request or response (or its class) belongs to.

    Raises ``KeyError`` naming the class if it is not a request or response of any API.
    """
    cls = message if isinstance(message, type) else type(message)
    try:
        return _BY_CLASS[cls][0]
    except KeyError:
        raise KeyError(f"{cls.__name__} is not a request or response of any API") from None


def is_request(message: Message | type[Message]) -> bool:
    """Whether ``message`` is a request (``False``: a response)."""
    api_for(message)
    cls = message if isinstance(message, type) else type(message)
    return _BY_CLASS[cls][1]


def advertised_api_versions() -> tuple[ApiVersion, ...]:
    """The ``api_keys`` of the broker's ApiVersions answer: every advertised range, by key."""
    return tuple(
        ApiVersion(api_key=int(api.key), min_version=api.advertised.lowest, max_version=highest)
        for api in API_TABLE.values()
        if api.advertised is not None and (highest := api.advertised.highest) is not None
    )


def expects_response(request: Message) -> bool:
    """Whether the broker answers ``request``: every request except Produce with ``acks=0``.

    An acks=0 producer never reads a response, so sending one would desynchronise the
    connection (kafka-python ``ProduceRequest.expect_response``; ``reference/wire-protocol.md``
    §2).  A failed acks=0 produce is signalled only by closing the connection.
    """
    return not (isinstance(request, ProduceRequest) and request.acks == 0)


def _check_table() -> None:
    problems = [
        f"{api.name}: {problem}"
        for api in _ROWS
        for schema in (api.request, api.response)
        for problem in check_schema(schema, api.versions)
    ]
    if problems:
        raise RuntimeError("malformed message schemas:\n  " + "\n  ".join(problems))


_check_table()
