"""The leader-epoch cache: at which offset each leader epoch began in this log.

Theory of operation
-------------------
Every batch a leader appends is stamped with the leader's epoch (KIP-101).  The cache remembers,
for each epoch that wrote to this log, the offset of its first batch::

    epoch 0 starts at 0,  epoch 2 starts at 120,  epoch 3 starts at 185

A follower that restarts or sees a new leader asks the leader "where does my latest epoch end in
*your* log?" (OffsetForLeaderEpoch) and truncates its own log there, instead of trusting its high
watermark (KIP-101, KIP-279).  :meth:`LeaderEpochCache.end_offset_for` is the leader's answer.

Rules kept (LOG-7, and REPL-10's "each epoch cache lists strictly increasing epochs with strictly
increasing start offsets, and agrees with the log"):

* epochs and start offsets both rise strictly along the list;
* every batch in the log carries the epoch of the last entry that starts at or before it;
* truncating the log's end drops the entries that start at or after the new end
  (:meth:`truncate_from_end`); moving the log start forward moves the first surviving epoch's
  start up to it (:meth:`truncate_from_start`).

The partition log saves the list to ``leader-epoch-checkpoint`` after every change.

Spec IDs: LOG-7.

Simplified from Kafka: ``LeaderEpochFileCache`` is guarded by a lock because request threads and
the replica fetcher share it; glasskafka runs one input at a time, so there is none.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

__all__ = ["UNDEFINED_EPOCH", "UNDEFINED_EPOCH_OFFSET", "LeaderEpochCache"]

UNDEFINED_EPOCH = -1
"""Kafka's ``UNDEFINED_EPOCH``: no epoch (an OffsetForLeaderEpoch answer for an unknown one)."""

UNDEFINED_EPOCH_OFFSET = -1
"""Kafka's ``UNDEFINED_EPOCH_OFFSET``."""


@dataclass(slots=True, kw_only=True)
class LeaderEpochCache:
    """``(epoch, start_offset)`` entries, rising strictly in both."""

    entries: list[tuple[int, int]] = field(default_factory=list)

    @property
    def latest_epoch(self) -> int:
        """The newest epoch in the cache, or ``UNDEFINED_EPOCH`` if it is empty."""
        return self.entries[-1][0] if self.entries else UNDEFINED_EPOCH

    def epoch_for_offset(self, offset: int) -> int:
        """The epoch of the entry that covers ``offset``, or ``UNDEFINED_EPOCH``."""
        starts = [start for _, start in self.entries]
        number = bisect.bisect_right(starts, offset) - 1
        return self.entries[number][0] if number >= 0 else UNDEFINED_EPOCH

    def assign(self, *, epoch: int, start_offset: int) -> bool:
        """Record that ``epoch`` starts at ``start_offset`` if it is new; return whether it was.

        A repeat of the latest epoch changes nothing, and so does a negative epoch (a batch
        from before KIP-101).  A new epoch first removes any entry it contradicts: one with an
        epoch or start offset at least as large (``LeaderEpochFileCache.assign``).  The caller
        refuses epochs below the latest before calling.  Invariants: LOG-7.
        """
        if epoch < 0 or epoch == self.latest_epoch:
            return False
        while self.entries and (
            self.entries[-1][0] >= epoch or self.entries[-1][1] >= start_offset
        ):
            self.entries.pop()
        self.entries.append((epoch, start_offset))
        return True

    def end_offset_for(self, requested_epoch: int, *, log_end_offset: int) -> tuple[int, int]:
        """Where ``requested_epoch`` ends in this log, as ``(epoch, end_offset)`` (KIP-279).

        * the latest epoch ends at the log end offset;
        * an older epoch ends where the next larger epoch starts, and the answer names the
          largest epoch ``<=`` the requested one (which may be smaller, if the requested epoch
          never wrote to this log);
        * an epoch older than every entry gets the first entry's start offset;
        * an epoch newer than every entry, or an empty cache, gets ``(-1, -1)``.
        """
        if requested_epoch == UNDEFINED_EPOCH or not self.entries:
            return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
        if requested_epoch == self.latest_epoch:
            return requested_epoch, log_end_offset
        epochs = [epoch for epoch, _ in self.entries]
        higher = bisect.bisect_right(epochs, requested_epoch)
        if higher == len(self.entries):
            return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
        if higher == 0:
            return requested_epoch, self.entries[0][1]
        return self.entries[higher - 1][0], self.entries[higher][1]

    def truncate_from_end(self, end_offset: int) -> bool:
        """Drop entries that start at or after ``end_offset``; return whether any went.

        Called when the log is truncated to ``end_offset``.  Invariants: LOG-7.
        """
        before = len(self.entries)
        while self.entries and self.entries[-1][1] >= end_offset:
            self.entries.pop()
        return len(self.entries) != before

    def truncate_from_start(self, start_offset: int) -> bool:
        """Forget epochs wholly below ``start_offset``; return whether anything changed.

        The last entry starting at or below ``start_offset`` survives, moved up to start there,
        because its epoch still covers the new first offset
        (``LeaderEpochFileCache.truncateFromStart``).  Invariants: LOG-7.
        """
        starts = [start for _, start in self.entries]
        covering = bisect.bisect_right(starts, start_offset) - 1
        if covering < 0 or (covering == 0 and starts[0] == start_offset):
            return False
        epoch = self.entries[covering][0]
        self.entries[: covering + 1] = [(epoch, start_offset)]
        return True
