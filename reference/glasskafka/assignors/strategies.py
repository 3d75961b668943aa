"""The four assignment strategies by name, as ``partition.assignment.strategy`` names them.

Theory of operation
-------------------
A consumer lists the assignors it supports in ``partition.assignment.strategy``, most preferred
first.  Each JoinGroup protocol entry is named by the assignor's ``name()``: ``range``,
``roundrobin``, ``sticky``, ``cooperative-sticky``.  The coordinator picks one that every member
supports, and the leader runs it (``reference/clients-and-groups.md`` §10.2).  The property takes
Java class names (``org.apache.kafka.clients.consumer.RoundRobinAssignor``, as the course notes
write it) or, since Kafka 2.x, the short names; :func:`strategy_from_config` accepts both.

:class:`AssignmentStrategy` also says which rebalance protocols each strategy supports (KIP-429):
only cooperative-sticky supports COOPERATIVE.  A client uses the highest protocol supported by
*all* its configured assignors, so the default list ``[range, cooperative-sticky]`` (KIP-726)
still rebalances eagerly.

:func:`assign` is the one entry point the client layer calls: it dispatches on the strategy.

Spec IDs: ASSIGN-1..6 (through the assignors it dispatches to).

Simplified from Kafka: custom assignor classes cannot be plugged in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import assert_never

from glasskafka.assignors.range_assignor import assign_range
from glasskafka.assignors.round_robin import assign_round_robin
from glasskafka.assignors.sticky import assign_cooperative_sticky, assign_sticky
from glasskafka.assignors.subscription import RebalanceProtocol, Subscription
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import MemberId, TopicName, TopicPartition

__all__ = ["DEFAULT_STRATEGIES", "AssignmentStrategy", "assign", "strategy_from_config"]

_PACKAGE = "org.apache.kafka.clients.consumer."


class AssignmentStrategy(enum.Enum):
    """A built-in assignor, valued by its protocol name (``ConsumerPartitionAssignor.name()``)."""

    RANGE = "range"
    ROUND_ROBIN = "roundrobin"
    STICKY = "sticky"
    COOPERATIVE_STICKY = "cooperative-sticky"

    @property
    def java_class(self) -> str:
        """The assignor's Java class, as ``partition.assignment.strategy`` may name it."""
        match self:
            case AssignmentStrategy.RANGE:
                return _PACKAGE + "RangeAssignor"
            case AssignmentStrategy.ROUND_ROBIN:
                return _PACKAGE + "RoundRobinAssignor"
            case AssignmentStrategy.STICKY:
                return _PACKAGE + "StickyAssignor"
            case AssignmentStrategy.COOPERATIVE_STICKY:
                return _PACKAGE + "CooperativeStickyAssignor"
            case unreachable:
                assert_never(unreachable)

    @property
    def supported_protocols(self) -> tuple[RebalanceProtocol, ...]:
        """Protocols in preference order (``supportedProtocols()``): only one is cooperative."""
        if self is AssignmentStrategy.COOPERATIVE_STICKY:
            return (RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER)
        return (RebalanceProtocol.EAGER,)


DEFAULT_STRATEGIES = (AssignmentStrategy.RANGE, AssignmentStrategy.COOPERATIVE_STICKY)
"""``partition.assignment.strategy``'s default since Kafka 3.0 (KIP-726)."""


def strategy_from_config(value: str) -> tuple[AssignmentStrategy, ...]:
    """Parse a ``partition.assignment.strategy`` value: comma-separated names or class names.

    Raises :class:`~glasskafka.errors.GlassKafkaError` naming the unknown entry and listing what
    is allowed.  An empty value is refused, as Kafka refuses an empty assignor list.
    """
    known: dict[str, AssignmentStrategy] = {}
    for strategy in AssignmentStrategy:
        known[strategy.value] = strategy
        known[strategy.java_class] = strategy
    chosen: list[AssignmentStrategy] = []
    for entry in (part.strip() for part in value.split(",")):
        if entry not in known:
            allowed = ", ".join(s.value for s in AssignmentStrategy)
            raise GlassKafkaError(
                f"partition.assignment.strategy={value!r}: unknown assignor {entry!r}; "
                f"allowed: {allowed} (or their org.apache.kafka.clients.consumer class names)"
            )
        if known[entry] not in chosen:
            chosen.append(known[entry])
    return tuple(chosen)


def assign(
    strategy: AssignmentStrategy,
    partitions_per_topic: Mapping[TopicName, int],
    subscriptions: Mapping[MemberId, Subscription],
    *,
    bugs: BugFlags = NO_BUGS,
) -> dict[MemberId, list[TopicPartition]]:
    """Run ``strategy`` as the group leader would; each member's list sorted.

    ``bugs`` reaches only the sticky assignors, where ``assign_partition_twice`` lives.
    Invariants: ASSIGN-1..6.
    """
    match strategy:
        case AssignmentStrategy.RANGE:
            return assign_range(partitions_per_topic, subscriptions)
        case AssignmentStrategy.ROUND_ROBIN:
            return assign_round_robin(partitions_per_topic, subscriptions)
        case AssignmentStrategy.STICKY:
            return assign_sticky(partitions_per_topic, subscriptions, bugs=bugs)
        case AssignmentStrategy.COOPERATIVE_STICKY:
            return assign_cooperative_sticky(partitions_per_topic, subscriptions, bugs=bugs)
        case unreachable:
            assert_never(unreachable)
