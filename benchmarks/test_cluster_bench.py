"""Smoke test: the whole-cluster benchmark runs every leg end to end at a tiny size.

Two glasskafka clusters (1 and 3 brokers, real processes) and a ``redis-server`` are started,
2,000 records go through every leg, and the run stops them all again.  What is checked is the
table's shape and that every leg moved every record -- never a speed: on a shared machine any
figure may come out, so a timing assertion would flake.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from glasskafka.runtime.cluster import is_running

from benchmarks.cluster_bench import BEGIN, END, Report, main, markdown, table, targets, write_docs
from model_tests.support import require_tool

pytest.importorskip("confluent_kafka")
pytest.importorskip("redis")

RECORDS = 2000
THROTTLED = 300
LEGS = [
    ("glasskafka 1 broker", "produce acks=0", RECORDS),
    ("glasskafka 1 broker", "produce acks=1", RECORDS),
    ("glasskafka 1 broker", "produce acks=all", RECORDS),
    ("glasskafka 1 broker", "produce acks=1, 10,000/s", THROTTLED),
    ("glasskafka 1 broker", "consume", RECORDS),
    ("glasskafka 3 brokers", "produce acks=0", RECORDS),
    ("glasskafka 3 brokers", "produce acks=1", RECORDS),
    ("glasskafka 3 brokers", "produce acks=all", RECORDS),
    ("glasskafka 3 brokers", "produce acks=all, 10,000/s", THROTTLED),
    ("glasskafka 3 brokers", "consume", RECORDS),
    ("Redis Streams", "XADD, pipelines of 500", RECORDS),
    ("Redis Streams", "XRANGE, pages of 1000", RECORDS),
    ("Redis Streams", "XREADGROUP NOACK, pages of 1000", RECORDS),
]
HAND_WRITTEN = (
    "# Whole-cluster throughput\n\nkept above\n\n" + BEGIN + "\nold\n" + END + "\n\nkept below\n"
)


def test_every_leg_runs_end_to_end(tmp_path: Path) -> None:
    """One run at a tiny size, then every check on it: one test, so that the clusters start once
    however pytest-xdist spreads the tests."""
    require_tool("redis-server")
    page = tmp_path / "cluster.md"
    page.write_text(HAND_WRITTEN, encoding="utf-8")
    args = ["--records", str(RECORDS), "--throttled-records", str(THROTTLED), "--write-docs"]
    report = main([*args, "--docs-page", str(page)])
    check_every_leg_ran_and_moved_every_record(report)
    check_latencies_where_they_apply_and_memory_everywhere(report)
    check_the_table_has_a_row_per_leg_and_every_target(report)
    check_the_docs_page_keeps_its_text_around_the_table(report, page)
    check_a_page_without_markers_is_started_afresh(report, tmp_path / "new.md")
    check_nothing_is_left_running()


def check_every_leg_ran_and_moved_every_record(report: Report) -> None:
    ran = sorted((leg.system, leg.name, leg.records) for leg in report.legs)
    assert ran == sorted(LEGS)
    for leg in report.legs:
        assert leg.records_per_s > 0 and leg.mib_per_s > 0, leg


def check_latencies_where_they_apply_and_memory_everywhere(report: Report) -> None:
    for leg in report.legs:
        timed = leg.name.startswith(("produce", "XADD"))
        latencies = (leg.avg_ms, leg.p50_ms, leg.p99_ms, leg.max_ms)
        assert all(value is not None for value in latencies) == timed, leg
        assert all(value is None for value in latencies) != timed, leg
        if timed:
            assert leg.p50_ms is not None and leg.max_ms is not None
            assert 0 <= leg.p50_ms <= leg.max_ms
        assert leg.peak_rss_mib is not None and leg.peak_rss_mib > 0
    assert sorted(report.broker_rss_mib) == [
        "glasskafka 1 broker, broker-1",
        *(f"glasskafka 3 brokers, broker-{n}" for n in (1, 2, 3)),
    ]


def check_the_table_has_a_row_per_leg_and_every_target(report: Report) -> None:
    lines = table(report).splitlines()
    assert lines[0].split()[:2] == ["system", "leg"] and set(lines[1]) == {"-"}
    assert len(lines) == 2 + len(LEGS) + 1 + len(targets(report))
    verdicts = [line.split()[0] for line in lines[-len(targets(report)) :]]
    assert verdicts.count("note") == 2
    assert set(verdicts) <= {"MET", "MISSED", "note"} and len(verdicts) == 8


def check_the_docs_page_keeps_its_text_around_the_table(report: Report, page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Whole-cluster throughput\n\nkept above\n\n" + BEGIN)
    assert text.endswith(END + "\n\nkept below\n") and "\nold\n" not in text
    leg_row = re.compile(r"^\| glasskafka \d brokers? \| ")
    rows = [line for line in markdown(report).splitlines() if leg_row.match(line)]
    assert len(rows) == len(LEGS) - 3 and all(row in text for row in rows)
    assert "Load average (1, 5, 15 min) at the start" in text and "cores" in text


def check_a_page_without_markers_is_started_afresh(report: Report, page: Path) -> None:
    write_docs(report, page)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Whole-cluster throughput\n\n" + BEGIN) and text.count(END) == 1


def check_nothing_is_left_running() -> None:
    """Every process of the run was stopped by its pid (cluster_down, redis_server)."""
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        if "glasskafka-cluster-bench-" in line:
            assert not is_running(int(line.split()[0])), line


@pytest.mark.parametrize("bad", [["--records", "0"], ["--record-size", "-5"], ["--records", "x"]])
def test_bad_flags_are_refused(bad: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(bad)
    assert stopped.value.code == 2
    assert "--records" in capsys.readouterr().err
