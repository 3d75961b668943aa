"""``glasskafka console-consumer``: kafka-console-consumer.sh's formatter, modes and endings.

The formatter and the option rules are checked on their own against Kafka's
``DefaultMessageFormatter`` and ``ConsoleConsumer`` (their sentences included); then the command
runs as a user runs it, in a subprocess, against a coordination service and one broker started
for this module, reading records written beforehand by glasskafka's producer.  Every run ends
with ``Processed a total of N messages`` on standard error, however it ended.  Bad options exit
with status 2 and a clear message before anything connects; a missing partition or a closed
output ends the run with status 1, never a traceback.  The group runs (``--group``, and the
made-up ``console-consumer-<n>``) need brokers that host the group coordinator.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from glasskafka.cli import main
from glasskafka.cli.console_consumer import MessageFormatter, consumer_properties, parse_offset
from glasskafka.errors import GlassKafkaError
from glasskafka.protocol.messages.group_membership import JoinGroupRequest
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up
from glasskafka.runtime.facade import ConsumerRecord, KafkaProducer
from glasskafka.runtime.kafka_client import KafkaClient

ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"
TIMEOUT_S = 60
EVENTS = [b"This is my first event", b"second", b"third", b"fourth"]


def record(**given: object) -> ConsumerRecord:
    fields: dict[str, object] = dict(
        topic="t", partition=2, offset=7, timestamp=1700000000000, key=b"k", value=b"v", headers=[]
    )
    return ConsumerRecord(**(fields | given))  # type: ignore[arg-type]


def formatted(given: dict[str, str], **fields: object) -> bytes:
    return MessageFormatter.from_properties(given).format(record(**fields))


# -- DefaultMessageFormatter ---------------------------------------------------------------------


def test_by_default_only_the_value_is_printed_then_a_newline() -> None:
    assert formatted({}) == b"v\n"
    assert formatted({}, value=None) == b"null\n"
    assert formatted({}, value=b"\xff\x00bytes") == b"\xff\x00bytes\n"  # the bytes, as they are


def test_print_key_uses_the_key_separator() -> None:
    assert formatted({"print.key": "true"}) == b"k\tv\n"
    assert formatted({"print.key": "true", "key.separator": " | "}, key=None) == b"null | v\n"


def test_every_field_in_kafkas_order() -> None:
    every = {
        "print.timestamp": "true",
        "print.partition": "true",
        "print.offset": "true",
        "print.headers": "true",
        "print.key": "true",
        "key.separator": ",",
        "headers.separator": ";",
        "null.literal": "<none>",
    }
    assert formatted(every, headers=[("h1", b"a"), ("h2", None)], key=None) == (
        b"CreateTime:1700000000000,Partition:2,Offset:7,h1:a;h2:<none>,<none>,v\n"
    )
    assert formatted({"print.headers": "true"}) == b"NO_HEADERS\tv\n"


def test_without_the_value_the_last_field_ends_the_line() -> None:
    assert formatted({"print.key": "true", "print.value": "false"}) == b"k\n"
    assert formatted({"print.value": "false"}) == b""
    assert formatted({"line.separator": "\r\n"}) == b"v\r\n"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"print.kye": "true"}, "'print.kye' is not a formatter property"),
        ({"print.key": "yes"}, "print.key='yes'; allowed: true or false"),
        ({"value.deserializer": "com.example.Avro"}, "allowed: org.apache.kafka"),
    ],
)
def test_bad_formatter_properties_are_refused(given: dict[str, str], message: str) -> None:
    with pytest.raises(GlassKafkaError, match=re.escape(message)):
        MessageFormatter.from_properties(given)


# -- ConsoleConsumer's option rules --------------------------------------------------------------


def test_offsets_are_earliest_latest_or_a_whole_number() -> None:
    assert [parse_offset(t) for t in ("earliest", "LATEST", "0", "42")] == [
        "earliest",
        "latest",
        0,
        42,
    ]
    for bad in ("-3", "soon", "1e3", "٣"):
        with pytest.raises(argparse.ArgumentTypeError, match=f"The provided offset value '{bad}'"):
            parse_offset(bad)


def options(**given: object) -> argparse.Namespace:
    defaults: dict[str, object] = dict(
        consumer_config=None, consumer_property=[], group=None, partition=None,
        from_beginning=False, isolation_level=None, bootstrap_server="h:1",
    )  # fmt: skip
    return argparse.Namespace(**(defaults | given))


def test_without_a_group_it_makes_one_up_and_does_not_commit() -> None:
    properties = consumer_properties(options(), rng=random.Random(5))
    assert re.fullmatch(r"console-consumer-\d{1,5}", properties["group.id"])
    assert properties["enable.auto.commit"] == "false"
    assert properties["auto.offset.reset"] == "latest"
    chosen = consumer_properties(options(consumer_property=["enable.auto.commit=true"]),
                                 rng=random.Random(5))  # fmt: skip
    assert chosen["enable.auto.commit"] == "true"


def test_a_named_group_commits_and_from_beginning_means_earliest() -> None:
    properties = consumer_properties(options(group="g", from_beginning=True), rng=random.Random())
    assert properties["group.id"] == "g" and "enable.auto.commit" not in properties
    assert properties["auto.offset.reset"] == "earliest"


def test_one_partition_without_a_group_uses_no_group() -> None:
    assert "group.id" not in consumer_properties(options(partition=0), rng=random.Random())


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (dict(group="a", consumer_property=["group.id=b"]), "Detected group ids: 'a', 'b'"),
        (dict(from_beginning=True, consumer_property=["auto.offset.reset=latest"]),
         "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest'"),
    ],
)  # fmt: skip
def test_clashing_options_are_refused_with_kafkas_sentence(
    given: dict[str, object], message: str
) -> None:
    with pytest.raises(GlassKafkaError, match=re.escape(message)):
        consumer_properties(options(**given), rng=random.Random())


def run_in_process(*args: str) -> int:
    try:
        return main(["console-consumer", *args])
    except SystemExit as exit_:  # argparse's refusals
        return int(exit_.code or 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-messages", "0"], "argument --max-messages: '0' is not a whole number >= 1"),
        (["--max-messages", "-5"], "'-5' is not a whole number >= 1"),
        (["--max-messages", "many"], "'many' is not a whole number >= 1"),
        (["--timeout-ms", "-1"], "'-1' is not a whole number >= 0"),
        (["--partition", "-1"], "'-1' is not a whole number >= 0"),
        (["--partition", "0", "--offset", "-3"], "The provided offset value '-3' is incorrect."),
        (["--offset", "3"], "The partition is required when offset is specified."),
        (["--partition", "0", "--offset", "3", "--from-beginning"],
         "Options from-beginning and offset cannot be specified together."),
        (["--bootstrap-server", "localhost"], "--bootstrap-server 'localhost' is not valid"),
        (["--bootstrap-server", "host:port"], "is not valid"),
        (["--property", "print.key=yes"], "print.key='yes'; allowed: true or false"),
        (["--property", "print.kye=true"], "'print.kye' is not a formatter property"),
        (["--property", "key.separator"], "is not of the form key=value"),
        (["--consumer-property", "fetch.max.bytez=1"], "unknown property 'fetch.max.bytez'"),
        (["--consumer-property", "auto.offset.reset=soonest"], "'auto.offset.reset'"),
        (["--consumer.config", "/nonexistent.properties"], "cannot read"),
        (["--group", "a", "--consumer-property", "group.id=b"], "do not match"),
        (["--topic", "bad/name"], "topic name 'bad/name' may contain only ASCII letters"),
        (["--topic", "."], "topic name '.' is not allowed"),
    ],
)  # fmt: skip
def test_bad_options_are_usage_errors_before_anything_connects(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server = [] if "--bootstrap-server" in args else ["--bootstrap-server", "127.0.0.1:1"]
    topic = [] if "--topic" in args else ["--topic", "t"]
    assert run_in_process(*server, *topic, *args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def test_a_missing_topic_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_in_process("--bootstrap-server", "127.0.0.1:1") == 2
    assert "the following arguments are required: --topic" in capsys.readouterr().err


# -- the command against a real broker -----------------------------------------------------------


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("console-consumer-cluster")
    # Kafka's own config/server.properties sets this to 0 for development clusters.
    overrides = {"group.initial.rebalance.delay.ms": "0"}
    processes: list[ClusterProcess] = cluster_up(directory, brokers=1, overrides=overrides)
    try:
        address = next(p.address for p in processes if p.name == "broker-1")
        with KafkaProducer(address, linger_ms=0) as producer:
            for n, event in enumerate(EVENTS):
                key = None if n == 0 else f"key-{n}".encode()
                producer.send("events", value=event, key=key).get(timeout=TIMEOUT_S)
            producer.send("binary", value=b"\xff\xfe\x00raw").get(timeout=TIMEOUT_S)
        yield address
    finally:
        cluster_down(directory)


def consume(*args: str, close_output: bool = False) -> subprocess.CompletedProcess[bytes]:
    """The command in its own process; ``close_output`` closes its standard output at once."""
    command = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "console-consumer", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    if close_output:
        assert command.stdout is not None
        command.stdout.close()
        err = command.communicate(timeout=TIMEOUT_S)[1]
        return subprocess.CompletedProcess(command.args, command.returncode, b"", err)
    out, err = command.communicate(timeout=TIMEOUT_S)
    return subprocess.CompletedProcess(command.args, command.returncode, out, err)


def test_one_partition_from_the_beginning_up_to_max_messages(bootstrap: str) -> None:
    done = consume("--bootstrap-server", bootstrap, "--topic", "events", "--partition", "0",
                   "--from-beginning", "--max-messages", "3")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"This is my first event\nsecond\nthird\n"
    assert done.stderr.decode().endswith("Processed a total of 3 messages\n")


def test_keys_offsets_and_partitions_are_printed_when_asked(bootstrap: str) -> None:
    done = consume("--bootstrap-server", bootstrap, "--topic", "events", "--partition", "0",
                   "--offset", "1", "--max-messages", "2", "--property", "print.key=true",
                   "--property", "print.offset=true", "--property", "key.separator=:")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"Offset:1:key-1:second\nOffset:2:key-2:third\n"


def test_values_are_printed_as_their_bytes(bootstrap: str) -> None:
    done = consume("--bootstrap-server", bootstrap, "--topic", "binary", "--partition", "0",
                   "--offset", "earliest", "--max-messages", "1")  # fmt: skip
    assert done.stdout == b"\xff\xfe\x00raw\n"


def test_timeout_ms_ends_a_quiet_run_as_kafka_does(bootstrap: str) -> None:
    done = consume("--bootstrap-server", bootstrap, "--topic", "events", "--partition", "0",
                   "--offset", "3", "--timeout-ms", "1000")  # fmt: skip
    assert done.returncode == 0 and done.stdout == b"fourth\n"
    err = done.stderr.decode()
    assert "ERROR Error processing message, terminating consumer process: TimeoutException" in err
    assert err.endswith("Processed a total of 1 messages\n")


def test_latest_is_the_default_start_of_a_partition(bootstrap: str) -> None:
    done = consume("--bootstrap-server", bootstrap, "--topic", "events", "--partition", "0",
                   "--timeout-ms", "500")  # fmt: skip
    assert (done.returncode, done.stdout) == (0, b"")
    assert done.stderr.decode().endswith("Processed a total of 0 messages\n")


@pytest.mark.parametrize(
    ("topic", "partition", "message"),
    [
        ("missing", "0", "partition 0 of topic 'missing' does not exist"),
        ("events", "9", "partition 9 of topic 'events' does not exist (it has 1)"),
    ],
)
def test_a_partition_that_does_not_exist_is_a_clear_error(
    bootstrap: str, topic: str, partition: str, message: str
) -> None:
    done = consume("--bootstrap-server", bootstrap, "--topic", topic, "--partition", partition,
                   "--timeout-ms", "500")  # fmt: skip
    err = done.stderr.decode()
    assert done.returncode == 1 and message in err and "Traceback" not in err
    assert err.endswith("Processed a total of 0 messages\n")


def test_a_closed_output_closes_the_consumer(bootstrap: str) -> None:
    done = consume("--bootstrap-server", bootstrap, "--topic", "events", "--partition", "0",
                   "--from-beginning", "--timeout-ms", "5000", close_output=True)  # fmt: skip
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "Unable to write to standard out, closing consumer." in err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.endswith("Processed a total of 0 messages\n")


def test_an_unreachable_broker_is_a_clear_error_not_a_hang(bootstrap: str) -> None:
    quick = "default.api.timeout.ms=1500"
    done = consume("--bootstrap-server", "127.0.0.1:1", "--topic", "events", "--partition", "0",
                   "--timeout-ms", "500", "--consumer-property", quick)  # fmt: skip
    err = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in err
    assert err.endswith("Processed a total of 0 messages\n")


# -- groups: subscribe, commit, resume -----------------------------------------------------------


def groups_served(bootstrap: str) -> bool:
    with KafkaClient(bootstrap) as client:
        client.metadata([])
        connection = next(iter(client.connections.values()))
        try:
            connection.version_for(JoinGroupRequest)  # type: ignore[arg-type]
        except GlassKafkaError:
            return False
    return True


@pytest.fixture
def group_bootstrap(bootstrap: str) -> str:
    if not groups_served(bootstrap):
        pytest.skip("the brokers do not host the group coordinator yet (no JoinGroup served)")
    return bootstrap


def test_a_named_group_commits_so_the_next_run_resumes(group_bootstrap: str) -> None:
    common = ("--bootstrap-server", group_bootstrap, "--topic", "events", "--group", "resumers",
              "--from-beginning")  # fmt: skip
    first = consume(*common, "--max-messages", "2")
    assert first.returncode == 0, first.stderr
    assert first.stdout == b"This is my first event\nsecond\n"
    second = consume(*common, "--max-messages", "2")
    assert second.stdout == b"third\nfourth\n", second.stderr
    assert second.stderr.decode().endswith("Processed a total of 2 messages\n")


def test_without_a_group_each_run_starts_afresh(group_bootstrap: str) -> None:
    args = ("--bootstrap-server", group_bootstrap, "--topic", "events", "--from-beginning",
            "--max-messages", "1")  # fmt: skip
    runs = [consume(*args) for _ in range(2)]
    assert [run.stdout for run in runs] == [b"This is my first event\n"] * 2
