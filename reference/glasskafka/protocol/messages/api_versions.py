"""ApiVersions (API key 18): the first request on every connection.

Theory of operation
-------------------
Kafka evolves each API by versions, and client and broker must agree on one per API.  A client
opens a connection and asks the broker which versions of which APIs it serves; it then uses, for
each API, the highest version both sides know (KIP-35).  The answer lists ``api_key``,
``min_version`` and ``max_version`` per API.

The negotiation has a bootstrap problem: the client does not yet know which ApiVersions version
the broker speaks.  Modern clients send their newest (v3 or v4, flexible).  A broker that does
not serve that version answers anyway (KIP-511):

* error UNSUPPORTED_VERSION (35),
* response header v0 and a **v0 body** -- error code and the API list, nothing else -- because
  v0 is the one layout every client can read,
* and the list filled in, so the client retries at a version both know (librdkafka at
  min(sent - 1, broker max); kafka-python at the broker's max; ``reference/wire-protocol.md`` §3).

Clients read an answer that carries an error as a v0 body whatever version they sent
(kafka-python's ``ApiVersionsResponse.decode``), or fall back to v0 when it does not parse at
their version (Kafka's ``ApiVersionsResponse.parse``), so an error answer must use the v0 body.

Versions served: 0-2 (``ApiVersionsRequest.json`` / ``ApiVersionsResponse.json``):

=====  ======================================================================================
v0     request is empty; response ``error_code``, ``api_keys``
v1     response ``throttle_time_ms`` -- **after** ``api_keys``, as in Produce (§2 trap)
v2     same as v1 (on quota violation, brokers answer before throttling)
=====  ======================================================================================

Spec IDs: none.

Simplified from Kafka: v3-4 (flexible: client software name and version, supported and
finalized features as tagged fields) are answered with UNSUPPORTED_VERSION, as above, until
flexible versions arrive (``reference/wire-protocol.md`` §13).
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import INT16, INT32, ArrayOf, field, struct

__all__ = [
    "API_VERSIONS_REQUEST",
    "API_VERSIONS_RESPONSE",
    "ApiVersion",
    "ApiVersionsRequest",
    "ApiVersionsResponse",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiVersionsRequest(Message):
    """Which APIs and versions does this broker serve?  (Empty up to v2.)"""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiVersion:
    """One API the broker serves, and its version range."""

    api_key: int
    min_version: int
    max_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiVersionsResponse(Message):
    """The APIs this broker serves; error 35 with a v0 body if the request's version is not."""

    error_code: int
    api_keys: tuple[ApiVersion, ...]
    throttle_time_ms: int = 0


API_VERSIONS_REQUEST = struct(ApiVersionsRequest)

_API_VERSION = struct(
    ApiVersion,
    field("api_key", INT16),
    field("min_version", INT16),
    field("max_version", INT16),
)

API_VERSIONS_RESPONSE = struct(
    ApiVersionsResponse,
    field("error_code", INT16),
    field("api_keys", ArrayOf(_API_VERSION)),
    # After api_keys: ApiVersions, like Produce, put throttle time last (§2 trap).
    field("throttle_time_ms", INT32, "1+", ignorable=True),
)
