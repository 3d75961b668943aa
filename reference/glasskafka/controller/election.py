"""Leader election: the controller's decisions about one partition, as pure functions.

Theory of operation
-------------------
The partition state znode holds the leader, the leader epoch and the ISR.  The controller changes
it in three situations, each decided here from the state it just read, the partition's replicas
(in assignment order, preferred leader first) and the brokers alive right now:

* **a new partition** (:func:`initial_state`): the leader is the first live replica, the ISR is
  every live replica, the leader epoch is 0 (Kafka's ``LeaderAndIsr.initialLeaderEpoch``).  With
  no live replica there is nothing to write yet; the partition waits for a broker.
* **the leader is gone** (:func:`elect_leader`): a *clean* election picks the first replica, in
  assignment order, that is both alive and in the ISR (Kafka's
  ``PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection``), and the new ISR is the
  old one without the dead brokers.  Only if no ISR member is alive, and
  ``unclean.leader.election.enable`` is on for the topic, an *unclean* election picks the first
  live replica outside the ISR and makes the ISR just that replica: whatever the old ISR had
  committed and the new leader lacks is lost (scenario S8).  With neither, the partition goes
  **offline**: leader ``-1``, the ISR kept as it was, so that a returning ISR member can later be
  elected cleanly.
* **a follower is gone** while the leader is alive: the dead brokers leave the ISR (Kafka's
  ``ReplicaStateMachine`` moving a replica to ``OfflineReplica``).

Every change bumps the leader epoch by one (REPL-10: the epoch rises on every leader change and
every ISR change the controller makes), and the ISR is never emptied (REPL-7): the leader is
always in it, and an offline partition keeps its last ISR, as ZooKeeper-era Kafka did before
KIP-966.

Spec IDs: REPL-7, REPL-10 (the decisions); REPL-11 follows because each decision is written by a
compare-and-set and so each epoch is granted once.

Simplified from Kafka: no preferred-replica election (``auto.leader.rebalance.enable``), no
controlled shutdown election, no reassignment election; Kafka also removes dead replicas from the
ISR one at a time, which can shrink an all-dead ISR to its last member, where glasskafka keeps an
offline partition's ISR whole.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from glasskafka.controller.znodes import NO_LEADER, PartitionState
from glasskafka.ids import BrokerId, Epoch

__all__ = ["INITIAL_LEADER_EPOCH", "Election", "ElectionKind", "elect_leader", "initial_state"]

INITIAL_LEADER_EPOCH = Epoch(0)
"""The leader epoch of a new partition (Kafka's ``LeaderAndIsr.initialLeaderEpoch``)."""


class ElectionKind(enum.Enum):
    """What a decision did to the partition."""

    NEW = "new partition"
    CLEAN = "clean election"
    UNCLEAN = "unclean election"
    SHRINK = "dead replicas removed from the ISR"
    OFFLINE = "no eligible leader: offline"
    NONE = "nothing to change"


@dataclass(frozen=True, slots=True, kw_only=True)
class Election:
    """A decision: the state to write (unchanged when ``kind`` is ``NONE``) and why."""

    state: PartitionState
    kind: ElectionKind


def _check(state: PartitionState) -> PartitionState:
    """Assert REPL-7 on a state the controller is about to write (a bug here is ours)."""
    assert state.isr, f"REPL-7: the controller would write an empty ISR: {state!r}"
    assert state.leader == NO_LEADER or state.leader in state.isr, (
        f"REPL-7: the controller would write leader {state.leader} outside ISR {state.isr}"
    )
    return state


def initial_state(
    replicas: Sequence[BrokerId], *, live: Collection[BrokerId], controller_epoch: Epoch
) -> PartitionState | None:
    """The state of a new partition, or ``None`` if none of its replicas is alive.

    Invariants: REPL-7.
    """
    live_replicas = tuple(b for b in replicas if b in live)
    if not live_replicas:
        return None
    return _check(
        PartitionState(
            leader=live_replicas[0],
            leader_epoch=INITIAL_LEADER_EPOCH,
            isr=live_replicas,
            controller_epoch=controller_epoch,
        )
    )


def elect_leader(
    current: PartitionState,
    *,
    replicas: Sequence[BrokerId],
    live: Collection[BrokerId],
    unclean: bool,
    controller_epoch: Epoch,
) -> Election:
    """Decide what ``current`` should become now that only ``live`` brokers are alive.

    ``replicas`` is the assignment (preferred leader first); ``unclean`` is the topic's
    ``unclean.leader.election.enable``.  The result's ``zk_version`` is ``current``'s, the version
    the caller must expect in its compare-and-set.  A state with an empty ISR was not written by
    a controller (someone edited the znode by hand); it is left alone, because no choice of leader
    could be justified from it.  Invariants: REPL-7, REPL-10.
    """
    if not current.isr:
        return Election(state=current, kind=ElectionKind.NONE)
    live_isr = tuple(b for b in current.isr if b in live)

    def changed(leader: BrokerId, isr: tuple[BrokerId, ...], kind: ElectionKind) -> Election:
        state = dataclasses.replace(
            current,
            leader=leader,
            leader_epoch=Epoch(current.leader_epoch + 1),
            isr=isr,
            controller_epoch=controller_epoch,
        )
        return Election(state=_check(state), kind=kind)

    if current.leader in live and current.leader in current.isr:
        if live_isr == current.isr:
            return Election(state=current, kind=ElectionKind.NONE)
        return changed(current.leader, live_isr, ElectionKind.SHRINK)
    clean = next((b for b in replicas if b in live_isr), None)
    if clean is not None:
        return changed(clean, live_isr, ElectionKind.CLEAN)
    if unclean:
        # Kafka's last resort (KIP-106 made it opt-in): any live replica, with an ISR of one.
        candidate = next((b for b in replicas if b in live), None)
        if candidate is not None:
            return changed(candidate, (candidate,), ElectionKind.UNCLEAN)
    if current.leader == NO_LEADER:
        return Election(state=current, kind=ElectionKind.NONE)
    return changed(NO_LEADER, current.isr, ElectionKind.OFFLINE)
