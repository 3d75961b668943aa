"""``glasskafka producer-perf-test`` and ``consumer-perf-test`` against a real cluster.

A one-broker glasskafka cluster runs as real processes on free loopback ports
(``glasskafka.runtime.cluster``), stopped by pid afterwards.  The tools run as processes of their
own, with confluent-kafka as the client, and their output is checked line by line against the
shapes Kafka's ``ProducerPerformance`` and ``ConsumerPerformance`` print: window lines may or may
not appear (they come every 5 s), the summary must, and its counts must be what was sent.  No
figure is checked against a speed.

Bad input -- a property that is not ``key=value``, one librdkafka does not know, a missing or
malformed properties file, an unsupported flag, a zero or negative count -- ends with a one-line
message and exit status 2, never a traceback.  ``--group`` on a cluster without consumer groups
stops with a message that says so.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from glasskafka.cli import main
from glasskafka.cli.consumer_perf_test import DETAILED_HEADER, HEADER
from glasskafka.cli.producer_perf_test import ProducerStats, ThroughputThrottler
from glasskafka.errors import ErrorCode
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up
from glasskafka.runtime.kafka_client import KafkaClient, parse_bootstrap

pytest.importorskip("confluent_kafka")

ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"
TIMEOUT_S = 90
TOPIC = "benchmark"
RECORDS = 2000
RECORD_SIZE = 100

NUMBER = r"\d+\.\d+"
WINDOW_LINE = re.compile(
    rf"\d+ records sent, {NUMBER} records/sec \({NUMBER} MB/sec\), {NUMBER} ms avg latency, "
    rf"{NUMBER} ms max latency\."
)
TOTAL_LINE = re.compile(
    rf"(?P<count>\d+) records sent, \d+\.\d{{6}} records/sec \({NUMBER} MB/sec\), "
    rf"\d+\.\d\d ms avg latency, \d+\.\d\d ms max latency, \d+ ms 50th, \d+ ms 95th, "
    rf"\d+ ms 99th, \d+ ms 99\.9th\."
)
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}"
FOUR = r"\d+\.\d{4}"
SUMMARY_ROW = re.compile(
    rf"{STAMP}, {STAMP}, (?P<mb>{FOUR}), {FOUR}, (?P<count>\d+), {FOUR}, (?P<join>\d+), "
    rf"-?\d+, {FOUR}, {FOUR}"
)
DETAILED_ROW = re.compile(
    rf"{STAMP}, 0, {FOUR}, {FOUR}, (?P<count>\d+), {FOUR}, \d+, -?\d+, {FOUR}, {FOUR}"
)


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("perf-cluster")
    processes: list[ClusterProcess] = cluster_up(directory, brokers=1)
    try:
        servers = ",".join(p.address for p in processes if p.name.startswith("broker-"))
        created = glasskafka("topics", "--create", "--topic", TOPIC, "--partitions", "2",
                             "--bootstrap-server", servers)  # fmt: skip
        assert created.returncode == 0, created.stderr
        _wait_for_group_coordinator(servers)
        yield servers
    finally:
        cluster_down(directory)


def glasskafka(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``glasskafka`` command line in a process of its own."""
    command = [sys.executable, "-c", ENTRY, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)


def produce(bootstrap: str, *extra: str) -> list[str]:
    done = glasskafka(
        "producer-perf-test", "--topic", TOPIC, "--num-records", str(RECORDS),
        "--record-size", str(RECORD_SIZE), "--throughput", "-1", *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def check_producer_output(lines: list[str]) -> None:
    assert lines, "no output"
    *windows, total = lines
    for line in windows:
        assert WINDOW_LINE.fullmatch(line), line
    found = TOTAL_LINE.fullmatch(total)
    assert found, total
    assert int(found["count"]) == RECORDS


def test_producer_perf_test_with_acks_1(bootstrap: str) -> None:
    props = ["--producer-props", f"bootstrap.servers={bootstrap}", "acks=1"]
    check_producer_output(produce(bootstrap, *props))


def test_producer_perf_test_with_acks_all_from_a_config_file(
    bootstrap: str, tmp_path: Path
) -> None:
    config = tmp_path / "producer.properties"
    config.write_text(f"# the course's producer.properties\nbootstrap.servers={bootstrap}\n")
    lines = produce(bootstrap, "--producer.config", str(config), "--producer-props", "acks=all")
    check_producer_output(lines)


def test_consumer_perf_test_reads_what_was_produced(bootstrap: str) -> None:
    produce(bootstrap, "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all")
    produced = _log_end_total(bootstrap)
    done = glasskafka("consumer-perf-test", "--bootstrap-server", bootstrap, "--topic", TOPIC,
                      "--messages", str(produced), "--fetch-size", "1048576")  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header == HEADER
    found = SUMMARY_ROW.fullmatch(row)
    assert found, row
    assert int(found["count"]) == produced
    assert found["mb"] == f"{produced * RECORD_SIZE / (1024 * 1024):.4f}"
    assert found["join"] == "0"  # no group: partitions assigned, nothing to rebalance


def _log_end_total(bootstrap: str) -> int:
    """Records in the topic: read everything there is, with a count no run can reach."""
    done = glasskafka("consumer-perf-test", "--broker-list", bootstrap, "--topic", TOPIC,
                      "--messages", "1000000000", "--timeout", "2000")  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, warning, row = done.stdout.splitlines()
    assert header == HEADER
    assert warning.startswith("WARNING: Exiting before consuming the expected number")
    found = SUMMARY_ROW.fullmatch(row)
    assert found, row
    total = int(found["count"])
    assert total > 0 and total % RECORDS == 0
    return total


def test_consumer_perf_test_detailed_stats(bootstrap: str) -> None:
    produce(bootstrap, "--producer-props", f"bootstrap.servers={bootstrap}")
    done = glasskafka("consumer-perf-test", "--bootstrap-server", bootstrap, "--topic", TOPIC,
                      "--messages", str(RECORDS), "--show-detailed-stats",
                      "--reporting-interval", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header == DETAILED_HEADER
    counts = []
    for row in rows:
        found = DETAILED_ROW.fullmatch(row)
        assert found, row
        counts.append(int(found["count"]))
    assert counts == sorted(counts) and all(c <= RECORDS for c in counts)


def _wait_for_group_coordinator(servers: str) -> None:
    """The first FindCoordinator makes the broker create __consumer_offsets (50 partitions);
    wait for it here, so no timed test pays for the creation."""
    deadline = time.monotonic() + 60
    with KafkaClient(servers) as client:
        while True:
            answer = client.request(parse_bootstrap(servers)[0], FindCoordinatorRequest(key="g"))
            assert isinstance(answer, FindCoordinatorResponse)
            if answer.error_code == ErrorCode.NONE:
                return
            assert time.monotonic() < deadline, f"no group coordinator: {answer.error_message}"
            time.sleep(0.2)


def test_consumer_perf_test_with_a_group(bootstrap: str) -> None:
    produce(bootstrap, "--producer-props", f"bootstrap.servers={bootstrap}")
    done = glasskafka("consumer-perf-test", "--bootstrap-server", bootstrap, "--topic", TOPIC,
                      "--messages", "10", "--group", "perf-group", "--timeout", "5000")  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header == HEADER
    found = SUMMARY_ROW.fullmatch(rows[-1])
    assert found, rows
    assert int(found["count"]) >= 10
    assert "Traceback" not in done.stderr


def test_consumer_perf_test_unknown_topic(bootstrap: str) -> None:
    done = glasskafka("consumer-perf-test", "--bootstrap-server", bootstrap,
                      "--topic", "no-such-topic", "--messages", "10")  # fmt: skip
    assert done.returncode == 1
    assert "topic 'no-such-topic' cannot be read" in done.stderr
    assert "Traceback" not in done.stderr


# -- bad input: exit 2, one clear line ------------------------------------------------------------

PRODUCER = ["producer-perf-test", "--topic", "t", "--num-records", "10", "--record-size", "10"]
CONSUMER = ["consumer-perf-test", "--bootstrap-server", "127.0.0.1:1", "--topic", "t"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*PRODUCER, "--throughput", "-1"], "either --producer-props or --producer.config"),
        ([*PRODUCER, "--throughput", "-1", "--producer-props", "acks"], "'acks' is not of the"),
        ([*PRODUCER, "--throughput", "-1", "--producer-props", "acks=1"], "bootstrap.servers is"),
        (
            [
                *PRODUCER,
                "--throughput",
                "-1",
                "--producer-props",
                "bootstrap.servers=127.0.0.1:1",
                "buffer.memory=1",
            ],
            'No such configuration property: "buffer.memory"',
        ),
        (
            [
                *PRODUCER,
                "--throughput",
                "-1",
                "--producer-props",
                "bootstrap.servers=127.0.0.1:1",
                "acks=sometimes",
            ],
            "bad client property",
        ),
        ([*PRODUCER, "--throughput", "0", "--producer-props", "a=b"], "--throughput 0"),
        (
            [*PRODUCER, "--throughput", "-1", "--producer-props", "a=b", "--print-metrics"],
            "--print-metrics is not supported",
        ),
        ([*PRODUCER, "--throughput", "-1", "--producer.config", "/no/such/file"], "cannot read"),
        ([*PRODUCER, "--throughput", "fast", "--producer-props", "a=b"], "invalid float"),
        (["producer-perf-test", "--topic", "t", "--num-records", "0"], "must be above zero"),
        (["producer-perf-test", "--topic", "t", "--record-size", "x"], "not a whole number"),
        ([*CONSUMER, "--messages", "-5"], "must be above zero"),
        ([*CONSUMER, "--messages", "5", "--fetch-size", "0"], "must be above zero"),
        ([*CONSUMER, "--messages", "5", "--threads", "2"], "unrecognized arguments"),
        ([*CONSUMER, "--messages", "5", "--consumer.config", "/no/such/file"], "cannot read"),
        (["consumer-perf-test", "--topic", "t", "--messages", "5"], "--bootstrap-server"),
    ],
)
def test_bad_input_is_refused_with_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own refusals
        status = int(exit_.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_a_malformed_properties_file_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "consumer.properties"
    config.write_text("# fine\nbootstrap.servers=127.0.0.1:1\njust some words\n", encoding="utf-8")
    argv = [*CONSUMER, "--messages", "5", "--consumer.config", str(config)]
    assert main(argv) == 2
    assert f"{config}:3: 'just some words' is not key=value" in capsys.readouterr().err


# -- the measuring parts, without a cluster ------------------------------------------------------


def test_throttler_holds_the_rate() -> None:
    unlimited = ThroughputThrottler(target_throughput=-1, start_ms=0)
    assert not unlimited.should_throttle(10**9, 1.0)
    throttler = ThroughputThrottler(target_throughput=1000, start_ms=0)
    assert not throttler.should_throttle(500, 1000.0)  # 500/s: under the target
    assert throttler.should_throttle(2000, 1000.0)  # 2000/s: over it
    assert throttler.next_sleep_ns() == 0  # 1 ms owed: below the 2 ms minimum sleep
    assert throttler.next_sleep_ns() == 2_000_000
    throttler.slept(1_500_000)
    assert throttler.sleep_deficit_ns == 500_000


def test_stats_window_and_percentiles() -> None:
    stats = ProducerStats(num_records=1000, start_ms=0.0)
    for iteration in range(999):
        line = stats.record(iteration=iteration, latency_ms=iteration % 100, size=100, now=1.0)
        assert line is None
    window = stats.record(iteration=999, latency_ms=500, size=100, now=5000.0)
    assert window is not None and WINDOW_LINE.fullmatch(window)
    assert window.startswith("1000 records sent, 200.0 records/sec")
    assert stats.percentiles(0.5, 0.999) == [50, 500]
    total = stats.total_line(10000.0)
    assert TOTAL_LINE.fullmatch(total), total
    assert total.startswith("1000 records sent, 100.000000 records/sec (0.01 MB/sec)")
