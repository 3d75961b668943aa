"""``glasskafka consumer-groups``: kafka-consumer-groups.sh's layout, lag and state messages.

The layout functions are checked against output Kafka printed (the column widths, the ``-`` for
what is unknown, the state sentences and where they go); then the command runs against a
coordination service and one broker started for this module, with a group that only committed
offsets (``has no active members``) and a group with a live member, whose lag is the log end
offset minus the committed offset.  Bad options are usage errors (exit status 2); a cluster that
does not answer ends with Kafka's ``Error: Executing consumer group command failed due to ...``
and exit status 1, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from glasskafka.cli import main
from glasskafka.cli.consumer_groups import (
    GroupDescription,
    MemberDescription,
    PartitionRow,
    members_lines,
    offsets_lines,
    partition_rows,
    state_lines,
)
from glasskafka.errors import GlassKafkaError
from glasskafka.protocol.messages.group_membership import JoinGroupRequest
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up
from glasskafka.runtime.facade import KafkaConsumer, KafkaProducer
from glasskafka.runtime.kafka_client import KafkaClient

ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"
TIMEOUT_S = 60


def group(state: str = "Stable", **given: object) -> GroupDescription:
    fields: dict[str, object] = dict(
        group_id="hello-group", state=state, assignment_strategy="range",
        coordinator="127.0.0.1:9092 (1)", members=(), committed={},
    )  # fmt: skip
    return GroupDescription(**(fields | given))  # type: ignore[arg-type]


ALICE = MemberDescription(
    consumer_id="consumer-1-aaaa", host="/127.0.0.1", client_id="consumer-1",
    partitions=(("orders", 0), ("orders", 2)),
)  # fmt: skip
BOB = MemberDescription(
    consumer_id="consumer-2-bbbb", host="/127.0.0.1", client_id="consumer-2",
    partitions=(("orders", 1),),
)  # fmt: skip


# -- Kafka's layout --------------------------------------------------------------------------------


def test_an_empty_group_with_offsets_prints_as_kafka_printed_it() -> None:
    """The lines ``kafka-consumer-groups.sh --describe`` printed for a group whose consumer had
    left: the notice on standard error, the table with ``-`` for the missing member."""
    empty = group("Empty", committed={("hello.kafka", 0): 11})
    out, err = offsets_lines(empty, partition_rows(empty, {("hello.kafka", 0): 16}))
    assert err == ["", "Consumer group 'hello-group' has no active members."]
    assert out == [
        "",
        "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG        "
        "     CONSUMER-ID     HOST            CLIENT-ID",
        "hello-group     hello.kafka     0          11              16              5          "
        "     -               -               -",
    ]


def test_members_come_first_most_partitions_first_then_orphaned_offsets() -> None:
    live = group(members=(BOB, ALICE), committed={("orders", 0): 3, ("audit", 0): 9})
    rows = partition_rows(live, {("orders", 0): 5, ("orders", 1): 4, ("audit", 0): 9})
    assert [(r.topic, r.partition, r.consumer_id) for r in rows] == [
        ("orders", 0, "consumer-1-aaaa"),
        ("orders", 2, "consumer-1-aaaa"),
        ("orders", 1, "consumer-2-bbbb"),
        ("audit", 0, "-"),
    ]
    assert [(r.current_offset, r.log_end_offset, r.lag) for r in rows] == [
        (3, 5, 2),
        (None, None, None),  # nothing committed, no leader answered: "-"
        (None, 4, None),
        (9, 9, 0),
    ]


def test_columns_widen_to_the_longest_value() -> None:
    row = PartitionRow(
        group="g", topic="a-rather-long-topic-name", partition=0, current_offset=None,
        log_end_offset=7, consumer_id="c", host="h", client_id="x",
    )  # fmt: skip
    out, err = offsets_lines(group(), [row])
    assert err == []
    assert out[1].startswith("GROUP           TOPIC                    PARTITION  CURRENT-OFFSET")
    assert out[2] == (
        "g               a-rather-long-topic-name 0          -               7               "
        "-               c               h               x"
    )


@pytest.mark.parametrize(
    ("state", "out", "err"),
    [
        ("Dead", ["", "Error: Consumer group 'hello-group' does not exist."], []),
        ("Empty", [], ["", "Consumer group 'hello-group' has no active members."]),
        ("PreparingRebalance", [], ["", "Warning: Consumer group 'hello-group' is rebalancing."]),
    ],
)
def test_a_group_with_nothing_to_show_gets_kafkas_sentence_only(
    state: str, out: list[str], err: list[str]
) -> None:
    assert offsets_lines(group(state), []) == (out, err)


def test_members_with_their_assignment() -> None:
    out, err = members_lines(group(members=(ALICE, BOB)), verbose=True)
    assert err == []
    assert out == [
        "",
        "GROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     "
        "ASSIGNMENT",
        "hello-group     consumer-1-aaaa /127.0.0.1      consumer-1      2               "
        "orders(0,2)",
        "hello-group     consumer-2-bbbb /127.0.0.1      consumer-2      1               orders(1)",
    ]
    assert members_lines(group(members=(BOB,)), verbose=False)[0][1].endswith("#PARTITIONS     ")


def test_state_shows_coordinator_assignor_and_member_count() -> None:
    out, _ = state_lines(group(members=(ALICE, BOB)))
    assert out == [
        "",
        "GROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           "
        "#MEMBERS",
        "hello-group               127.0.0.1:9092 (1)        range                Stable          "
        "2",
    ]


# -- bad command lines -----------------------------------------------------------------------------


def run_in_process(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(["consumer-groups", *args])
        except SystemExit as exit_:
            status = int(exit_.code or 0)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--describe"], "Option [describe] takes one of these options: [all-groups], [group]"),
        (["--describe", "--group", "g", "--all-groups"], "takes one of these options"),
        (["--list", "--group", "g"], "Option [list] takes no --group"),
        (["--describe", "--group", "g", "--offsets", "--members"], "cannot be used together"),
        (["--describe", "--group", "g", "--verbose"], "[verbose] is only valid with"),
        (["--list", "--describe"], "not allowed with argument"),
        ([], "one of the arguments --list --describe is required"),
        (["--list", "--timeout", "0"], "'0' is not a whole number of milliseconds above 0"),
        (["--list", "--timeout", "-5"], "is not a whole number of milliseconds"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], message: str) -> None:
    status, out, err = run_in_process("--bootstrap-server", "127.0.0.1:1", *args)
    assert status == 2 and message in err and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize("server", ["localhost", "h:0", "h:65536", "[::1]", ""])
def test_a_malformed_bootstrap_server_is_a_usage_error(server: str) -> None:
    status, _, err = run_in_process("--bootstrap-server", server, "--list")
    assert status == 2 and "is not valid; allowed: host:port" in err


def test_a_cluster_that_does_not_answer_is_reported_as_kafka_reports_it() -> None:
    status, out, err = run_in_process("--bootstrap-server", "127.0.0.1:1", "--list",
                                      "--timeout", "300")  # fmt: skip
    assert status == 1 and out == ""
    assert err.startswith("Error: Executing consumer group command failed due to ")
    assert "Traceback" not in err


# -- against a real broker -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("consumer-groups-cluster")
    overrides = {"group.initial.rebalance.delay.ms": "0"}
    processes: list[ClusterProcess] = cluster_up(directory, brokers=1, overrides=overrides)
    try:
        address = next(p.address for p in processes if p.name == "broker-1")
        if not groups_served(address):
            pytest.skip("the brokers do not host the group coordinator yet (no JoinGroup served)")
        with KafkaProducer(address, linger_ms=0) as producer:
            for n in range(5):
                producer.send("orders", value=f"order {n}".encode()).get(timeout=TIMEOUT_S)
        yield address
    finally:
        cluster_down(directory)


def groups_served(address: str) -> bool:
    with KafkaClient(address) as client:
        client.metadata([])
        connection = next(iter(client.connections.values()))
        try:
            connection.version_for(JoinGroupRequest)  # type: ignore[arg-type]
        except GlassKafkaError:
            return False
    return True


def command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=TIMEOUT_S
    )


def test_a_group_that_only_committed_shows_its_lag_and_no_members(bootstrap: str) -> None:
    read = command("console-consumer", "--bootstrap-server", bootstrap, "--topic", "orders",
                   "--partition", "0", "--offset", "earliest", "--group", "auditors",
                   "--max-messages", "2")  # fmt: skip
    assert read.returncode == 0, read.stderr
    status, out, err = run_in_process("--bootstrap-server", bootstrap, "--describe",
                                      "--group", "auditors")  # fmt: skip
    assert status == 0, err
    assert err == "\nConsumer group 'auditors' has no active members.\n", (out, err)
    assert out.splitlines()[2].split() == ["auditors", "orders", "0", "2", "5", "3", "-", "-", "-"]
    listed = run_in_process("--bootstrap-server", bootstrap, "--list")
    assert "auditors" in listed[1].splitlines()


def test_an_unknown_group_does_not_exist(bootstrap: str) -> None:
    status, out, err = run_in_process("--bootstrap-server", bootstrap, "--describe",
                                      "--group", "nobody")  # fmt: skip
    assert (status, out, err) == (0, "\nError: Consumer group 'nobody' does not exist.\n", "")


def test_a_live_member_is_shown_with_its_partitions_and_lag(bootstrap: str) -> None:
    live = KafkaConsumer(
        "orders",
        bootstrap_servers=bootstrap,
        group_id="live",
        auto_offset_reset="earliest",
        client_id="live-client",
    )
    with live as consumer:
        taken = 0
        deadline = time.monotonic() + TIMEOUT_S
        while taken < 5 and time.monotonic() < deadline:
            taken += sum(len(b) for b in consumer.poll(timeout_ms=500, max_records=5).values())
        consumer.commit()
        status, out, err = run_in_process("--bootstrap-server", bootstrap, "--describe",
                                          "--group", "live")  # fmt: skip
        assert status == 0 and err == "", err
        row = out.splitlines()[2].split()
        assert row[:6] == ["live", "orders", "0", "5", "5", "0"]
        assert row[6].startswith("live-client") and row[8] == "live-client"
        members = run_in_process("--bootstrap-server", bootstrap, "--describe", "--group", "live",
                                 "--members", "--verbose")[1]  # fmt: skip
        assert members.splitlines()[2].split()[-2:] == ["1", "orders(0)"]
        state = run_in_process("--bootstrap-server", bootstrap, "--describe", "--group", "live",
                               "--state")[1]  # fmt: skip
        assert state.splitlines()[2].split()[-2:] == ["Stable", "1"]
