"""Partition assignors: who in a consumer group reads which partition.

Theory of operation
-------------------
In Kafka's classic group protocol the group leader - one of the consumers - decides the
assignment with a pluggable assignor, and the coordinator only relays bytes
(``reference/clients-and-groups.md`` §2).  This package holds Kafka's four built-in assignors as
pure functions, each giving exactly the output of Kafka's Java client for the same input:

* :func:`assign_range` - per topic, contiguous ranges in member order; the first members get
  the remainder (``range_assignor.py``).
* :func:`assign_round_robin` - every partition dealt round the members (``round_robin.py``).
* :func:`assign_sticky` - balanced, and moving as few partitions as possible (``sticky.py``,
  built from ``claims.py``, ``constrained.py``, ``general.py``, ``movements.py``).
* :func:`assign_cooperative_sticky` - the same, but a partition that changes hands is first
  revoked and only given to its new owner in the follow-up rebalance (KIP-429).

:func:`assign` dispatches on an :class:`AssignmentStrategy`; ``consumer_protocol.py`` encodes and
decodes the subscription and assignment bytes; ``user_data.py`` the sticky assignors' user data;
``java_order.py`` the Java orderings that make the sticky results bit-exact.

Every function takes ``partitions_per_topic`` (topic -> number of partitions) and
``subscriptions`` (member id -> :class:`Subscription`, in JoinGroup order) and returns member id
-> list of (topic, partition), with an entry for every member.

Spec IDs: ASSIGN-1 .. ASSIGN-6 (``specs/assignment.py``).

Simplified from Kafka: no rack-aware assignment (KIP-881), no custom assignors, and no KIP-848
server-side assignors.
"""

from glasskafka.assignors.consumer_protocol import (
    HIGHEST_VERSION,
    Assignment,
    ConsumerProtocolError,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)
from glasskafka.assignors.range_assignor import assign_range
from glasskafka.assignors.round_robin import assign_round_robin
from glasskafka.assignors.sticky import (
    Builder,
    StickyOutcome,
    assign_cooperative_sticky,
    assign_sticky,
    cooperative_sticky_outcome,
    sticky_outcome,
)
from glasskafka.assignors.strategies import (
    DEFAULT_STRATEGIES,
    AssignmentStrategy,
    assign,
    strategy_from_config,
)
from glasskafka.assignors.subscription import (
    NO_GENERATION,
    MemberData,
    RebalanceProtocol,
    Subscription,
    partition_counts,
    sorted_assignment,
    topic_partition,
)
from glasskafka.assignors.user_data import (
    decode_cooperative_user_data,
    decode_sticky_user_data,
    encode_cooperative_user_data,
    encode_sticky_user_data,
)

__all__ = [
    "DEFAULT_STRATEGIES",
    "HIGHEST_VERSION",
    "NO_GENERATION",
    "Assignment",
    "AssignmentStrategy",
    "Builder",
    "ConsumerProtocolError",
    "MemberData",
    "RebalanceProtocol",
    "StickyOutcome",
    "Subscription",
    "assign",
    "assign_cooperative_sticky",
    "assign_range",
    "assign_round_robin",
    "assign_sticky",
    "cooperative_sticky_outcome",
    "decode_assignment",
    "decode_cooperative_user_data",
    "decode_sticky_user_data",
    "decode_subscription",
    "encode_assignment",
    "encode_cooperative_user_data",
    "encode_sticky_user_data",
    "encode_subscription",
    "partition_counts",
    "sorted_assignment",
    "sticky_outcome",
    "strategy_from_config",
    "topic_partition",
]
