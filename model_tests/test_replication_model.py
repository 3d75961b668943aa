"""The replication model suite: a simulated Kafka cluster against ``specs/replication*.py``.

Each ``TestCase`` below is the machine of ``replication_machine.py`` -- one coordination node,
three brokers, topic ``t`` with one partition -- under one configuration of reference §3.1, with
Hypothesis as the environment: produce, consume, deliver one chosen message, run, let time pass,
crash, lossy crash, restart, cut a broker off, heal, expire a session.  After every input the
bench checks every state invariant (REPL-1..9, 11, 15) and every transition property (REPL-10,
12, 13, 14, 16, CTRL-1); at the end of a run the liveness phase checks LIVE-1..3.

==========================  ===========================================  ==========================
configuration               settings                                     allowed to break (§3.1)
==========================  ===========================================  ==========================
``Safe``                    RF 3, min.insync.replicas 2, acks=all        nothing
``SafeReplicationFactor2``  RF 2, min.insync.replicas 2, acks=all        nothing
``AllAcksLevels``           acks 0, 1 and all mixed                      nothing (REPL-5 leaves
                                                                         acks=0/1 out, S9)
``UncleanElection``         unclean.leader.election.enable, minISR 1     REPL-1, 2, 4, 5, 6, 14 and
                                                                         LIVE-2 on the way; REPL-1
                                                                         must hold again once all
                                                                         replicas reconciled
``LossyCrash``              crashes may lose unsynced bytes              REPL-1, 2, 3, 4, 5, 6, 14,
                                                                         15 and LIVE-2 on the way;
                                                                         REPL-1 as above
==========================  ===========================================  ==========================

The settings come from the Hypothesis profile (``model_tests/profiles.py``); under ``ci`` the
whole suite takes a few minutes on two cores.  ``test_replication_teeth.py`` proves that the
same machine fails when a bug flag is on.
"""

from __future__ import annotations

from glasskafka.sim.kafka_snapshot import Acks

from model_tests.replication_bench import ReplicationConfig
from model_tests.replication_machine import ReplicationMachine
from model_tests.replication_scenarios import LOSSY_MAY_BREAK, UNCLEAN_MAY_BREAK


class Safe(ReplicationMachine):
    config = ReplicationConfig()


class SafeReplicationFactor2(ReplicationMachine):
    config = ReplicationConfig(replication_factor=2)


class AllAcksLevels(ReplicationMachine):
    config = ReplicationConfig(acks=(Acks.ALL, Acks.ONE, Acks.ZERO))


class UncleanElection(ReplicationMachine):
    config = ReplicationConfig(
        min_insync_replicas=1,
        unclean_leader_election_enable=True,
        acks=(Acks.ALL, Acks.ONE),
        may_break=UNCLEAN_MAY_BREAK,
    )


class LossyCrash(ReplicationMachine):
    config = ReplicationConfig(lossy_crash=True, may_break=LOSSY_MAY_BREAK)


TestSafe = Safe.TestCase
TestSafeReplicationFactor2 = SafeReplicationFactor2.TestCase
TestAllAcksLevels = AllAcksLevels.TestCase
TestUncleanElection = UncleanElection.TestCase
TestLossyCrash = LossyCrash.TestCase


def test_the_safe_configurations_check_every_replication_spec() -> None:
    for machine in (Safe, SafeReplicationFactor2, AllAcksLevels):
        assert machine.config.may_break == frozenset()
        assert machine.config.bugs.enabled() == ()


def test_unsafe_configurations_exempt_only_what_reference_3_1_allows() -> None:
    # REPL-7, 10, 11, 12, 13 and CTRL-1 must hold under unclean elections and lossy crashes.
    must_hold = {"REPL-7", "REPL-8", "REPL-9", "REPL-10", "REPL-11", "REPL-12", "REPL-13"}
    must_hold |= {"REPL-16", "CTRL-1", "LIVE-1", "LIVE-3"}
    for machine in (UncleanElection, LossyCrash):
        assert not must_hold & machine.config.may_break
        assert machine.config.agreement_after_settle
    # A lossy restart leaves a dirty replica in its leader's ISR view (REPL-3, REPL-15); an
    # unclean election alone does not.
    assert {"REPL-3", "REPL-15"}.isdisjoint(UncleanElection.config.may_break)
