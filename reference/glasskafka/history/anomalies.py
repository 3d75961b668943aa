"""The anomaly kinds the checker reports, with Jepsen's names and glasskafka's DELIV-n IDs.

Theory of operation
-------------------
Each :class:`Kind`'s value is the anomaly's name in Jepsen's Kafka checker
(``jepsen/src/jepsen/tests/kafka.clj``), letter for letter, so a glasskafka report reads beside a
Jepsen or Maelstrom one; the group kinds are glasskafka's own (``reference/delivery-semantics.md``
§7).  :data:`KINDS` gives each its spec ID in ``specs/delivery.py`` and a one-line meaning.

A check returns :class:`Case` values.  A case is *fatal* (it makes the history invalid) or
*allowed* (reported, never failing).  Which one can depend on context, as in Jepsen:
``poll-skip`` and ``nonmonotonic-poll`` are allowed for a consumer in subscribe mode, and
``group-redelivered`` is allowed in a group that promises only at-least-once.

Kinds of Jepsen's taxonomy that need transactions (``precommitted-read``, ``int-send-skip``,
``int-nonmonotonic-send``, ``G0``, ``G1c`` without process order, the ``PL-`` cycle reports and
the ``-realtime`` variants) cannot arise in a history without transactions, whose sends carry one
record each, so they are not listed; they arrive with transactions.  Jepsen's
``empty-transaction-graph`` becomes the checker's ``unknown`` verdict.

Spec IDs: every DELIV id of ``specs/delivery.py``, one or more kinds each.

Simplified from Kafka: nothing; these are observations of Kafka, not parts of it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from glasskafka.ids import Offset, TopicPartition

__all__ = ["KINDS", "Case", "Kind", "KindInfo"]


class Kind(enum.Enum):
    """An anomaly kind; the value is its name in reports."""

    GROUP_UNDELIVERED = "group-undelivered"
    GROUP_REDELIVERED = "group-redelivered"
    LOST_WRITE = "lost-write"
    UNSEEN = "unseen"
    INCONSISTENT_OFFSETS = "inconsistent-offsets"
    DUPLICATE = "duplicate"
    G1A = "G1a"
    POLL_SKIP = "poll-skip"
    NONMONOTONIC_POLL = "nonmonotonic-poll"
    INT_POLL_SKIP = "int-poll-skip"
    INT_NONMONOTONIC_POLL = "int-nonmonotonic-poll"
    NONMONOTONIC_SEND = "nonmonotonic-send"
    G1C_PROCESS = "G1c-process"
    GROUP_DOUBLE_OWNER = "group-double-owner"


@dataclass(frozen=True, slots=True, kw_only=True)
class KindInfo:
    """What a kind means and which invariant it breaks."""

    spec_id: str
    meaning: str


KINDS: dict[Kind, KindInfo] = {
    Kind.GROUP_UNDELIVERED: KindInfo(
        spec_id="DELIV-19",
        meaning="a record below an at-least-once group's committed offset was never processed"
        " by a member of the group",
    ),
    Kind.GROUP_REDELIVERED: KindInfo(
        spec_id="DELIV-20",
        meaning="a record was processed more than once by one group (an error only where the"
        " group promises at-most-once)",
    ),
    Kind.LOST_WRITE: KindInfo(
        spec_id="DELIV-5",
        meaning="an acknowledged write was skipped by every reader, though later writes were read",
    ),
    Kind.UNSEEN: KindInfo(
        spec_id="DELIV-5",
        meaning="an acknowledged write was never returned by any poll",
    ),
    Kind.INCONSISTENT_OFFSETS: KindInfo(
        spec_id="DELIV-1",
        meaning="one offset of a partition held two different records",
    ),
    Kind.DUPLICATE: KindInfo(
        spec_id="DELIV-2",
        meaning="one record sits at two or more offsets of a partition",
    ),
    Kind.G1A: KindInfo(
        spec_id="DELIV-3",
        meaning="a poll returned a record whose send definitely failed (an aborted read)",
    ),
    Kind.POLL_SKIP: KindInfo(
        spec_id="DELIV-7",
        meaning="a consumer's next poll of a partition began past records it never read"
        " (allowed in subscribe mode)",
    ),
    Kind.NONMONOTONIC_POLL: KindInfo(
        spec_id="DELIV-7",
        meaning="a consumer's next poll of a partition began at or before where its last one"
        " ended (allowed in subscribe mode)",
    ),
    Kind.INT_POLL_SKIP: KindInfo(
        spec_id="DELIV-7",
        meaning="one poll returned two records of a partition with records between them missing",
    ),
    Kind.INT_NONMONOTONIC_POLL: KindInfo(
        spec_id="DELIV-7",
        meaning="one poll returned a partition's records out of log order, or one twice",
    ),
    Kind.NONMONOTONIC_SEND: KindInfo(
        spec_id="DELIV-13",
        meaning="a process's send landed at or before its previous send to the same partition",
    ),
    Kind.G1C_PROCESS: KindInfo(
        spec_id="DELIV-15",
        meaning="circular information flow: following process order and write-read edges"
        " leads back to the start, so some read saw a write from its own future",
    ),
    Kind.GROUP_DOUBLE_OWNER: KindInfo(
        spec_id="DELIV-21",
        meaning="two members of a group owned the same partition in the same generation",
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One occurrence of an anomaly, with the history lines that show it."""

    kind: Kind
    fatal: bool
    message: str
    lines: tuple[int, ...]
    partition: TopicPartition | None = None
    offsets: tuple[Offset, ...] = ()

    @property
    def spec_id(self) -> str:
        """The DELIV-n invariant this case breaks."""
        return KINDS[self.kind].spec_id
