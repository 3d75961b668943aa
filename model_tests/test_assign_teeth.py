"""Teeth: the assignment suites find the defects they exist to find.

Each test switches one defect on and asserts that Hypothesis finds the violation, naming the
spec it breaks:

* the bug flag ``assign_partition_twice`` (KAFKA-12984's missing check: two members claiming one
  partition in the same generation both keep it) - found by the property suite and by the
  rebalance machine, as ASSIGN-1 (a partition given twice), ASSIGN-4 (two members consuming it
  at once) or ASSIGN-2 (the sticky assignor, moving one copy of a partition held twice, leaves a
  lopsided outcome);
* a *lopsided* sticky assignor that gives the first member every partition it can take from the
  second - ASSIGN-2;
* a *forgetful* sticky assignor that ignores what members owned and starts afresh every time -
  ASSIGN-3;
* the eager sticky assignor used under the cooperative protocol, without the two-phase rule -
  ASSIGN-4.

Settings are fixed here (not the profile's), so each search is small and fast but always long
enough; the example database is off so a run cannot lean on an earlier one.

Spec IDs: ASSIGN-1, ASSIGN-2, ASSIGN-3, ASSIGN-4 (each shown to fail when it should).

Simplified from Kafka: Kafka has no teeth tests; its assignor tests assert only that correct code
passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from glasskafka.assignors import (
    AssignmentStrategy,
    Subscription,
    encode_sticky_user_data,
    sticky_outcome,
)
from glasskafka.bugs import CATALOGUE, BugFlags
from glasskafka.ids import MemberId, TopicName, TopicPartition
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.stateful import run_state_machine_as_test

from model_tests.test_assign_properties import (
    check_round,
    groups,
    run_assignor,
    view_of,
)
from model_tests.test_assign_rebalances import machine_for

BUG = BugFlags.only("assign_partition_twice")
STICKY = AssignmentStrategy.STICKY
COOPERATIVE = AssignmentStrategy.COOPERATIVE_STICKY


def _settings(examples: int, steps: int = 12) -> settings:
    # No shrinking: a teeth test only needs the violation found, not minimised.
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )


def lopsided(
    partitions_per_topic: Mapping[TopicName, int], subscriptions: Mapping[MemberId, Subscription]
) -> dict[MemberId, list[TopicPartition]]:
    """Sticky, then the first member takes every partition of the second that it subscribes to."""
    result = {
        m: list(p)
        for m, p in sticky_outcome(partitions_per_topic, subscriptions).assignment.items()
    }
    members = sorted(result)
    if len(members) >= 2:
        first, second = members[0], members[1]
        taken = [tp for tp in result[second] if tp[0] in subscriptions[first].topics]
        result[first] += taken
        result[second] = [tp for tp in result[second] if tp not in taken]
    return result


def forgetful(
    partitions_per_topic: Mapping[TopicName, int], subscriptions: Mapping[MemberId, Subscription]
) -> Mapping[MemberId, Sequence[TopicPartition]]:
    """Sticky with every member's past erased: a fresh assignment each time."""
    fresh = {m: Subscription(topics=s.topics) for m, s in subscriptions.items()}
    return sticky_outcome(partitions_per_topic, fresh).assignment


@pytest.mark.parametrize("strategy", [STICKY, COOPERATIVE], ids=["sticky", "cooperative-sticky"])
def test_property_suite_finds_assign_partition_twice(strategy: AssignmentStrategy) -> None:
    @_settings(300)
    @given(group=groups(strategy))
    def one_round(group: tuple[dict[TopicName, int], dict[MemberId, Subscription]]) -> None:
        counts, subscriptions = group
        result = run_assignor(strategy, BUG)(counts, subscriptions)
        check_round(view_of(strategy, counts, subscriptions, result))

    with pytest.raises(AssertionError, match=r"ASSIGN-1|ASSIGN-2"):
        one_round()


def test_rebalance_machine_finds_assign_partition_twice() -> None:
    # Old clients send no generation, so a zombie's stale claim and the current owner's claim
    # look equally recent: the situation the same-generation rule exists for.
    machine = machine_for(
        STICKY, assignor=run_assignor(STICKY, BUG), old_clients=True, name="BuggyRebalances"
    )
    with pytest.raises(AssertionError, match=r"ASSIGN-1|ASSIGN-2|ASSIGN-4"):
        run_state_machine_as_test(machine, settings=_settings(400, steps=10))


def test_rebalance_machine_finds_a_lopsided_assignor() -> None:
    machine = machine_for(STICKY, assignor=lopsided, name="LopsidedRebalances")
    with pytest.raises(AssertionError, match="ASSIGN-2"):
        run_state_machine_as_test(machine, settings=_settings(200, steps=8))


def test_rebalance_machine_finds_a_forgetful_assignor() -> None:
    machine = machine_for(STICKY, assignor=forgetful, name="ForgetfulRebalances")
    with pytest.raises(AssertionError, match="ASSIGN-3"):
        run_state_machine_as_test(machine, settings=_settings(200, steps=8))


def test_rebalance_machine_finds_eager_moves_under_the_cooperative_protocol() -> None:
    eager = run_assignor(STICKY)

    def sticky_without_two_phases(
        partitions_per_topic: Mapping[TopicName, int],
        subscriptions: Mapping[MemberId, Subscription],
    ) -> Mapping[MemberId, Sequence[TopicPartition]]:
        # Cooperative members' owned partitions, handed to the eager algorithm as user data.
        as_sticky = {
            m: Subscription(
                topics=s.topics,
                user_data=encode_sticky_user_data(s.owned_partitions, s.generation_id),
                owned_partitions=s.owned_partitions,
                generation_id=s.generation_id,
            )
            for m, s in subscriptions.items()
        }
        return eager(partitions_per_topic, as_sticky)

    machine = machine_for(
        COOPERATIVE, assignor=sticky_without_two_phases, name="NoTwoPhaseRebalances"
    )
    with pytest.raises(AssertionError, match="ASSIGN-4"):
        run_state_machine_as_test(machine, settings=_settings(200, steps=8))


def test_the_flag_says_which_specs_it_breaks() -> None:
    """The flag's catalogue entry names the specs these tests see it break."""
    assert set(CATALOGUE["assign_partition_twice"].breaks) == {"ASSIGN-1", "ASSIGN-2", "ASSIGN-4"}
