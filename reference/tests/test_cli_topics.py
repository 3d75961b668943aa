"""``glasskafka topics``: kafka-topics.sh's flags and output lines, against real brokers.

A coordination service and two brokers run as real processes for this module (free loopback
ports, stopped by pid afterwards).  The command runs as a user would run it, in a subprocess, and
the tests compare its output line by line with Kafka's: ``Created topic t.``, the ``--describe``
summary and partition lines (tabs included), ``--list``; and its failures with
``Error while executing topic command : ...`` and exit status 1.  Bad flags and bad
``--bootstrap-server`` values get a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from glasskafka.cli import main
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up, free_ports

TIMEOUT_S = 60
ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("topics-cluster")
    processes: list[ClusterProcess] = cluster_up(directory, brokers=2)
    try:
        yield ",".join(p.address for p in processes if p.name.startswith("broker-"))
    finally:
        cluster_down(directory)


def topics(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``glasskafka topics`` in this process (fast), as the command line would."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["topics", *args])
        except SystemExit as exit_:  # argparse's refusals
            code = int(exit_.code or 0)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def ok(*args: str) -> list[str]:
    done = topics(*args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def test_create_then_describe_prints_kafkas_lines(bootstrap: str) -> None:
    created = subprocess.run(  # once as a real command, in its own process
        [sys.executable, "-c", ENTRY, "topics", "--create", "--topic", "topic1",
         "--bootstrap-server", bootstrap],
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )  # fmt: skip
    assert (created.returncode, created.stdout, created.stderr) == (
        0,
        "Created topic topic1.\n",
        "",
    )
    assert ok("--describe", "--topic", "topic1", "--bootstrap-server", bootstrap) == [
        "Topic: topic1\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: ",
        "\tTopic: topic1\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1",
    ]


def test_partitions_and_replicas_follow_the_placement_rule(bootstrap: str) -> None:
    ok("--create", "--topic", "placed", "--partitions", "3", "--replication-factor", "2",
       "--config", "retention.ms=60000", "--bootstrap-server", bootstrap)  # fmt: skip
    assert ok("--describe", "--topic", "placed", "--bootstrap-server", bootstrap) == [
        "Topic: placed\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: ",
        "\tTopic: placed\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2",
        "\tTopic: placed\tPartition: 1\tLeader: 2\tReplicas: 2,1\tIsr: 2,1",
        "\tTopic: placed\tPartition: 2\tLeader: 1\tReplicas: 1,2\tIsr: 1,2",
    ]


def test_list_and_describe_all_show_every_topic_sorted(bootstrap: str) -> None:
    for name in ("zeta", "alpha"):
        ok("--create", "--topic", name, "--bootstrap-server", bootstrap)
    listed = ok("--list", "--bootstrap-server", bootstrap)
    assert listed == sorted(listed) and {"alpha", "zeta"} <= set(listed)
    described = ok("--describe", "--bootstrap-server", bootstrap)
    summaries = [line.split("\t")[0] for line in described if line.startswith("Topic: ")]
    assert summaries == [f"Topic: {name}" for name in listed]


def test_delete_removes_the_topic(bootstrap: str) -> None:
    ok("--create", "--topic", "doomed", "--bootstrap-server", bootstrap)
    assert ok("--delete", "--topic", "doomed", "--bootstrap-server", bootstrap) == []
    assert "doomed" not in ok("--list", "--bootstrap-server", bootstrap)
    assert ok("--delete", "--topic", "doomed", "--if-exists", "--bootstrap-server", bootstrap) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--create", "--topic", "dup"], "Topic 'dup' already exists."),
        (["--create", "--topic", "wide", "--replication-factor", "3"],
         "Replication factor: 3 larger than available brokers: 2."),
        (["--create", "--topic", "bad/name"], "bad/name"),
        (["--create", "--topic", "zero", "--partitions", "0"], "artition"),
        (["--describe", "--topic", "missing"], "Topic 'missing' does not exist as expected"),
        (["--delete", "--topic", "missing"], "Topic 'missing' does not exist as expected"),
    ],
    ids=["exists", "too-many-replicas", "bad-name", "zero-partitions", "describe-missing",
         "delete-missing"],
)  # fmt: skip
def test_refusals_are_reported_as_kafka_reports_them(
    bootstrap: str, args: list[str], message: str
) -> None:
    if args[:3] == ["--create", "--topic", "dup"]:
        ok("--create", "--topic", "dup", "--if-not-exists", "--bootstrap-server", bootstrap)
    done = topics(*args, "--bootstrap-server", bootstrap)
    assert done.returncode == 1
    assert done.stderr.startswith("Error while executing topic command : ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_if_not_exists_makes_a_second_create_quiet(bootstrap: str) -> None:
    ok("--create", "--topic", "twice", "--bootstrap-server", bootstrap)
    assert (
        ok("--create", "--topic", "twice", "--if-not-exists", "--bootstrap-server", bootstrap) == []
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--list", "--bootstrap-server", "nohostport"], "--bootstrap-server 'nohostport'"),
        (["--list", "--bootstrap-server", "host:notaport"], "allowed: host:port"),
        (["--create", "--bootstrap-server", "localhost:9092"], "--topic is required"),
        (["--list", "--bootstrap-server", "localhost:1,x:99999"], "is not valid"),
        (["--create", "--topic", "t", "--config", "novalue", "--bootstrap-server", "a:1"],
         "not of the form key=value"),
    ],
    ids=["no-port", "bad-port", "no-topic", "port-out-of-range", "bad-config"],
)  # fmt: skip
def test_bad_arguments_get_a_one_line_message(args: list[str], message: str) -> None:
    done = topics(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_bootstrap_server_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("glasskafka.cli.topics._CLIENT_TIMEOUT_S", 0.5)
    (port,) = free_ports(1)
    done = topics("--list", "--bootstrap-server", f"127.0.0.1:{port}")
    assert done.returncode == 2
    assert f"cannot connect to broker 127.0.0.1:{port}" in done.stderr


def test_two_actions_at_once_are_refused() -> None:
    done = topics("--list", "--describe", "--bootstrap-server", "localhost:9092")
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


@pytest.mark.parametrize(
    "reply",
    [b"", b"\x00\x00\x00\x02ab", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x08\x00\x00\x00\x09garb"],
    ids=["hang-up", "too-short", "huge-size", "wrong-correlation"],
)
def test_a_broker_that_answers_garbage_is_named(
    monkeypatch: pytest.MonkeyPatch, reply: bytes
) -> None:
    monkeypatch.setattr("glasskafka.cli.topics._CLIENT_TIMEOUT_S", 0.5)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def answer_garbage() -> None:
            with contextlib.suppress(OSError):
                while True:
                    connection, _ = server.accept()
                    with connection:
                        connection.recv(4096)
                        connection.sendall(reply)

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        done = topics("--list", "--bootstrap-server", f"127.0.0.1:{port}")
    assert done.returncode == 2
    assert f"127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
