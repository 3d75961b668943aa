"""The course's comparison: the same records with acks=0, acks=1 and acks=all, then read back.

Run from the repository root::

    python -m tutorials.ch12_benchmarking_and_the_cost_of_acks.compare_acks [--records N]

It starts three brokers and the coordination service on this machine, creates one topic per
acks level (one partition, three replicas, ``min.insync.replicas=2``), runs ``glasskafka
producer-perf-test`` once per level as the course runs ``kafka-producer-perf-test.sh``, reads
the acks=all topic back with ``glasskafka consumer-perf-test``, and ends with the three summary
lines side by side.  Every process is stopped at the end.

Spec IDs: none (tutorial output); REPL-5 and REPL-16 are why acks=all waits.
"""

from __future__ import annotations

import argparse

from tutorials.ch12_benchmarking_and_the_cost_of_acks.common import (
    ProducerSummary,
    consumer_row,
    local_cluster,
    producer_summary,
    run_tool,
)

__all__ = ["main"]

LEVELS = ("0", "1", "all")
RECORD_SIZE = 1000


def main(argv: list[str] | None = None) -> dict[str, ProducerSummary]:
    """Produce ``--records`` records at each acks level, consume them once; return the lines."""
    parser = argparse.ArgumentParser(prog="compare_acks")
    parser.add_argument("--records", type=int, default=20_000)
    records = parser.parse_args(argv).records
    print("== a cluster of three brokers on this machine ==", flush=True)
    summaries: dict[str, ProducerSummary] = {}
    with local_cluster(3) as bootstrap:
        for acks in LEVELS:
            topic = f"benchmark-acks-{acks}"
            run_tool(
                "topics", "--create", "--topic", topic, "--partitions", "1",
                "--replication-factor", "3", "--config", "min.insync.replicas=2",
                "--bootstrap-server", bootstrap, show=acks == "0",
            )  # fmt: skip
            print(f"\n== acks={acks} ==", flush=True)
            output = run_tool(
                "producer-perf-test", "--topic", topic, "--num-records", str(records),
                "--throughput", "-1", "--record-size", str(RECORD_SIZE),
                "--producer-props", "bootstrap.servers=" + bootstrap.split(",")[0], f"acks={acks}",
            )  # fmt: skip
            summaries[acks] = producer_summary(output)
        print("\n== reading the acks=all topic back ==", flush=True)
        consumed = consumer_row(
            run_tool(
                "consumer-perf-test",
                "--bootstrap-server",
                bootstrap.split(",")[0],
                "--topic",
                "benchmark-acks-all",
                "--messages",
                str(records),
                "--fetch-size",
                "1048576",
            )
        )
    print("\n== side by side ==")
    print(f"{'acks':>4}  {'records/sec':>11}  {'avg ms':>7}  {'p99 ms':>6}  {'max ms':>6}")
    for acks, line in summaries.items():
        print(
            f"{acks:>4}  {line.records_per_sec:>11.0f}  {line.avg_ms:>7.1f}  "
            f"{line.p99_ms:>6}  {line.max_ms:>6.0f}"
        )
    print(f"consumed {consumed.records} records, {consumed.mb:.4f} MB")
    return summaries


if __name__ == "__main__":
    main()
