"""The replication machine with sharper tools: fault patterns that reach deep scenarios sooner.

Theory of operation
-------------------
Random rules find some of the replication bugs on their own within a few seconds
(``unfenced_fetch``, ``apply_isr_change_before_zk_ack``); others need a precise sequence of
events that a random walk over single deliveries and crashes rarely hits in a bounded budget.
Rather than give up on those, :class:`TeethMachine` adds rules that are common *fault patterns*
of replicated logs -- each a few lines over the bench, each meaningful on its own -- so that the
search is biased toward the shapes of reference §5 while Hypothesis still chooses which pattern,
when, on which broker, and what happens in between:

* ``bounce_follower`` -- a follower crashes and restarts before its session expires, and
  follows again (a restarted follower must not lose committed records);
* ``leader_dies_with_a_tail`` -- the leader appends a record that nobody has copied, any answer
  it gives at once reaches the producer (acks=1, or a premature acks=all), and then it crashes
  and the cluster runs until a new leader leads (a failover, about one session timeout);
* ``crash_leader`` and ``await_leader`` -- the same two halves on their own;
* a *chain* -- for the scenarios that need a restart or two or three elections in a precise
  order (S1, S3, S4, S6), the run starts with the scenario's own chain of steps
  (``replication_scenarios.py``; the scripts start from an empty log), after a warm-up whose
  length Hypothesis picks, with the current leader as the script's broker 1 and the other
  brokers in an order Hypothesis picks; every rule after it is Hypothesis's choice.  There is no
  chain unless a subclass sets :attr:`TeethMachine.chain`.

Spec IDs: those of :class:`~model_tests.replication_machine.ReplicationMachine`.

Simplified from Kafka: the patterns compress what Kafka's system tests do with ``kill -9`` and
network rules into single simulator moves.
"""

from __future__ import annotations

from glasskafka.protocol.messages.produce import ProduceRequest, ProduceResponse
from glasskafka.sim.kafka_snapshot import Acks, ReplicaRole
from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule

from model_tests.replication_machine import PICKS, ReplicationMachine
from model_tests.replication_script import Settle, Step, perform, renumber

__all__ = ["TeethMachine"]


class TeethMachine(ReplicationMachine):
    """:class:`ReplicationMachine` plus fault patterns (module docstring)."""

    chain: tuple[Step, ...] = ()
    """A scenario's chain of steps to start every run with (empty: none)."""

    def _leader(self) -> int | None:
        leader = self.bench.latest.partitions[0].true_leader()
        return None if leader is None else leader.broker_id

    def _followers(self) -> list[int]:
        (partition,) = self.bench.latest.partitions
        return [
            r.broker_id for r in partition.replicas if r.running and r.role is ReplicaRole.FOLLOWER
        ]

    @rule(pick=PICKS)
    def bounce_follower(self, pick: int) -> None:
        followers = self._followers()
        if not followers:
            return
        broker = followers[pick % len(followers)]
        self.bench.crash(broker)
        self.bench.restart(broker)
        self.bench.run_until(lambda: broker in self._followers(), deadline_ms=10_000)

    @rule(acks=st.sampled_from([Acks.ALL, Acks.ONE]))
    def leader_dies_with_a_tail(self, acks: Acks) -> None:
        leader = self._leader()
        if leader is None or self.bench.produce(acks) is None:
            return
        self.bench.deliver_first(ProduceRequest, to=self.bench.cluster.node_of(leader))
        for client in [n for n in self.bench.cluster.sim.node_ids if n.startswith("producer-")]:
            while self.bench.deliver_first(ProduceResponse, to=client):
                pass
        self.bench.crash(leader)
        self.await_leader()

    @rule()
    def crash_leader(self) -> None:
        leader = self._leader()
        if leader is not None:
            self.bench.crash(leader)

    @rule()
    def await_leader(self) -> None:
        self.bench.run_until(lambda: self._leader() is not None, deadline_ms=15_000)

    def start_cluster(self, seed: int) -> None:  # a plain method here: the rule below starts
        self.start(seed)

    @initialize(
        seed=st.integers(min_value=0, max_value=2**16),
        warmup_ms=st.sampled_from([0, 300, 3_000]),
        order=st.permutations([1, 2, 3]),
    )
    def start_cluster_with_chain(self, seed: int, warmup_ms: int, order: list[int]) -> None:
        """Start the cluster, let it run for ``warmup_ms``, then play the scenario's chain (if
        there is one) with its broker 1 as the current leader and 2, 3 as the other brokers --
        the partition's replicas first -- in an order Hypothesis picks."""
        self.start(seed)
        self.bench.run_for(warmup_ms)
        leader = self._leader()
        if not self.chain or leader is None:
            return
        replicas = self.bench.latest.partitions[0].assigned_replicas
        others = sorted((b for b in order if b != leader), key=lambda b: b not in replicas)
        brokers = {1: leader, 2: others[0], 3: others[1]}
        for step in self.chain:
            if not isinstance(step, Settle):
                perform(self.bench, renumber(step, brokers))
