"""Named bug flags: historical Kafka bugs and unsafe shortcuts, all off by default.

Theory of operation
-------------------
Each flag re-introduces one known defect at the single place in the code where that defect lives
(DESIGN §5).  They serve three uses: the "teeth" tests, which prove a model suite finds the
violation a flag causes; tutorials that show a counterexample; and "find the bug" exercises.

Flags are plain data in a frozen :class:`BugFlags` that a node receives at construction, never a
global switch: two nodes in one simulation may differ, a run is reproducible from its inputs, and
``grep bugs.<name>`` finds the one line each flag changes.  :data:`CATALOGUE` describes each flag:
the invariants it breaks, the scenario it recreates, and where in the code it acts.  A meta-test
keeps the catalogue, the dataclass and the teeth tests in step.

This module sits in the lowest layer (beside ``ids`` and ``errors``), not where DESIGN §2's table
lists it, because every layer that hosts a bug (``log``, ``broker``, ``client``...) must read it.

Spec IDs: none maintained; each catalogue entry names the IDs its flag breaks.

Simplified from Kafka: Kafka has no such switches; each flag re-creates a bug or unsafe choice
from Kafka's history (its KAFKA-n ticket or KIP is in the entry) at the place the fix now lives.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["CATALOGUE", "NO_BUGS", "BugFlags", "BugInfo"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BugFlags:
    """Which bugs are switched on.  The default, ``BugFlags()``, is glasskafka as designed."""

    index_entry_off_by_one: bool = False
    recover_without_crc_check: bool = False
    assign_partition_twice: bool = False
    truncate_to_local_hw_on_follow: bool = False
    kip101_lookup: bool = False
    skip_truncation_if_same_leader: bool = False
    unfenced_fetch: bool = False
    expand_isr_on_hw_only: bool = False
    apply_isr_change_before_zk_ack: bool = False
    ack_before_hw: bool = False
    stale_generation_commit_accepted: bool = False
    auto_commit_current_poll: bool = False
    resume_after_committed: bool = False
    dedupe_first_seq_only: bool = False
    accept_stale_producer_epoch: bool = False
    follower_skips_producer_state: bool = False

    def enabled(self) -> tuple[str, ...]:
        """Names of the flags that are on, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(self) if getattr(self, f.name))

    @classmethod
    def only(cls, name: str) -> BugFlags:
        """A ``BugFlags`` with just ``name`` on (raises ``ValueError`` for an unknown name)."""
        if name not in {f.name for f in dataclasses.fields(cls)}:
            raise ValueError(f"unknown bug flag {name!r}; known: {', '.join(CATALOGUE)}")
        return cls(**{name: True})


NO_BUGS = BugFlags()


@dataclass(frozen=True, slots=True, kw_only=True)
class BugInfo:
    """What a flag does, for docs, tests and the bug-hunt exercise."""

    name: str
    summary: str
    breaks: tuple[str, ...]
    location: str
    source: str


CATALOGUE: dict[str, BugInfo] = {
    info.name: info
    for info in (
        BugInfo(
            name="index_entry_off_by_one",
            summary="The offset index records each entry one batch too late: the position "
            "where the indexed batch ends (the next batch's start) instead of where it starts, "
            "so a lookup of that batch's offsets lands past the batch that holds them.",
            # LOG-3 sees the entry itself; a read through it skips the batch (LOG-2).
            breaks=("LOG-3", "LOG-2"),
            location="glasskafka/log/index.py",
            source="a classic sparse-index off-by-one; Kafka's LogSegment.append indexes the "
            "position taken before the batch is written (physicalPosition = log.sizeInBytes())",
        ),
        BugInfo(
            name="recover_without_crc_check",
            summary="Recovery after a crash checks batch lengths but not CRCs, so a batch "
            "whose length survived a power loss but whose bytes did not is kept as data.",
            breaks=("LOG-4",),
            location="glasskafka/log/recovery.py",
            source="Kafka's LogSegment.recover calls batch.ensureValid() (the CRC check) on "
            "every batch it recovers (LogLoader.recoverSegment)",
        ),
        BugInfo(
            name="assign_partition_twice",
            summary="The sticky assignors believe every claim on a partition that two members "
            "report owning in the same generation, so both keep it and it is consumed twice.",
            # The sticky assignor then works on a partition held twice; where it moves one copy
            # the other stays, so the outcome can also be lopsided (ASSIGN-2).
            breaks=("ASSIGN-1", "ASSIGN-4", "ASSIGN-2"),
            location="glasskafka/assignors/claims.py",
            source="KAFKA-12984 (apache/kafka PR #10985): AbstractStickyAssignor now invalidates "
            "partitions claimed by several members in one generation",
        ),
        BugInfo(
            name="truncate_to_local_hw_on_follow",
            summary="A replica that becomes a follower (after a restart or a new LeaderAndIsr) "
            "cuts its log back to its own high watermark instead of asking the leader where its "
            "epoch ends, so it can drop a record the leader already committed (scenario S1; with "
            "lossy crashes, S2).",
            breaks=("REPL-2", "REPL-4", "REPL-5", "REPL-14"),
            location="glasskafka/broker/replica_manager.py",
            source="KIP-101 (Kafka before 0.11 truncated followers to the high watermark)",
        ),
        BugInfo(
            name="kip101_lookup",
            summary="The leader answers OffsetForLeaderEpoch with the start offset of the first "
            "epoch larger than the one asked and no epoch of its own, so after a quick "
            "succession of leaders a follower keeps a record that differs from the leader's "
            "(scenario S3).",
            breaks=("REPL-1", "REPL-14"),
            location="glasskafka/broker/fetch_path.py",
            source="KIP-279 (the lookup of KIP-101 before Kafka 2.0)",
        ),
        BugInfo(
            name="skip_truncation_if_same_leader",
            summary="A follower that receives a newer leader epoch skips reconciling its log "
            "when the leader is the broker it already followed, so it keeps a tail written in "
            "an epoch it never heard of (scenario S4).",
            breaks=("REPL-1",),
            location="glasskafka/broker/replica_manager.py",
            source="KAFKA-7164 (apache/kafka PR #5436): truncate on every leader epoch change",
        ),
        BugInfo(
            name="unfenced_fetch",
            summary="The leader ignores the current leader epoch that Fetch and "
            "OffsetForLeaderEpoch carry, as brokers did before KIP-320: a zombie follower of an "
            "older epoch is served and counted toward the high watermark and the ISR "
            "(scenario S5).",
            breaks=("REPL-12", "REPL-1"),
            location="glasskafka/broker/partition.py",
            source="KIP-320, KAFKA-6880 (zombie replicas rejoining without truncation)",
        ),
        BugInfo(
            name="expand_isr_on_hw_only",
            summary="The leader adds a follower to the ISR as soon as the follower's log end "
            "offset reaches the leader's high watermark, without requiring the leader-epoch "
            "start offset or a fetch in the current epoch, so a new leader whose HW still lags "
            "admits a follower that lacks committed records (scenario S6).",
            breaks=("REPL-13", "REPL-2", "REPL-5"),
            location="glasskafka/broker/isr.py",
            source="KAFKA-7128; the ISR expansion rule of KIP-320",
        ),
        BugInfo(
            name="apply_isr_change_before_zk_ack",
            summary="While the leader's ISR write is not yet confirmed by the coordination "
            "service, it advances the high watermark over the smaller of the current and the "
            "proposed ISR instead of their union (the maximal ISR), so it can acknowledge a "
            "record that a replica in the ZooKeeper ISR does not hold (scenario S7).",
            breaks=("REPL-8", "REPL-2"),
            location="glasskafka/broker/partition.py",
            source="KIP-497 (maximalIsr); hachikuji/kafka-specification AsyncIsr.tla",
        ),
        BugInfo(
            name="ack_before_hw",
            summary="The leader answers an acks=all produce right after its local append, "
            "before the high watermark passes the batch, so acks=all silently behaves like "
            "acks=1 and an acknowledged record can be lost in a clean election.",
            breaks=("REPL-5", "REPL-4"),
            location="glasskafka/broker/produce_path.py",
            source="Kafka's design docs, Replication: acks=all waits for the full ISR "
            "(DelayedProduce in ReplicaManager.appendRecords)",
        ),
        BugInfo(
            name="stale_generation_commit_accepted",
            summary="The group coordinator accepts an OffsetCommit from a member that names an "
            "older generation, so a consumer that has not yet noticed a rebalance moves the "
            "committed position of a partition that now belongs to another member.",
            breaks=("GROUP-3",),
            location="glasskafka/group/offsets.py",
            source="the generation fence of GroupCoordinator.doCommitOffsets (ILLEGAL_GENERATION), "
            "part of the group protocol since Kafka 0.9; reference/clients-and-groups.md §10.3",
        ),
        BugInfo(
            name="auto_commit_current_poll",
            summary="With enable.auto.commit the consumer commits the positions reached by the "
            "current poll, before the application has processed its records, instead of those "
            "of earlier polls; a crash between poll and processing then loses the records.",
            breaks=("DELIV-19",),
            location="glasskafka/client/consumer.py",
            source="ConsumerCoordinator.poll calls maybeAutoCommitOffsetsAsync before the fetch "
            "(KafkaConsumer.poll); the course notes warn of committing before processing",
        ),
        BugInfo(
            name="resume_after_committed",
            summary="After a rebalance the consumer resumes a newly assigned partition at the "
            "committed offset plus one, treating the committed offset as the last record "
            "processed rather than the next one to read, so one record per handover is skipped.",
            breaks=("DELIV-19",),
            location="glasskafka/client/offset_commit.py",
            source="Kafka's committed offset is the next offset to read (KafkaConsumer.commitSync "
            "javadoc: lastProcessedMessageOffset + 1); Maelstrom's kafka workload uses the other "
            "meaning (reference/delivery-semantics.md §1, §8)",
        ),
        BugInfo(
            name="dedupe_first_seq_only",
            summary="The leader's duplicate check compares a batch's first sequence number "
            "alone, forgetting its epoch and last sequence, so after an epoch bump a new batch "
            "that restarts at sequence 0 is taken for an old one: it is answered with the old "
            "batch's offset and never written.",
            breaks=("IDEM-3",),
            location="glasskafka/log/producer_state.py",
            source="Kafka's ProducerStateEntry.findDuplicateBatch matches epoch, first and last "
            "sequence; Redpanda PR #5026 (a sequence reused after an abort got the old offset)",
        ),
        BugInfo(
            name="accept_stale_producer_epoch",
            summary="The leader lets a batch of an older producer epoch through to the sequence "
            "check as if its epoch were new, so a fenced producer's batch that starts at "
            "sequence 0 is appended after the newer epoch's batches.",
            breaks=("IDEM-4",),
            location="glasskafka/log/producer_state.py",
            source="Kafka's ProducerAppendInfo.checkProducerEpoch (INVALID_PRODUCER_EPOCH, 47); "
            "KIP-98 producer fencing",
        ),
        BugInfo(
            name="follower_skips_producer_state",
            summary="A follower copies the leader's batches but not its producer state, so after "
            "a failover the new leader has no state for the producer and appends a retry of a "
            "batch it already holds.",
            breaks=("IDEM-5", "IDEM-1"),
            location="glasskafka/log/producer_state.py",
            source="reference/replication-invariants.md §6.2 (followers rebuild the state from "
            "replicated batches, AppendOrigin.REPLICATION in Kafka's ProducerAppendInfo)",
        ),
    )
}
