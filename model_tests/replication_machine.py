"""The replication state machine: Hypothesis as the environment of a simulated Kafka cluster.

Theory of operation
-------------------
:class:`ReplicationMachine` is a ``RuleBasedStateMachine`` over a
:class:`~model_tests.replication_bench.ReplicationBench`: one coordination node, three brokers,
topic ``t`` with one partition replicated on all three (or two), ``min.insync.replicas`` 2 unless
the configuration says otherwise.  Its rules are the environment, each a few lines that hand one
verb to the bench (STYLE rule 12):

* clients: produce a new record with acks=all (or 1, or 0, where the configuration allows) to a
  broker that believes it leads -- a zombie too, as §7 of the reference asks; consume from one;
* the network and the clock: deliver one chosen pending message, timer or loss notice (the
  controlled mode, so a fetch response can arrive after a crash it should have preceded); let
  the cluster run on its own for a while; let time pass without delivering anything;
* faults: a process crash, a lossy crash (only where the configuration allows), a restart,
  cutting one broker off, healing, and expiring a broker's coordination session.

The bench checks every state invariant and every transition property after every input; the
machine also has one ``@invariant`` per state invariant ID, so each is named where Hypothesis
prints it.  When a run ends without a failure, :meth:`ReplicationMachine.teardown` runs the
liveness phase: heal, restart, run a fair schedule, check LIVE-1..3.

The configuration and the simulator's seed come from class attributes and an ``initialize``
rule, so a subclass is a configuration (``test_replication_model.py``) and a failing run prints
a short program that replays exactly.

Spec IDs: REPL-1..9, 11, 15 (``@invariant``); REPL-10, 12, 13, 14, 16, CTRL-1 and LIVE-1..3
through the bench.

Simplified from Kafka: one partition, three brokers, one producer request per client; time is
compressed (``replica.lag.time.max.ms`` is 2 s, sessions expire after 6 s).
"""

from __future__ import annotations

import sys
from typing import ClassVar

from glasskafka.sim.faults import DiskFault
from glasskafka.sim.kafka_snapshot import Acks
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from model_tests.replication_bench import STATE_SPECS, ReplicationBench, ReplicationConfig
from specs.catalogue import check

__all__ = ["BROKERS", "PICKS", "RUN_MS", "ReplicationMachine"]

BROKERS = st.sampled_from([1, 2, 3])
PICKS = st.integers(min_value=0, max_value=15)
RUN_MS = st.sampled_from([20, 200, 1000, 4000])


class ReplicationMachine(RuleBasedStateMachine):
    """The environment of one replicated partition; subclasses choose the configuration."""

    config: ClassVar[ReplicationConfig] = ReplicationConfig()

    def __init__(self) -> None:
        super().__init__()
        self._bench: ReplicationBench | None = None

    @property
    def bench(self) -> ReplicationBench:
        assert self._bench is not None, "the initialize rule has not run"
        return self._bench

    @initialize(seed=st.integers(min_value=0, max_value=2**16))
    def start_cluster(self, seed: int) -> None:
        self.start(seed)

    def start(self, seed: int) -> None:
        """Build and start the bench (the initialize rule; subclasses may start otherwise)."""
        self._bench = ReplicationBench(self.config, seed=seed)

    # -- clients -------------------------------------------------------------------------------

    @rule(pick=PICKS)
    def produce_acks_all(self, pick: int) -> None:
        self.bench.produce(Acks.ALL, pick=pick)

    @precondition(lambda self: Acks.ONE in self.config.acks)
    @rule(pick=PICKS)
    def produce_acks_one(self, pick: int) -> None:
        self.bench.produce(Acks.ONE, pick=pick)

    @precondition(lambda self: Acks.ZERO in self.config.acks)
    @rule(pick=PICKS)
    def produce_acks_zero(self, pick: int) -> None:
        self.bench.produce(Acks.ZERO, pick=pick)

    @rule(pick=PICKS)
    def consume(self, pick: int) -> None:
        self.bench.consume(pick=pick)

    # -- the network and the clock -------------------------------------------------------------

    @rule(pick=st.integers(min_value=0, max_value=63))
    def deliver(self, pick: int) -> None:
        self.bench.deliver(pick)

    @rule(duration_ms=RUN_MS)
    def run(self, duration_ms: int) -> None:
        self.bench.run_for(duration_ms)

    @rule(duration_ms=st.sampled_from([500, 2500]))
    def advance_time(self, duration_ms: int) -> None:
        self.bench.advance_time(duration_ms)

    # -- faults --------------------------------------------------------------------------------

    @rule(broker=BROKERS)
    def crash(self, broker: int) -> None:
        self.bench.crash(broker)

    @precondition(lambda self: self.config.lossy_crash)
    @rule(broker=BROKERS)
    def lossy_crash(self, broker: int) -> None:
        self.bench.crash(broker, disk=DiskFault.LOSSY)

    @rule(broker=BROKERS)
    def restart(self, broker: int) -> None:
        self.bench.restart(broker)

    @rule(broker=BROKERS)
    def isolate(self, broker: int) -> None:
        self.bench.isolate(broker)

    @rule()
    def heal(self) -> None:
        self.bench.heal()

    @rule(broker=BROKERS)
    def expire_session(self, broker: int) -> None:
        self.bench.expire_session(broker)

    # -- the state invariants, one per ID ------------------------------------------------------

    def _holds(self, spec_id: str) -> None:
        if spec_id not in self.config.may_break:
            check(spec_id, STATE_SPECS[spec_id](self.bench.latest))

    @invariant()
    def committed_prefix_agreement(self) -> None:
        self._holds("REPL-1")

    @invariant()
    def candidate_completeness(self) -> None:
        self._holds("REPL-2")

    @invariant()
    def weak_isr(self) -> None:
        self._holds("REPL-3")

    @invariant()
    def leader_completeness(self) -> None:
        self._holds("REPL-4")

    @invariant()
    def no_loss_of_acks_all(self) -> None:
        self._holds("REPL-5")

    @invariant()
    def consistent_reads(self) -> None:
        self._holds("REPL-6")

    @invariant()
    def leader_in_isr(self) -> None:
        self._holds("REPL-7")

    @invariant()
    def quorum_superset(self) -> None:
        self._holds("REPL-8")

    @invariant()
    def watermark_sanity(self) -> None:
        self._holds("REPL-9")

    @invariant()
    def one_true_leader_per_epoch(self) -> None:
        self._holds("REPL-11")

    @invariant()
    def unclean_exclusion(self) -> None:
        self._holds("REPL-15")

    # -- the liveness phase --------------------------------------------------------------------

    def teardown(self) -> None:
        """Heal, restart, run fairly, then check LIVE-1..3 -- unless the run already failed,
        whose error is the one to report (teardown runs in Hypothesis's ``finally``)."""
        if self._bench is None or sys.exc_info()[1] is not None:
            return
        self.bench.settle()
