"""The group coordinator's settings, taken from the hosting broker's ``server.properties``.

Theory of operation
-------------------
The coordinator reads six broker properties (Kafka 3.x defaults; ``GroupCoordinatorConfig.java``
and ``OffsetConfig.scala``):

=====================================  =========  ============================================
``offsets.topic.num.partitions``       50         how many partitions groups are hashed onto
``group.initial.rebalance.delay.ms``   3000       how long a new group waits for more members
                                                  before its first join phase ends (KIP-134)
``group.min.session.timeout.ms``       6000       the smallest ``session.timeout.ms`` a member
                                                  may ask for
``group.max.session.timeout.ms``       1800000    the largest
``group.max.size``                     2**31 - 1  members per group (KIP-389)
``offset.metadata.max.bytes``          4096       longest commit metadata string
=====================================  =========  ============================================

The first four are fields of :class:`~glasskafka.config.BrokerConfig`; the last two are fixed at
Kafka's defaults here, because glasskafka's brokers do not read them yet.
:meth:`GroupCoordinatorConfig.from_broker` builds the coordinator's view from a broker config, so
the defaults stay in one place.

Spec IDs: none.

Simplified from Kafka: no offsets retention (``offsets.retention.minutes``, KIP-211) and no
``offsets.commit.timeout.ms``: the host completes every append, in time or with an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.config import BrokerConfig

__all__ = ["NEW_MEMBER_JOIN_TIMEOUT_MS", "GroupCoordinatorConfig"]

NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000
"""How long a brand-new member's parked JoinGroup keeps it in the group
(``GroupCoordinator.NewMemberJoinTimeoutMs``): such a member has no session yet, so a client that
disconnected and retried would otherwise leave defunct members behind (KIP-394)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupCoordinatorConfig:
    """What the coordinator needs to know from ``server.properties``."""

    offsets_topic_num_partitions: int = 50
    group_initial_rebalance_delay_ms: int = 3000
    group_min_session_timeout_ms: int = 6000
    group_max_session_timeout_ms: int = 1800000
    group_max_size: int = 2**31 - 1
    offset_metadata_max_bytes: int = 4096

    @classmethod
    def from_broker(cls, broker: BrokerConfig) -> GroupCoordinatorConfig:
        """The coordinator's settings as the broker's configuration sets them."""
        return cls(
            offsets_topic_num_partitions=broker.offsets_topic_num_partitions,
            group_initial_rebalance_delay_ms=broker.group_initial_rebalance_delay_ms,
            group_min_session_timeout_ms=broker.group_min_session_timeout_ms,
            group_max_session_timeout_ms=broker.group_max_session_timeout_ms,
        )
