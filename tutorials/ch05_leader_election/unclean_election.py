"""What an unclean leader election costs: the same failures, with and without it.

Run from the repository root::

    python -m tutorials.ch05_leader_election.unclean_election

Scenario S8 of the replication reference (Jepsen's 2013 Kafka analysis).  Brokers 2 and 3 are
cut off; the leader, broker 1, drops them from the ISR and carries on alone.  Then broker 1
crashes and 2 and 3 come back.  No ISR member is alive.  Two ways out:

* ``unclean.leader.election.enable=true`` with ``min.insync.replicas=1`` -- broker 1 acknowledged
  m2 alone; the controller elects broker 2, which never saw m2, uncleanly.  The partition is
  available again at once, and m2 -- acknowledged to an acks=all producer and read by a consumer
  -- is gone: offset 1 is handed to m3;
* the defaults since Kafka 0.11 (KIP-106): unclean election off, and ``min.insync.replicas=2``
  -- broker 1 refuses to acknowledge m2 with an ISR of one, the partition stays offline until
  broker 1 returns, and nothing acknowledged is lost.

Both runs check every replication invariant after every step and print which broke.

Spec IDs: REPL-4, REPL-5, REPL-6 (broken by the unclean run), REPL-7 (the ISR is never empty).

Simplified from Kafka: the consumer here re-reads from offset 0; a Kafka consumer with
KIP-320's offset validation would notice that the log under its position was truncated.
"""

from __future__ import annotations

from model_tests.replication_scenarios import S8
from model_tests.replication_script import play
from tutorials.ch05_leader_election.common import tell

__all__ = ["main"]


def main() -> None:
    for flag_on, title in ((True, "unclean election, min.insync.replicas=1"), (False, "defaults")):
        print(f"== {title} ==")
        replay = play(S8, flag_on=flag_on)
        tell(replay, show=(5, 9, 13))
        print(f"invariants broken: {', '.join(sorted(replay.violations)) or 'none'}")
        print()


if __name__ == "__main__":
    main()
