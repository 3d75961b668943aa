"""Refusing malformed input before it reaches the tree: requests and the server's config.

Theory of operation
-------------------
The coordination server's messages are typed dataclasses, but a peer is not to be trusted: a
buggy client, a fuzzer, or (later) a wire decoder handed a hostile frame can build a request
whose fields have the wrong type or an out-of-range value.  ZooKeeper's jute decoder refuses such
packets and drops the connection.  glasskafka answers them instead (STYLE rule 8: protocol errors
are values): :func:`request_problem` names the first bad field, and the server replies with
``BADARGUMENTS`` without touching the tree, the sessions or the zxid counter.

Integer fields are Java ``int`` (32 bits) in ZooKeeper's jute records, except session ids
(``long``, 64 bits); glasskafka keeps the same ranges so that what it accepts could be encoded.

:func:`config_problem` checks ``zookeeper.properties`` values that make sense one by one but not
together, with the messages ZooKeeper's ``QuorumPeerConfig`` gives.

Spec IDs: none; this is the hostile-input boundary (DESIGN §7).

Simplified from Kafka: ZooKeeper also limits the number of connections per client
(``maxClientCnxns``) and can require authentication; glasskafka has neither.
"""

from __future__ import annotations

import dataclasses

from glasskafka.config import CoordinationConfig
from glasskafka.coordination.messages import CoordinationRequest

__all__ = ["config_problem", "request_problem"]

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

_FIELD_RANGES: dict[str, tuple[int, int]] = {
    "xid": _INT32,
    "version": _INT32,
    "timeout_ms": _INT32,
    "session_id": _INT64,
}
_TEXT_FIELDS = frozenset({"path"})
_BYTES_FIELDS = frozenset({"data"})
_FLAG_FIELDS = frozenset({"watch", "ephemeral", "sequential"})


def request_problem(request: CoordinationRequest) -> str | None:
    """Why ``request`` is malformed (wrong field type or range), or ``None`` if it is fine."""
    for spec in dataclasses.fields(request):
        name = spec.name
        value = getattr(request, name)
        if name in _FIELD_RANGES:
            low, high = _FIELD_RANGES[name]
            if type(value) is not int or not low <= value <= high:
                return f"{name}={value!r} is not an integer in [{low}, {high}]"
        elif name in _TEXT_FIELDS and type(value) is not str:
            return f"{name}={value!r} is not a string"
        elif name in _BYTES_FIELDS and type(value) is not bytes:
            return f"{name}={value!r} is not bytes"
        elif name in _FLAG_FIELDS and type(value) is not bool:
            return f"{name}={value!r} is not true or false"
    return None


def config_problem(config: CoordinationConfig) -> str | None:
    """Why the session timeouts of ``config`` cannot work together, or ``None``."""
    if config.min_session_timeout < 1:
        return (
            f"minSessionTimeout={config.min_session_timeout} is not allowed; "
            "it must be a positive number of milliseconds"
        )
    if config.min_session_timeout > config.max_session_timeout:
        return (
            f"minSessionTimeout={config.min_session_timeout} must not be larger than "
            f"maxSessionTimeout={config.max_session_timeout}"
        )
    return None
