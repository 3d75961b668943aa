"""Delivery semantics end to end: random crashes and rebalances, judged by the history checker.

Theory of operation
-------------------
``test_group_cluster.py`` runs real consumers and a real producer on a simulated three-broker
cluster (:class:`~model_tests.test_group_cluster.GroupCluster`) and checks the delivery *spec
predicates* after every step.  This suite asks the question a user of the checker asks: write
the run's history as JSON lines, read it back, run the whole checker (the same code as
``glasskafka check-history``), and read its verdict.

* **Random plans.**  Hypothesis draws a plan -- a short list of steps, each one of: produce to a
  partition, a member polls, processes, commits, crashes, restarts, or time passes -- and the
  second member joins at a drawn point, so crashes land between any two steps of the
  application loop and rebalances happen before, during and after them.  After the plan every
  member is started again and the group drains the topic.
* **Commit after processing** (at least once): the checker's verdict is ``valid`` -- in
  particular no ``group-undelivered`` case (DELIV-19) -- and no acknowledged write is lost
  (DELIV-5: after the drain, every acknowledged record was returned by a poll and processed by
  the group).  Redeliveries are allowed and only counted.
* **Commit before processing**, the teeth: a crash between the commit and the processing loses
  the polled records, and Hypothesis must find a plan where the checker reports DELIV-19.
* **Bug flags end to end.**  ``auto_commit_current_poll`` and ``resume_after_committed`` have
  teeth in ``test_consumer_teeth.py`` against a fake broker; here each is found on the real
  cluster, by the checker, in a short transcript, beside a control run without the flag.
  ``stale_generation_commit_accepted`` keeps its coordinator-level teeth
  (``test_group_teeth.py``): a real consumer cannot send an OffsetCommit of an old generation
  while it is still a member -- its requests travel in order on one connection, so its commit
  arrives before its own rejoin, and a member that stops rejoining is removed (then the answer
  is ``UNKNOWN_MEMBER_ID``, refused with or without the flag).

Spec IDs: DELIV-5, DELIV-19.

Simplified from Kafka: one group of two members, eager ``range`` assignment, consumer crashes
only (the coordinator's failover is exercised by ``test_group_cluster.py``).
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.config import config_from_properties
from glasskafka.history import History, Report, Verdict, check_history, format_text
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from model_tests.test_group_cluster import (
    BOOTSTRAP,
    CONSUMER_PROPERTIES,
    MEMBERS,
    PARTITIONS,
    TOPIC,
    GroupCluster,
    drain,
)
from specs.catalogue import check
from specs.delivery import acknowledged_writes_kept, at_least_once_per_group

CRASH_POINTS = ("none", "after_poll", "after_process", "after_commit")


class DeliveryCluster(GroupCluster):
    """:class:`GroupCluster` whose members may carry consumer bug flags and extra properties."""

    def __init__(
        self,
        seed: int,
        *,
        commit_before_process: bool = False,
        bugs: BugFlags = NO_BUGS,
        properties: dict[str, str] | None = None,
    ) -> None:
        super().__init__(seed, commit_before_process=commit_before_process)
        self.consumer_config = config_from_properties(
            ConsumerConfig, {**CONSUMER_PROPERTIES, **(properties or {})}
        )
        self.bugs = bugs

    def join(self, index: int) -> None:
        """Start member ``index`` with the run's bug flags (again, after a crash), subscribe."""
        node_id = MEMBERS[index]
        if node_id in self.cluster.sim.hosts:
            self.log.restarted(self.cluster.now_ms, index + 1, str(node_id))
            self.cluster.sim.restart(node_id)
        else:
            config, bugs = self.consumer_config, self.bugs
            self.cluster.sim.add_node(
                node_id,
                lambda n, d, rng: ConsumerNode(
                    n, config=config, rng=rng, bootstrap=BOOTSTRAP, bugs=bugs, record_history=True
                ),
            )
        self.up[index] = True
        self.incarnation[index] += 1
        self.log.taken[node_id] = 0
        self.taken_events[index] = 0
        self.cluster.sim.call(node_id, lambda c, now: c.subscribe([TOPIC], now), kind=ConsumerNode)
        self.collect()


def judged(run: GroupCluster) -> Report:
    """Write the run's history as JSON lines, read it back, and run the whole checker."""
    with TemporaryDirectory() as directory:
        history = run.write_history(Path(directory) / "history.jsonl")
    return check_history(history)


def processed_values(history: History) -> set[str]:
    return {
        r.value
        for op in history.operations
        if type(op).__name__ == "Process"
        for r in getattr(op, "records", ())
    }


Turn = tuple[int, str, int, int]
"""One turn of a member's loop: (member, where it crashes, records produced first, ms after)."""


def play(run: GroupCluster, plan: list[Turn], second_joins_at: int) -> None:
    """Carry out ``plan``, one application-loop turn per step; then restart everyone, drain.

    A turn of member ``i``: the producer writes ``produced`` records (to a partition chosen by
    the turn's number); a crashed member is started again; then poll (with
    ``commit_before_process`` the commit follows at once), process, commit -- with a crash at
    the turn's crash point -- and ``pause_ms`` of time passes.
    """
    run.start()
    run.join(0)
    run.produce(0, 2)
    for number, (index, crash_at, produced, pause_ms) in enumerate(plan):
        if number == second_joins_at and not run.up[1]:
            run.join(1)
        if produced:
            run.produce(number % PARTITIONS, produced)
        if not run.up[index]:
            run.join(index)
        for step, act in (("poll", run.poll), ("process", run.process), ("commit", run.commit)):
            act(index)
            if crash_at == f"after_{step}":
                run.crash(index)
                break
        if pause_ms:
            run.advance(pause_ms)
    for index in range(len(MEMBERS)):
        if not run.up[index]:
            run.join(index)
    run.advance(7000)  # sessions of crashed incarnations expire; the group settles
    drain(run)


plans = st.lists(
    st.tuples(
        st.integers(0, len(MEMBERS) - 1),
        st.sampled_from(CRASH_POINTS),
        st.integers(0, 3),
        st.sampled_from((0, 300, 2000, 7000)),
    ),
    max_size=6,
)

PLAN_SETTINGS = settings(
    max_examples=max(4, settings().max_examples // 5),  # each example runs a whole cluster
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PLAN_SETTINGS
@given(seed=st.integers(0, 2**16), plan=plans, second_joins_at=st.integers(0, 6))
def test_commit_after_processing_is_at_least_once(
    seed: int, plan: list[Turn], second_joins_at: int
) -> None:
    """At least once, whatever the crashes: the checker's verdict is valid (DELIV-19), and every
    acknowledged record was read and processed by the group (DELIV-5)."""
    run = GroupCluster(seed)
    play(run, plan, second_joins_at)
    report = judged(run)
    assert report.verdict is Verdict.VALID, format_text(report)
    history = run.history()
    check("DELIV-19", at_least_once_per_group(history))
    check("DELIV-5", acknowledged_writes_kept(history))
    sent = {
        str(getattr(op, "value", "")) for op in history.operations if type(op).__name__ == "Send"
    }
    assert sent <= processed_values(history), "DELIV-5: an acknowledged record was never processed"


TEETH_SETTINGS = settings(
    max_examples=40,
    database=None,
    deadline=None,
    phases=(Phase.generate,),
    suppress_health_check=list(HealthCheck),
)


def test_teeth_commit_before_processing_loses_records_and_the_checker_says_so() -> None:
    """Teeth: with commits before processing, Hypothesis finds a crash that the checker reports
    as a DELIV-19 loss (``group-undelivered``)."""

    @TEETH_SETTINGS
    @given(seed=st.integers(0, 2**16), plan=plans, second_joins_at=st.integers(0, 6))
    def commit_first(seed: int, plan: list[Turn], second_joins_at: int) -> None:
        run = GroupCluster(seed, commit_before_process=True)
        play(run, plan, second_joins_at)
        report = judged(run)
        check("DELIV-19", report.spec_violations("DELIV-19"))

    with pytest.raises(AssertionError, match="DELIV-19"):
        commit_first()


# ---------------------------------------------------------------------------------------------
# Bug flags on the real cluster


def _auto_commit_crash(bugs: BugFlags) -> Report:
    """Auto-commit on; member 0 polls a batch and dies while processing it; member 1 takes over
    after the session timeout and drains."""
    run = DeliveryCluster(
        seed=4,
        bugs=bugs,
        properties={"enable.auto.commit": "true", "auto.commit.interval.ms": "1000"},
    )
    run.start()
    run.join(0)
    drain(run)  # joined, assigned, nothing to read yet
    for partition in range(PARTITIONS):
        run.produce(partition, 3)
    run.advance(1500)  # an auto-commit is due at the next poll
    while not run.poll(0):
        pass
    run.advance(200)  # the asynchronous auto-commit is answered; processing is under way ...
    run.crash(0)  # ... when the process dies
    run.join(1)
    run.advance(7000)
    drain(run)
    return judged(run)


def _takeover(bugs: BugFlags) -> Report:
    """Member 0 processes and commits some records, then crashes; member 1 takes over."""
    run = DeliveryCluster(seed=6, bugs=bugs)
    run.start()
    run.join(0)
    for partition in range(PARTITIONS):
        run.produce(partition, 4)
    run.poll(0)
    run.process(0)
    run.commit(0)
    run.crash(0)
    run.join(1)
    run.advance(7000)
    drain(run)
    return judged(run)


@pytest.mark.parametrize(
    ("flag", "scenario"),
    [("auto_commit_current_poll", _auto_commit_crash), ("resume_after_committed", _takeover)],
)
def test_teeth_consumer_bug_flags_are_found_end_to_end(flag: str, scenario: object) -> None:
    """Teeth: with the flag on, the checker reports DELIV-19 on the real cluster; without it
    the same transcript is valid."""
    assert callable(scenario)
    control = scenario(NO_BUGS)
    assert control.verdict is Verdict.VALID, format_text(control)
    broken = scenario(BugFlags.only(flag))
    assert broken.verdict is Verdict.INVALID, format_text(broken)
    with pytest.raises(AssertionError, match="DELIV-19"):
        check("DELIV-19", broken.spec_violations("DELIV-19"))
