"""What the consumer reads: its subscription, its assigned partitions, and a position in each.

Theory of operation
-------------------
Kafka's ``SubscriptionState`` in plain data.  A consumer either **subscribes** -- to topics by
name or to a regular expression -- and lets its group assign partitions, or it **assigns**
partitions itself and never joins a group; the two are exclusive (Kafka throws
``IllegalStateException`` on mixing them; glasskafka raises
:class:`~glasskafka.errors.GlassKafkaError`).

Every assigned partition has a :class:`PartitionState`:

=================  ==========================================================================
``INITIALIZING``   just assigned; the consumer must ask its group coordinator for the committed
                   offset (OffsetFetch) before it can read
``AWAIT_RESET``    no usable position: ask the partition leader (ListOffsets) for the earliest
                   or latest offset, as ``auto.offset.reset`` or a ``seek_to_*`` call says
``FETCHING``       the position is known: the offset of the next record to return
=================  ==========================================================================

The *position* is Kafka's: the next offset to read.  Positions advance only when
:meth:`SubscriptionState.advance` is called for records that a poll actually returns, so the
positions are exactly what the application has been given, and what a commit of "the current
positions" (``allConsumed``) commits.

Spec IDs: DELIV-19 relies on positions meaning "next to read" (the committed offset is a
position).

Simplified from Kafka: no pause/resume, no leader-epoch validation of positions (KIP-320), no
preferred read replica (KIP-392).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from glasskafka.errors import GlassKafkaError
from glasskafka.ids import PartitionId, TopicName, TopicPartition

__all__ = [
    "FetchState",
    "OffsetResetStrategy",
    "PartitionState",
    "SubscriptionState",
    "SubscriptionType",
    "offsets_of",
    "partition_of",
]


class SubscriptionType(enum.Enum):
    """How the consumer chose what to read (``SubscriptionState.SubscriptionType``)."""

    NONE = "none"
    AUTO_TOPICS = "topics"
    AUTO_PATTERN = "pattern"
    USER_ASSIGNED = "assigned"


class FetchState(enum.Enum):
    """Where a partition's position stands."""

    INITIALIZING = "initializing"
    AWAIT_RESET = "await-reset"
    FETCHING = "fetching"


class OffsetResetStrategy(enum.Enum):
    """Where a reset moves the position: the log start or the high watermark (ListOffsets -2/-1)."""

    EARLIEST = "earliest"
    LATEST = "latest"

    @property
    def timestamp(self) -> int:
        """The ListOffsets timestamp that asks for this position."""
        return -2 if self is OffsetResetStrategy.EARLIEST else -1


@dataclass(slots=True, kw_only=True)
class PartitionState:
    """One assigned partition: where its position stands and what the last fetch said."""

    fetch_state: FetchState = FetchState.INITIALIZING
    position: int | None = None
    reset_strategy: OffsetResetStrategy | None = None
    high_watermark: int = -1


@dataclass(slots=True, kw_only=True)
class SubscriptionState:
    """The consumer's subscription and its assigned partitions, in assignment order."""

    type: SubscriptionType = SubscriptionType.NONE
    topics: tuple[str, ...] = ()
    pattern: str | None = None
    assignment: dict[TopicPartition, PartitionState] = field(default_factory=dict)

    # -- subscribing ----------------------------------------------------------------------------

    def _switch(self, new: SubscriptionType) -> None:
        if self.type not in (SubscriptionType.NONE, new):
            raise GlassKafkaError(
                f"this consumer already uses {self.type.value}, not {new.value}: topics, a "
                "pattern and assign() cannot be mixed (call unsubscribe() first)"
            )
        self.type = new

    def subscribe(self, topics: Iterable[str]) -> bool:
        """Subscribe to ``topics`` by name; True if the set changed (the group must rebalance)."""
        chosen = tuple(sorted(set(topics)))
        if any(not topic.strip() for topic in chosen):
            raise GlassKafkaError(f"subscribe({list(chosen)!r}): topic names must not be blank")
        self._switch(SubscriptionType.AUTO_TOPICS)
        changed = chosen != self.topics or self.pattern is not None
        self.topics, self.pattern = chosen, None
        return changed

    def subscribe_pattern(self, pattern: str) -> None:
        """Subscribe to every topic whose whole name matches the regular expression."""
        try:
            re.compile(pattern)
        except re.error as error:
            raise GlassKafkaError(
                f"subscribe(pattern={pattern!r}): not a regular expression ({error})"
            ) from None
        self._switch(SubscriptionType.AUTO_PATTERN)
        self.pattern, self.topics = pattern, ()

    def matching(self, topics: Iterable[str], *, exclude_internal: bool) -> tuple[str, ...]:
        """For a pattern subscription, the known topics it matches now (sorted)."""
        assert self.pattern is not None
        compiled = re.compile(self.pattern)
        return tuple(
            sorted(
                t
                for t in topics
                if compiled.fullmatch(t) and not (exclude_internal and t.startswith("__"))
            )
        )

    def assign_from_user(self, partitions: Iterable[TopicPartition]) -> None:
        """``assign()``: exactly these partitions; kept ones keep their positions."""
        self._switch(SubscriptionType.USER_ASSIGNED)
        self._set_assignment(partitions)

    def assign_from_subscribed(self, partitions: Iterable[TopicPartition]) -> None:
        """The group's assignment; kept partitions keep their positions (cooperative)."""
        assert self.type in (SubscriptionType.AUTO_TOPICS, SubscriptionType.AUTO_PATTERN)
        self._set_assignment(partitions)

    def _set_assignment(self, partitions: Iterable[TopicPartition]) -> None:
        chosen = list(dict.fromkeys(partitions))
        self.assignment = {tp: self.assignment.get(tp) or PartitionState() for tp in chosen}

    def unsubscribe(self) -> None:
        """Forget the subscription and every assigned partition."""
        self.type, self.topics, self.pattern = SubscriptionType.NONE, (), None
        self.assignment = {}

    @property
    def group_managed(self) -> bool:
        """Whether partitions come from the group (subscribe) rather than assign()."""
        return self.type in (SubscriptionType.AUTO_TOPICS, SubscriptionType.AUTO_PATTERN)

    # -- positions ------------------------------------------------------------------------------

    def _state(self, partition: TopicPartition) -> PartitionState:
        state = self.assignment.get(partition)
        if state is None:
            raise GlassKafkaError(
                f"partition {partition[0]}-{partition[1]} is not assigned to this consumer; "
                f"assigned: {[f'{t}-{p}' for t, p in self.assignment] or 'none'}"
            )
        return state

    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Make ``offset`` the next offset to read from ``partition``."""
        if offset < 0:
            raise GlassKafkaError(f"seek to offset {offset}: an offset is 0 or more")
        state = self._state(partition)
        state.fetch_state, state.position, state.reset_strategy = FetchState.FETCHING, offset, None

    def request_reset(self, partition: TopicPartition, strategy: OffsetResetStrategy) -> None:
        """Look the position up again at the leader (``seek_to_beginning``/``_end``, resets)."""
        state = self._state(partition)
        state.fetch_state, state.position, state.reset_strategy = (
            FetchState.AWAIT_RESET,
            None,
            strategy,
        )

    def position(self, partition: TopicPartition) -> int | None:
        """The next offset to read, or None while it is being looked up."""
        return self._state(partition).position

    def advance(self, partition: TopicPartition, next_offset: int) -> None:
        """Records up to ``next_offset`` were returned: that is the new position."""
        state = self.assignment.get(partition)
        if state is not None and state.position is not None and next_offset > state.position:
            state.position = next_offset

    def in_state(self, fetch_state: FetchState) -> list[TopicPartition]:
        """Assigned partitions whose position is in ``fetch_state``, in assignment order."""
        return [tp for tp, s in self.assignment.items() if s.fetch_state is fetch_state]

    def all_consumed(self) -> dict[TopicPartition, int]:
        """Every known position: what a commit of "where I am" commits (``allConsumed``)."""
        return {
            tp: s.position
            for tp, s in self.assignment.items()
            if s.fetch_state is FetchState.FETCHING and s.position is not None
        }


def partition_of(topic: str, index: int) -> TopicPartition:
    """A partition named by the application, checked: a topic name and an index >= 0."""
    valid = isinstance(topic, str) and bool(topic) and isinstance(index, int) and index >= 0
    if not valid or isinstance(index, bool):
        raise GlassKafkaError(
            f"partition ({topic!r}, {index!r}): give a topic name and a partition number >= 0"
        )
    return (TopicName(topic), PartitionId(index))


def offsets_of(offsets: Mapping[tuple[str, int], int]) -> dict[TopicPartition, int]:
    """Offsets the application asked to commit, checked: integers >= 0 for valid partitions."""
    chosen: dict[TopicPartition, int] = {}
    for (topic, index), offset in offsets.items():
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise GlassKafkaError(
                f"commit offset {offset!r} for {topic}-{index}: an offset is an integer >= 0"
            )
        chosen[partition_of(topic, index)] = offset
    return chosen
