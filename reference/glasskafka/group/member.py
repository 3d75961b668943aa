"""One member of a classic group, as the coordinator keeps it.

Theory of operation
-------------------
A member is a consumer that joined with a member id the coordinator handed out
(``MemberMetadata.scala``).  The coordinator remembers what the member said in its last
JoinGroup -- its client id and host, its two timeouts, its protocol type and its *protocols*
(each an assignor name with the opaque subscription bytes for it, most preferred first) -- the
assignment bytes the leader gave it, and where it stands in the current rebalance:

* ``awaiting_join``: its JoinGroup is parked until the join phase ends;
* ``awaiting_sync``: its SyncGroup is parked until the leader's assignment is stored;
* ``is_new``: it joined in this join phase and has never had a generation; such a member has
  no session yet, so only the long :data:`NEW_MEMBER_JOIN_TIMEOUT_MS` limits how long it may wait;
* ``heartbeat_deadline_ms``: when its session expires unless a heartbeat (or a completed
  rebalance step) pushes the deadline out by ``session_timeout_ms``.

:meth:`MemberMetadata.should_keep_alive` is Kafka's rule for an expired deadline: a member
parked in JoinGroup or SyncGroup is not evicted by its session timer, because its connection is
busy waiting for the coordinator; the join phase and the sync timeout deal with it instead.

:meth:`MemberMetadata.vote` is its part of protocol selection: among the protocols every member
supports, the one this member lists first (``MemberMetadata.vote``).

Spec IDs: GROUP-5 (parked requests are answered) rests on ``awaiting_join``/``awaiting_sync``.

Simplified from Kafka: no static membership (KIP-345): a ``group_instance_id`` is kept and
reported, but the member is treated as dynamic.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.group.coordinator_config import NEW_MEMBER_JOIN_TIMEOUT_MS
from glasskafka.group.host import ParkedRequest

__all__ = ["MemberMetadata", "Protocol"]

Protocol = tuple[str, bytes]
"""An assignor name and the member's subscription bytes for it (JoinGroup's ``protocols``)."""


@dataclass(slots=True, kw_only=True)
class MemberMetadata:
    """A group member: identity, timeouts, protocols, assignment and rebalance progress."""

    member_id: str
    group_instance_id: str | None = None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    protocol_type: str
    protocols: tuple[Protocol, ...]
    assignment: bytes = b""
    awaiting_join: ParkedRequest | None = None
    awaiting_sync: ParkedRequest | None = None
    is_new: bool = False
    latest_heartbeat_ms: int = 0
    heartbeat_deadline_ms: int = 0

    @property
    def protocol_names(self) -> tuple[str, ...]:
        """The assignors this member supports, most preferred first."""
        return tuple(name for name, _ in self.protocols)

    def metadata(self, protocol: str) -> bytes:
        """The subscription bytes the member sent for ``protocol`` (it must support it)."""
        for name, data in self.protocols:
            if name == protocol:
                return data
        raise AssertionError(f"member {self.member_id} does not support protocol {protocol!r}")

    def matches(self, protocols: tuple[Protocol, ...]) -> bool:
        """Whether a rejoin brings exactly the protocols (names and bytes, in order) it had."""
        return protocols == self.protocols

    def vote(self, candidates: frozenset[str]) -> str:
        """The first of this member's protocols that every member supports."""
        for name in self.protocol_names:
            if name in candidates:
                return name
        raise AssertionError(f"member {self.member_id} supports none of {sorted(candidates)}")

    def should_keep_alive(self, deadline_ms: int) -> bool:
        """Whether the member survives its heartbeat deadline ``deadline_ms`` expiring.

        ``MemberMetadata.shouldKeepAlive``: a member parked in JoinGroup stays unless it is new
        and has waited :data:`NEW_MEMBER_JOIN_TIMEOUT_MS`; one parked in SyncGroup stays; any
        other member stays only if a heartbeat came in since the deadline was set.
        """
        if self.awaiting_join is not None:
            return (
                not self.is_new
                or self.latest_heartbeat_ms + NEW_MEMBER_JOIN_TIMEOUT_MS > deadline_ms
            )
        if self.awaiting_sync is not None:
            return True
        return self.latest_heartbeat_ms + self.session_timeout_ms > deadline_ms
