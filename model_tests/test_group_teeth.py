"""Teeth for the group model suite: a bug flag and broken coordinators, each caught.

Each case turns on one defect and asserts that Hypothesis, running
:class:`~model_tests.test_group_model.GroupMachine`, finds the invariant it breaks:

* the bug flag ``stale_generation_commit_accepted`` (GROUP-3): a member of an older generation
  may commit, as if the generation fence were missing;
* :class:`LeaderBytesForAll` (GROUP-2): the coordinator hands every member the leader's own
  assignment, so two members own the same partitions in one generation;
* :class:`ForgetfulLoader` (GROUP-1): a coordinator that loads groups without their stored
  generation, so a failover sends generations back to 0;
* :class:`UndeadUnload` (GROUP-4): unloading forgets to mark groups Dead, so a group vanishes
  without the transition that tells concurrent handlers to stop;
* :class:`SilentUnload` (GROUP-5): unloading forgets to answer parked JoinGroup and SyncGroup
  requests, which then hang forever;
* :class:`AckBeforeAppend` (GROUP-6): commits are acknowledged before their records are in the
  log, so a failover loses acknowledged offsets.

Only the generate phase runs: finding the violation is the point, and shrinking it would cost
seconds per case.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from glasskafka.bugs import BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.group import GroupCoordinator, GroupMetadata, GroupStep
from glasskafka.group.context import Context, PendingCommit, PendingEmptyGroup, PendingGroupStore
from glasskafka.ids import Millis, NodeId, PartitionId
from glasskafka.protocol.envelope import KafkaRequest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from model_tests.test_group_model import CONFIG, GroupMachine

TEETH_SETTINGS = settings(
    max_examples=500,
    stateful_step_count=40,
    database=None,
    deadline=None,
    phases=(Phase.generate,),
    suppress_health_check=list(HealthCheck),
)


class LeaderBytesForAll(GroupCoordinator):
    """Stores the leader's own assignment for every member."""

    def on_append_completed(self, append_id: int, error: ErrorCode, now_ms: Millis) -> GroupStep:
        pending = self.ledger.pending.get(append_id)
        group = self.groups.get(pending.group_id) if pending is not None else None
        if isinstance(pending, PendingGroupStore) and group is not None and group.leader_id:
            mine = dict(pending.assignment).get(group.leader_id, b"")
            everyone = tuple((member, mine) for member, _ in pending.assignment)
            self.ledger.pending[append_id] = dataclasses.replace(pending, assignment=everyone)
        return super().on_append_completed(append_id, error, now_ms)


class ForgetfulLoader(GroupCoordinator):
    """Loads every group at generation 0, whatever the log says."""

    def load(self, partition: PartitionId, records: bytes, now_ms: Millis) -> GroupStep:
        step = super().load(partition, records, now_ms)
        for group in self.groups.values():
            group.generation_id = 0
        return step


class UndeadUnload(GroupCoordinator):
    """Drops unloaded groups without reporting them Dead."""

    def _unload(self, group: GroupMetadata, ctx: Context) -> None:
        super()._unload(group, ctx)
        group.recent_transitions.clear()


class SilentUnload(GroupCoordinator):
    """Drops unloaded groups without answering their parked requests."""

    def _unload(self, group: GroupMetadata, ctx: Context) -> None:
        for member in group.members.values():
            member.awaiting_join = None
            member.awaiting_sync = None
        super()._unload(group, ctx)


class AckBeforeAppend(GroupCoordinator):
    """Answers an offset commit as soon as it hands the records to the host."""

    def on_request(self, sender: NodeId, request: KafkaRequest, now_ms: Millis) -> GroupStep:
        step = super().on_request(sender, request, now_ms)
        for append in step.appends:
            pending = self.ledger.pending.get(append.append_id)
            if isinstance(pending, PendingCommit):
                step = step + self.on_append_completed(append.append_id, ErrorCode.NONE, now_ms)
                # The host will still report this append; let that report do nothing.
                ignored = PendingEmptyGroup(group_id=pending.group_id, generation_id=-1)
                self.ledger.pending[append.append_id] = ignored
        return step


def _machine_with(variant: type[GroupCoordinator], flags: BugFlags) -> type[GroupMachine]:
    class BrokenMachine(GroupMachine):
        bugs = flags

        def make_coordinator(self, broker_id: int) -> GroupCoordinator:
            return variant(
                broker_id=broker_id, config=CONFIG, rng=random.Random(broker_id), bugs=flags
            )

    return BrokenMachine


@pytest.mark.parametrize(
    ("variant", "flags", "violated"),
    [
        (GroupCoordinator, BugFlags.only("stale_generation_commit_accepted"), "GROUP-3"),
        (LeaderBytesForAll, BugFlags(), "GROUP-2"),
        (ForgetfulLoader, BugFlags(), "GROUP-1"),
        (UndeadUnload, BugFlags(), "GROUP-4"),
        (SilentUnload, BugFlags(), "GROUP-5"),
        (AckBeforeAppend, BugFlags(), "GROUP-6"),
    ],
    ids=[
        "stale_generation_commit_accepted",
        "leader-bytes-for-all",
        "loader-forgets-generation",
        "unload-without-dead",
        "unload-without-answers",
        "ack-before-append",
    ],
)
def test_group_suite_catches(
    variant: type[GroupCoordinator], flags: BugFlags, violated: str
) -> None:
    """Teeth: with the defect on, Hypothesis finds a violation of the named invariant."""
    with pytest.raises(AssertionError, match=violated):
        run_state_machine_as_test(_machine_with(variant, flags), settings=TEETH_SETTINGS)


def test_the_same_suite_passes_without_the_defects() -> None:
    """The control: the machine used above finds nothing in the coordinator as designed."""
    run_state_machine_as_test(
        _machine_with(GroupCoordinator, BugFlags()),
        settings=settings(TEETH_SETTINGS, max_examples=30),
    )
