"""A throttled producer run long enough to print progress lines, then what each number means.

Run from the repository root::

    python -m tutorials.ch12_benchmarking_and_the_cost_of_acks.progress_lines [--records N]

One broker is enough here.  ``--throughput 2000`` holds the producer to 2,000 records a second,
so ``--records 12000`` (the default) takes about six seconds, and the tool prints a progress line
for the first five -- ``kafka-producer-perf-test.sh`` prints one every five seconds -- before
its summary.  The script then takes the summary line apart field by field.

Spec IDs: none (tutorial output).
"""

from __future__ import annotations

import argparse

from tutorials.ch12_benchmarking_and_the_cost_of_acks.common import (
    local_cluster,
    producer_summary,
    run_tool,
)

__all__ = ["main"]

RATE = 2000


def main(argv: list[str] | None = None) -> str:
    """Run the throttled producer and explain its summary; return the tool's output."""
    parser = argparse.ArgumentParser(prog="progress_lines")
    parser.add_argument("--records", type=int, default=6 * RATE)
    records = parser.parse_args(argv).records
    with local_cluster(1) as bootstrap:
        run_tool("topics", "--create", "--topic", "benchmark", "--bootstrap-server", bootstrap)
        output = run_tool(
            "producer-perf-test", "--topic", "benchmark", "--num-records", str(records),
            "--throughput", str(RATE), "--record-size", "1000",
            "--producer-props", f"bootstrap.servers={bootstrap}", "acks=1",
        )  # fmt: skip
    line = producer_summary(output)
    windows = [row for row in output.splitlines() if row.endswith("ms max latency.")]
    print("\n== the summary line, field by field ==")
    print(f"records sent:    {line.records} (every one acknowledged)")
    print(f"records/sec:     {line.records_per_sec:.0f} (held near {RATE} by --throughput)")
    print(f"MB/sec:          {line.mb_per_sec:.2f} (records/sec x 1000 bytes / 1048576)")
    print(f"avg latency:     {line.avg_ms:.2f} ms from send() to the acknowledgement")
    print(f"percentiles:     half the records waited {line.p50_ms} ms or less, 99 in 100 "
          f"{line.p99_ms} ms or less")  # fmt: skip
    print(f"max latency:     {line.max_ms:.0f} ms, the slowest record")
    print(f"progress lines:  {len(windows)}, each for the records of one 5-second window")
    return output


if __name__ == "__main__":
    main()
