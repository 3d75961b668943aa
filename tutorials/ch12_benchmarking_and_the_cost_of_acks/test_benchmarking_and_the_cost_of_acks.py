"""Chapter 12's scripts run against real clusters and print what the chapter says they print.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch12_benchmarking_and_the_cost_of_acks.<name>``), at a small size.  The
figures differ on every run, so what is checked is what cannot differ: every listing in
``chapter.md`` that follows ``% output: <name>`` has, line by line and in order, the *shape* of
that script's output (the same line with every number replaced); every record is acknowledged at
every acks level and read back; the byte count is exact; the percentiles are ordered; a throttled
run of six seconds prints a progress line.  No speed is asserted.

Spec IDs: none checked here directly (REPL-5 is why acks=all waits; chapter 4 checks it).

Simplified from Kafka: Kafka's documentation has no tested benchmark walkthrough to compare with.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

import pytest

from tutorials.ch12_benchmarking_and_the_cost_of_acks.common import (
    consumer_row,
    producer_summary,
    shape,
)
from tutorials.listings import ROOT, Chapter

pytest.importorskip("confluent_kafka")

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent, timeout_s=600.0)
RECORDS = 2000
ARGS = {"compare_acks": ["--records", str(RECORDS)], "progress_lines": []}
WINDOW_LINE = re.compile(
    r"^\d+ records sent, \d+\.\d records/sec \(\d+\.\d\d MB/sec\), \d+\.\d ms avg latency, "
    r"\d+\.\d ms max latency\.$"
)


def run_all() -> dict[str, str]:
    """Run every script at once (they use separate clusters on free ports); their outputs."""
    started = {
        name: subprocess.Popen(
            CHAPTER.command(name, *args),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in ARGS.items()
    }
    outputs = {}
    for name, process in started.items():
        out, err = process.communicate(timeout=CHAPTER.timeout_s)
        assert process.returncode == 0, err
        outputs[name] = out
    return outputs


def test_the_scripts_print_what_the_chapter_shows() -> None:
    """One test, so that the clusters start once however pytest-xdist spreads the tests."""
    outputs = run_all()
    assert {name for name, _ in CHAPTER.listings()} == set(ARGS)
    check_every_listing_has_the_shape_of_its_scripts_output(outputs)
    check_every_record_is_acknowledged_at_every_level_and_read_back(outputs["compare_acks"])
    check_a_six_second_throttled_run_prints_a_progress_line(outputs["progress_lines"])


def check_every_listing_has_the_shape_of_its_scripts_output(outputs: dict[str, str]) -> None:
    CHAPTER.check_listings(outputs, key=shape)


def check_every_record_is_acknowledged_at_every_level_and_read_back(output: str) -> None:
    sections = output.split("\n== acks=")[1:]
    assert [section.split(" ==")[0] for section in sections] == ["0", "1", "all"]
    for section in sections:
        line = producer_summary(section)
        assert line.records == RECORDS
        assert line.p50_ms <= line.p95_ms <= line.p99_ms <= line.p999_ms <= line.max_ms
        assert line.avg_ms <= line.max_ms
    read = consumer_row(output)
    assert read.records == RECORDS
    assert read.mb == round(RECORDS * 1000 / (1024 * 1024), 4)
    assert output.rstrip().endswith(f"consumed {RECORDS} records, {read.mb:.4f} MB")


def check_a_six_second_throttled_run_prints_a_progress_line(output: str) -> None:
    windows = [line for line in output.splitlines() if WINDOW_LINE.match(line)]
    total = producer_summary(output)
    assert windows and total.records == 12000
    assert sum(int(line.split()[0]) for line in windows) <= total.records
    assert f"progress lines:  {len(windows)}," in output


def test_a_bad_count_is_refused_before_any_cluster_starts() -> None:
    result = CHAPTER.run("compare_acks", "--records", "many", status=2)
    assert "invalid int value: 'many'" in result.stderr and result.stdout == ""
