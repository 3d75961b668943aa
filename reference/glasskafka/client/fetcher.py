"""The consumer's fetcher: Fetch requests to partition leaders, buffered answers, offset lookups.

Theory of operation
-------------------
Kafka's consumer pulls (the course notes: "Consumer 采用拉模式").  The fetcher (``Fetcher.java``,
``AbstractFetch.java``) keeps at most one Fetch in flight per broker.  A Fetch names, for every
partition that broker leads and that has a position and no buffered data, the position as
``fetch_offset`` and ``max.partition.fetch.bytes`` as its byte limit; the whole request is bounded
by ``fetch.max.bytes``, and the broker may hold it up to ``fetch.max.wait.ms`` until
``fetch.min.bytes`` are there (a long poll).  Because a broker returns whole batches, the answer
may start before the position (the batch that *contains* it) and may end with a batch cut off by
the byte limit; the fetcher drops records before the position and the cut-off tail
(``reference/wire-protocol.md`` §6, Fetch).

Answers are decoded into :class:`ConsumerRecord` values and kept as :class:`CompletedFetch`
entries, in arrival order, until a poll drains them (:func:`drain`): at most
``max.poll.records`` records, advancing each partition's position past what it returns.  Data
whose partition was revoked, or whose position moved (a seek) while the Fetch was in flight, is
thrown away, as Kafka's ``FetchCollector`` does.

A partition without a position is looked up at its leader with ListOffsets: timestamp -2 for
the log start (``earliest``), -1 for the high watermark (``latest``).

Errors, per partition: OFFSET_OUT_OF_RANGE resets the position by ``auto.offset.reset`` (with
``none``, the next poll raises); leadership errors ask the node for fresh metadata; bytes that are
not valid batches make the next poll raise, naming the partition and offset.

Spec IDs: DELIV-7 (consumers read in log order) rests on positions advancing only here.

Simplified from Kafka: no fetch sessions (KIP-227: every Fetch is a full one), no aborted
transaction filtering for ``read_committed`` (glasskafka has no transactions yet; the broker's
last stable offset still bounds the read), no leader-epoch checks (KIP-320), no decompression
beyond gzip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import ConsumerRecord, NoOffsetForPartitionError
from glasskafka.client.subscription_state import (
    FetchState,
    OffsetResetStrategy,
    SubscriptionState,
)
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import NodeId, PartitionId, TopicName, TopicPartition
from glasskafka.protocol.messages.fetch import (
    FetchPartition,
    FetchRequest,
    FetchResponse,
    FetchTopic,
)
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopic,
)
from glasskafka.records import (
    CorruptRecordError,
    UnsupportedCompressionError,
    decode_batch,
    iter_batches,
)

__all__ = [
    "CompletedFetch",
    "Fetcher",
    "OutboundRequest",
    "drain",
]

OutboundRequest = tuple[NodeId, FetchRequest | ListOffsetsRequest]
"""A request the fetcher wants sent, and to which broker."""

_METADATA_ERRORS = frozenset(
    {
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.LEADER_NOT_AVAILABLE,
        ErrorCode.FENCED_LEADER_EPOCH,
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        ErrorCode.KAFKA_STORAGE_ERROR,
        ErrorCode.REPLICA_NOT_AVAILABLE,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletedFetch:
    """One partition's decoded answer, waiting to be drained by a poll."""

    partition: TopicPartition
    fetch_offset: int
    records: tuple[ConsumerRecord, ...]


@dataclass(slots=True, kw_only=True)
class Fetcher:
    """Fetches and offset lookups in flight, and data waiting for a poll."""

    fetching_from: set[NodeId] = field(default_factory=set)
    looking_up: set[TopicPartition] = field(default_factory=set)
    buffered: list[CompletedFetch] = field(default_factory=list)
    error: GlassKafkaError | None = None
    wants_metadata: bool = False

    # -- sending -------------------------------------------------------------------------------

    def fetch_requests(
        self,
        subscriptions: SubscriptionState,
        leaders: dict[TopicPartition, NodeId],
        config: ConsumerConfig,
    ) -> list[OutboundRequest]:
        """A Fetch for each broker with nothing in flight that leads a fetchable partition."""
        waiting = {completed.partition for completed in self.buffered}
        by_leader: dict[NodeId, list[tuple[TopicPartition, int]]] = {}
        for partition in subscriptions.in_state(FetchState.FETCHING):
            leader = leaders.get(partition)
            position = subscriptions.position(partition)
            if leader is None:
                self.wants_metadata = True
            elif leader not in self.fetching_from and partition not in waiting:
                assert position is not None
                by_leader.setdefault(leader, []).append((partition, position))
        requests: list[OutboundRequest] = []
        for leader, partitions in sorted(by_leader.items()):
            self.fetching_from.add(leader)
            requests.append((leader, _fetch_request(partitions, config)))
        return requests

    def list_offsets_requests(
        self,
        subscriptions: SubscriptionState,
        leaders: dict[TopicPartition, NodeId],
        config: ConsumerConfig,
    ) -> list[OutboundRequest]:
        """A ListOffsets per leader for partitions waiting for a reset, not already asked."""
        by_leader: dict[NodeId, list[tuple[TopicPartition, int]]] = {}
        for partition in subscriptions.in_state(FetchState.AWAIT_RESET):
            strategy = subscriptions.assignment[partition].reset_strategy
            leader = leaders.get(partition)
            assert strategy is not None
            if leader is None:
                self.wants_metadata = True
            elif partition not in self.looking_up:
                self.looking_up.add(partition)
                by_leader.setdefault(leader, []).append((partition, strategy.timestamp))
        return [
            (leader, _list_offsets_request(partitions, config))
            for leader, partitions in sorted(by_leader.items())
        ]

    # -- receiving ----------------------------------------------------------------------------

    def on_fetch_response(
        self,
        leader: NodeId,
        request: FetchRequest,
        response: FetchResponse,
        subscriptions: SubscriptionState,
        config: ConsumerConfig,
    ) -> None:
        """Buffer each partition's records, or act on its error."""
        self.fetching_from.discard(leader)
        asked = {
            (TopicName(t.topic), PartitionId(p.partition)): p.fetch_offset
            for t in request.topics
            for p in t.partitions
        }
        for topic in response.responses:
            for data in topic.partitions:
                partition = (TopicName(topic.topic), PartitionId(data.partition_index))
                fetch_offset = asked.get(partition)
                state = subscriptions.assignment.get(partition)
                if fetch_offset is None or state is None or state.position != fetch_offset:
                    continue  # revoked, sought elsewhere, or never asked: not ours to use
                state.high_watermark = data.high_watermark
                self._on_partition(
                    partition, fetch_offset, data.error_code, data.records, subscriptions, config
                )

    def _on_partition(
        self,
        partition: TopicPartition,
        fetch_offset: int,
        error_code: int,
        records: bytes | None,
        subscriptions: SubscriptionState,
        config: ConsumerConfig,
    ) -> None:
        error = _code(error_code)
        if error is ErrorCode.NONE:
            try:
                decoded = _decode(partition, fetch_offset, records or b"")
            except (CorruptRecordError, UnsupportedCompressionError) as problem:
                self.error = GlassKafkaError(
                    f"the fetch of {partition[0]}-{partition[1]} at offset {fetch_offset} "
                    f"returned invalid batches: {problem}"
                )
                return
            if decoded:
                self.buffered.append(
                    CompletedFetch(partition=partition, fetch_offset=fetch_offset, records=decoded)
                )
        elif error is ErrorCode.OFFSET_OUT_OF_RANGE:
            self._out_of_range(partition, fetch_offset, subscriptions, config)
        elif error in _METADATA_ERRORS:
            self.wants_metadata = True
        else:
            self.wants_metadata = (
                True  # unexpected: refresh and try again, as Kafka logs and retries
            )

    def _out_of_range(
        self,
        partition: TopicPartition,
        fetch_offset: int,
        subscriptions: SubscriptionState,
        config: ConsumerConfig,
    ) -> None:
        if config.auto_offset_reset == "none":
            self.error = NoOffsetForPartitionError(
                f"fetch position {fetch_offset} is out of range for partition "
                f"{partition[0]}-{partition[1]}, and auto.offset.reset=none"
            )
            return
        subscriptions.request_reset(partition, OffsetResetStrategy(config.auto_offset_reset))

    def on_list_offsets_response(
        self, response: ListOffsetsResponse, subscriptions: SubscriptionState
    ) -> None:
        """Set each looked-up position (if the partition still waits for it)."""
        for topic in response.topics:
            for answer in topic.partitions:
                partition = (TopicName(topic.name), PartitionId(answer.partition_index))
                self.looking_up.discard(partition)
                state = subscriptions.assignment.get(partition)
                if state is None or state.fetch_state is not FetchState.AWAIT_RESET:
                    continue
                if _code(answer.error_code) is ErrorCode.NONE and answer.offset >= 0:
                    subscriptions.seek(partition, answer.offset)
                else:
                    self.wants_metadata = True

    def forget(self, broker: NodeId) -> None:
        """The connection to ``broker`` broke: its Fetch is gone (lookups are re-asked)."""
        self.fetching_from.discard(broker)
        self.looking_up.clear()

    def discard(self, partitions: set[TopicPartition]) -> None:
        """Drop buffered data of partitions that are no longer ours."""
        self.buffered = [c for c in self.buffered if c.partition not in partitions]


def _code(value: int) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR


def _fetch_request(
    partitions: list[tuple[TopicPartition, int]], config: ConsumerConfig
) -> FetchRequest:
    topics: dict[str, list[FetchPartition]] = {}
    for (topic, index), position in partitions:
        topics.setdefault(topic, []).append(
            FetchPartition(
                partition=index,
                fetch_offset=position,
                partition_max_bytes=config.max_partition_fetch_bytes,
            )
        )
    return FetchRequest(
        max_wait_ms=config.fetch_max_wait_ms,
        min_bytes=config.fetch_min_bytes,
        max_bytes=config.fetch_max_bytes,
        isolation_level=1 if config.read_committed else 0,
        topics=tuple(FetchTopic(topic=t, partitions=tuple(ps)) for t, ps in topics.items()),
    )


def _list_offsets_request(
    partitions: list[tuple[TopicPartition, int]], config: ConsumerConfig
) -> ListOffsetsRequest:
    topics: dict[str, list[ListOffsetsPartition]] = {}
    for (topic, index), timestamp in partitions:
        topics.setdefault(topic, []).append(
            ListOffsetsPartition(partition_index=index, timestamp=timestamp)
        )
    return ListOffsetsRequest(
        replica_id=-1,
        isolation_level=1 if config.read_committed else 0,
        topics=tuple(ListOffsetsTopic(name=t, partitions=tuple(ps)) for t, ps in topics.items()),
    )


def _decode(
    partition: TopicPartition, fetch_offset: int, records: bytes
) -> tuple[ConsumerRecord, ...]:
    """Every record at or after ``fetch_offset`` in whole batches; control batches skipped.

    A trailing batch cut off by the byte limit ends the data silently (``iter_batches``).
    """
    out: list[ConsumerRecord] = []
    for position, header in iter_batches(records):
        if header.next_offset <= fetch_offset:
            continue
        batch = decode_batch(records, position)
        if header.is_control:
            continue
        out.extend(
            ConsumerRecord(
                topic=partition[0],
                partition=partition[1],
                offset=r.offset,
                timestamp=r.timestamp,
                key=r.key,
                value=r.value,
                headers=r.headers,
            )
            for r in batch.records
            if r.offset >= fetch_offset
        )
    return tuple(out)


def drain(
    fetcher: Fetcher, subscriptions: SubscriptionState, max_records: int
) -> list[ConsumerRecord]:
    """Take up to ``max_records`` buffered records, advancing positions past them.

    Records are taken in arrival order, partition by partition.  Data is used only if it starts
    where its partition's position is (``nextFetchOffset == position`` in Kafka's
    ``FetchCollector``); anything else -- after a seek, a reset or a revocation -- is dropped and
    fetched again.
    """
    taken: list[ConsumerRecord] = []
    kept: list[CompletedFetch] = []
    for completed in fetcher.buffered:
        state = subscriptions.assignment.get(completed.partition)
        if (
            state is None
            or state.fetch_state is not FetchState.FETCHING
            or state.position != completed.fetch_offset
        ):
            continue
        if len(taken) >= max_records:
            kept.append(completed)
            continue
        chunk = completed.records[: max_records - len(taken)]
        rest = completed.records[len(chunk) :]
        taken.extend(chunk)
        next_offset = chunk[-1].offset + 1
        subscriptions.advance(completed.partition, next_offset)
        if rest:
            kept.append(
                CompletedFetch(
                    partition=completed.partition, fetch_offset=next_offset, records=rest
                )
            )
    fetcher.buffered = kept
    return taken
