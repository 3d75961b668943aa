"""Leader election decisions (``controller/election.py``): clean, unclean, shrink, offline.

Each test names the rule it checks; the property test at the end checks REPL-7 and REPL-10 on
every decision for random partition states and live sets.
"""

from __future__ import annotations

import pytest
from glasskafka.controller.election import (
    INITIAL_LEADER_EPOCH,
    ElectionKind,
    elect_leader,
    initial_state,
)
from glasskafka.controller.znodes import NO_LEADER, PartitionState
from glasskafka.ids import BrokerId, Epoch
from hypothesis import given
from hypothesis import strategies as st

CONTROLLER_EPOCH = Epoch(7)


def state(leader: int, epoch: int, isr: tuple[int, ...], zk_version: int = 3) -> PartitionState:
    return PartitionState(
        leader=BrokerId(leader),
        leader_epoch=Epoch(epoch),
        isr=tuple(BrokerId(b) for b in isr),
        controller_epoch=Epoch(1),
        zk_version=zk_version,
    )


def elect(
    current: PartitionState,
    live: set[int],
    *,
    replicas: tuple[int, ...] = (1, 2, 3),
    unclean: bool = False,
) -> tuple[ElectionKind, PartitionState]:
    election = elect_leader(
        current,
        replicas=tuple(BrokerId(b) for b in replicas),
        live={BrokerId(b) for b in live},
        unclean=unclean,
        controller_epoch=CONTROLLER_EPOCH,
    )
    return election.kind, election.state


def test_a_new_partition_is_led_by_its_first_live_replica_with_every_live_replica_in_sync() -> None:
    created = initial_state(
        (BrokerId(2), BrokerId(3), BrokerId(1)),
        live={BrokerId(2), BrokerId(1)},
        controller_epoch=CONTROLLER_EPOCH,
    )
    assert created == PartitionState(
        leader=BrokerId(2),
        leader_epoch=INITIAL_LEADER_EPOCH,
        isr=(BrokerId(2), BrokerId(1)),
        controller_epoch=CONTROLLER_EPOCH,
    )


def test_a_new_partition_with_no_live_replica_waits() -> None:
    live = {BrokerId(1), BrokerId(2)}
    assert initial_state((BrokerId(4),), live=live, controller_epoch=CONTROLLER_EPOCH) is None


def test_nothing_changes_while_the_leader_and_its_isr_are_alive() -> None:
    current = state(1, 4, (1, 2, 3))
    kind, after = elect(current, {1, 2, 3})
    assert kind is ElectionKind.NONE and after is current


def test_clean_election_takes_the_first_live_isr_member_in_assignment_order() -> None:
    # The ISR lists 3 before 2, but the assignment (preferred order) puts 2 first.
    kind, after = elect(state(1, 4, (1, 3, 2)), {2, 3})
    assert kind is ElectionKind.CLEAN
    assert (after.leader, after.leader_epoch, after.isr) == (2, 5, (3, 2))
    assert after.controller_epoch == CONTROLLER_EPOCH
    assert after.zk_version == 3, "the result carries the version the write must expect"


def test_a_dead_follower_leaves_the_isr_and_the_epoch_is_bumped() -> None:
    kind, after = elect(state(1, 4, (1, 2, 3)), {1, 3})
    assert kind is ElectionKind.SHRINK
    assert (after.leader, after.leader_epoch, after.isr) == (1, 5, (1, 3))


def test_a_live_replica_outside_the_isr_is_not_elected_cleanly() -> None:
    kind, after = elect(state(1, 4, (1,)), {2, 3})
    assert kind is ElectionKind.OFFLINE
    assert (after.leader, after.leader_epoch, after.isr) == (NO_LEADER, 5, (1,))


def test_offline_keeps_the_whole_isr_so_none_of_it_is_emptied() -> None:
    kind, after = elect(state(1, 4, (1, 2)), {3})
    assert kind is ElectionKind.OFFLINE
    assert after.isr == (1, 2), "REPL-7: the ISR of an offline partition is kept"


def test_an_offline_partition_stays_offline_without_another_epoch_bump() -> None:
    offline = state(-1, 5, (1, 2))
    kind, after = elect(offline, {3})
    assert kind is ElectionKind.NONE and after is offline


def test_an_isr_member_coming_back_is_elected_cleanly_and_alone_in_the_isr() -> None:
    kind, after = elect(state(-1, 5, (1, 2)), {2, 3})
    assert kind is ElectionKind.CLEAN
    assert (after.leader, after.leader_epoch, after.isr) == (2, 6, (2,))


def test_unclean_election_takes_a_live_replica_outside_the_isr_and_makes_it_the_isr() -> None:
    kind, after = elect(state(1, 4, (1,)), {3, 2}, unclean=True)
    assert kind is ElectionKind.UNCLEAN
    assert (after.leader, after.leader_epoch, after.isr) == (2, 5, (2,))


def test_unclean_election_still_prefers_a_clean_candidate() -> None:
    kind, after = elect(state(1, 4, (1, 3)), {2, 3}, unclean=True)
    assert kind is ElectionKind.CLEAN and after.leader == 3


def test_unclean_election_with_no_live_replica_leaves_the_partition_offline() -> None:
    kind, after = elect(state(1, 4, (1,)), {9}, unclean=True)
    assert kind is ElectionKind.OFFLINE and after.leader == NO_LEADER


def test_a_leader_that_is_not_in_its_isr_is_replaced() -> None:
    # Only a hand-edited znode looks like this; the controller repairs it from the ISR.
    kind, after = elect(state(1, 4, (2, 3)), {1, 2, 3})
    assert kind is ElectionKind.CLEAN and after.leader == 2


def test_a_state_with_an_empty_isr_is_left_alone() -> None:
    broken = state(1, 4, ())
    assert elect(broken, {2, 3}) == (ElectionKind.NONE, broken)


@pytest.mark.parametrize("unclean", [False, True])
@given(
    leader=st.sampled_from([-1, 1, 2, 3, 4]),
    epoch=st.integers(0, 50),
    isr=st.lists(st.integers(1, 4), min_size=1, max_size=4, unique=True),
    live=st.sets(st.integers(1, 4)),
)
def test_every_decision_keeps_repl_7_and_bumps_the_epoch_on_every_change(
    unclean: bool, leader: int, epoch: int, isr: list[int], live: set[int]
) -> None:
    current = state(leader, epoch, tuple(isr))
    kind, after = elect(current, live, replicas=(1, 2, 3, 4), unclean=unclean)
    if kind is ElectionKind.NONE:
        assert after == current
        return
    assert after.isr, "REPL-7: the ISR is never empty"
    assert after.leader == NO_LEADER or after.leader in after.isr, "REPL-7: leader in ISR"
    assert after.leader == NO_LEADER or after.leader in live, "only a live broker leads"
    assert after.leader_epoch == current.leader_epoch + 1, "REPL-10: every change bumps the epoch"
    assert (after.leader, after.isr) != (current.leader, current.isr)
    if kind is ElectionKind.CLEAN:
        assert after.leader in current.isr, "a clean election picks an ISR member"
    if kind is not ElectionKind.UNCLEAN:
        assert set(after.isr) <= set(current.isr), "only an unclean election adds to the ISR"
