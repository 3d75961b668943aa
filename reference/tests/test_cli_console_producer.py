"""``glasskafka console-producer``: kafka-console-producer.sh's reader, flags and failures.

The line reader is checked on its own against Kafka's ``LineMessageReader`` rules and sentences;
then the command runs as a user runs it -- a subprocess with lines piped to its standard input --
against a coordination service and one broker started for this module (free loopback ports,
stopped by pid afterwards), and what it wrote is read back over the protocol.  Bad flags,
properties and input lines get a clear message and never a traceback: usage mistakes exit with
status 2 before anything is sent; a line that cannot be read stops the run with status 1 after
the lines before it have been delivered.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from glasskafka.cli import main
from glasskafka.cli.console_producer import (
    LineReader,
    LineRecord,
    ReaderError,
    parse_key_values,
    producer_properties,
)
from glasskafka.errors import GlassKafkaError
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up
from glasskafka.runtime.facade import KafkaConsumer, TopicPartition

ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"
TIMEOUT_S = 60


# -- the reader: LineMessageReader's rules -------------------------------------------------------


def read(line: str, number: int = 1, **properties: str) -> LineRecord:
    given = {key.replace("_", "."): value for key, value in properties.items()}
    return LineReader(given).read(line, number)


def test_by_default_the_whole_line_is_the_value_and_the_key_is_null() -> None:
    assert read("k:v\twith a tab") == LineRecord(key=None, value=b"k:v\twith a tab")
    assert read("") == LineRecord(key=None, value=b"")


def test_parse_key_splits_at_the_first_separator() -> None:
    assert read("k:v:w", parse_key="true", key_separator=":") == LineRecord(key=b"k", value=b"v:w")
    assert read("key\tvalue", parse_key="TRUE") == LineRecord(key=b"key", value=b"value")
    assert read("k:", parse_key="true", key_separator=":") == LineRecord(key=b"k", value=b"")
    multi = read("user1 -> hello", parse_key="true", key_separator=" -> ")
    assert multi == LineRecord(key=b"user1", value=b"hello")


def test_a_line_without_the_key_separator_is_refused_with_kafkas_sentence() -> None:
    with pytest.raises(ReaderError) as refused:
        read("hhh", 2, parse_key="true", key_separator=":")
    assert str(refused.value) == "No key separator found on line number 2: 'hhh'"


def test_ignore_error_sends_such_a_line_without_a_key() -> None:
    record = read("hhh", parse_key="true", key_separator=":", ignore_error="true")
    assert record == LineRecord(key=None, value=b"hhh")


def test_headers_then_key_then_value() -> None:
    record = read("h1:v1,h2:v2\tkey\tvalue", parse_headers="true", parse_key="true")
    assert record == LineRecord(key=b"key", value=b"value", headers=(("h1", b"v1"), ("h2", b"v2")))
    with pytest.raises(ReaderError, match="No header key separator found in pair 'h2' on line"):
        read("h1:v1,h2\tvalue", parse_headers="true")


def test_the_null_marker_makes_a_field_null() -> None:
    record = read("~|payload", parse_key="true", key_separator="|", null_marker="~")
    assert record == LineRecord(key=None, value=b"payload")
    assert read("k|~", parse_key="true", key_separator="|", null_marker="~").value is None


def test_text_is_sent_as_utf8() -> None:
    assert read("事件:值", parse_key="true", key_separator=":") == LineRecord(
        key="事件".encode(), value="值".encode()
    )


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"parse.kye": "true"}, "'parse.kye' is not a reader property"),
        ({"parse.key": "yes"}, "parse.key='yes'; allowed: true or false"),
        ({"key.separator": ""}, "key.separator is empty"),
        ({"headers.separator": ":"}, "headers.separator and headers.key.separator may not"),
        ({"headers.delimiter": ","}, "headers.delimiter and headers.separator may not be equal"),
        ({"null.marker": "\t"}, "null.marker and key.separator may not be equal"),
    ],
)
def test_bad_reader_properties_are_refused_naming_them(
    properties: dict[str, str], message: str
) -> None:
    with pytest.raises(GlassKafkaError, match=message):
        LineReader(properties)


def test_property_values_are_kept_exactly_and_a_missing_value_is_refused() -> None:
    assert parse_key_values(["key.separator= | "], flag="--property") == {"key.separator": " | "}
    with pytest.raises(GlassKafkaError, match=re.escape("Missing value for key parse.key")):
        parse_key_values(["parse.key="], flag="--property")
    with pytest.raises(
        GlassKafkaError, match=re.escape("'parse.key' is not of the form key=value")
    ):
        parse_key_values(["parse.key"], flag="--property")


# -- producer properties: file, then --producer-property, then the tool's flags ------------------


def namespace(**given: object) -> argparse.Namespace:
    flags = dict.fromkeys(
        ("producer_config", "request_required_acks", "timeout", "request_timeout_ms",
         "message_send_max_retries", "retry_backoff_ms", "batch_size", "max_block_ms",
         "max_memory_bytes", "metadata_expiry_ms", "compression_codec"),
    )  # fmt: skip
    return argparse.Namespace(
        **(flags | {"producer_property": [], "bootstrap_server": "h:1"} | given)
    )


def test_the_tools_defaults_are_kafkas() -> None:
    properties = producer_properties(namespace())
    assert properties["acks"] == "-1" and properties["linger.ms"] == "1000"
    assert properties["request.timeout.ms"] == "1500" and properties["retries"] == "3"
    assert properties["client.id"] == "console-producer"
    assert properties["bootstrap.servers"] == "h:1"
    assert "compression.type" not in properties


def test_a_property_given_wins_over_a_flag_left_at_its_default(tmp_path: Path) -> None:
    config = tmp_path / "producer.properties"
    config.write_text("linger.ms=5\nacks=1\nclient.id=mine\n", encoding="utf-8")
    properties = producer_properties(
        namespace(producer_config=str(config), producer_property=["acks=0"])
    )
    assert (properties["linger.ms"], properties["acks"], properties["client.id"]) == (
        "5",
        "0",
        "mine",
    )
    explicit = producer_properties(
        namespace(producer_property=["acks=0"], request_required_acks="1")
    )
    assert explicit["acks"] == "1"  # a flag given explicitly wins (maybeMergeOptions)


# -- the command against a real broker -----------------------------------------------------------


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("console-producer-cluster")
    processes: list[ClusterProcess] = cluster_up(directory, brokers=1)
    try:
        yield next(p.address for p in processes if p.name == "broker-1")
    finally:
        cluster_down(directory)


def produce(*args: str, stdin: bytes) -> subprocess.CompletedProcess[str]:
    """Run the command in its own process with ``stdin`` piped in (bytes, exactly)."""
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, "console-producer", *args],
        input=stdin, capture_output=True, timeout=TIMEOUT_S,
    )  # fmt: skip
    out, err = (text.decode("utf-8", errors="replace") for text in (done.stdout, done.stderr))
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


def records(bootstrap: str, topic: str) -> list[tuple[object, object]]:
    """Every record of ``topic``'s partition 0, read back from the start to its end."""
    with KafkaConsumer(bootstrap_servers=bootstrap) as consumer:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        end = consumer.end_offsets([partition])[partition]
        found: list[tuple[object, object]] = []
        deadline = time.monotonic() + TIMEOUT_S
        while len(found) < end and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                found += [(r.key, r.value) for r in batch]
        return found


def test_piped_lines_become_records_in_order_with_no_prompt(bootstrap: str) -> None:
    done = produce("--bootstrap-server", bootstrap, "--topic", "piped",
                   stdin=b"This is my first event\nsecond\r\nthird")  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert records(bootstrap, "piped") == [
        (None, b"This is my first event"),
        (None, b"second"),
        (None, b"third"),
    ]


def test_keys_are_parsed_as_the_course_types_them(bootstrap: str) -> None:
    done = produce("--bootstrap-server", bootstrap, "--topic", "keyed", "--property",
                   "parse.key=true", "--property", "key.separator=:", "--sync", "--timeout", "0",
                   stdin=b"user1:hello\nuser2:world\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert records(bootstrap, "keyed") == [(b"user1", b"hello"), (b"user2", b"world")]


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"a:1\nb:2\nhhh\nc:3\n", "No key separator found on line number 3: 'hhh'"),
        (b"a:1\nb:2\n\xff\xfe:bad\nc:3\n", "line number 3 is not UTF-8"),
    ],
    ids=["no-separator", "not-utf8"],
)
def test_an_unreadable_line_stops_the_run_after_delivering_the_lines_before_it(
    bootstrap: str, stdin: bytes, message: str
) -> None:
    topic = f"stopped-{abs(hash(message)) % 1000}"
    done = produce("--bootstrap-server", bootstrap, "--topic", topic, "--property",
                   "parse.key=true", "--property", "key.separator=:", stdin=stdin)  # fmt: skip
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert records(bootstrap, topic) == [(b"a", b"1"), (b"b", b"2")]


def test_in_a_terminal_it_prompts_before_each_line(bootstrap: str) -> None:
    """Kafka prints ``>`` when ``System.console()`` exists: stdin and stdout both terminals."""
    leader, follower = pty.openpty()
    command = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "console-producer", "--bootstrap-server", bootstrap,
         "--topic", "prompted"],
        stdin=follower, stdout=follower, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(follower)
    seen = b""
    try:
        seen += read_until(leader, b">")
        os.write(leader, b"typed event\n")
        seen += read_until(leader, b">")
        os.write(leader, b"\x04")  # Ctrl-D: end of input, as a user ends the session
        assert command.wait(timeout=TIMEOUT_S) == 0
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
        os.close(leader)
    assert seen.count(b">") >= 2
    assert records(bootstrap, "prompted") == [(None, b"typed event")]


def read_until(fd: int, wanted: bytes) -> bytes:
    """What the terminal shows until ``wanted`` appears (bounded by TIMEOUT_S)."""
    seen = b""
    deadline = time.monotonic() + TIMEOUT_S
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"the terminal showed only {seen!r}"
        seen += os.read(fd, 1024)
    return seen


# -- hostile command lines: exit status 2, a clear message, nothing sent -------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bootstrap-server", "localhost"], "--bootstrap-server 'localhost' is not valid"),
        (["--bootstrap-server", "h:99999"], "is not valid"),
        (["--bootstrap-server", ":9092"], "is not valid"),
        (["--bootstrap-server", "a:1,,b:2"], "is not valid"),
        (["--property", "parse.kye=true"], "'parse.kye' is not a reader property"),
        (["--property", "key.separator="], "Missing value for key key.separator"),
        (["--property", "headers.separator=:"], "may not be equal"),
        (["--producer-property", "acks=2"], "property 'acks' has value '2'"),
        (["--producer-property", "lingr.ms=5"], "unknown property 'lingr.ms'"),
        (["--producer-property", "noequals"], "is not of the form key=value"),
        (["--request-required-acks", "many"], "property 'acks' has value 'many'"),
        (["--compression-codec", "lz77"], "property 'compression.type' has value 'lz77'"),
        (["--timeout", "-1"], "argument --timeout: '-1' is not a whole number"),
        (["--producer.config", "/nonexistent/producer.properties"], "cannot read"),
        (["--topic", "bad/name"], "topic name 'bad/name' may contain only ASCII letters"),
        (["--topic", ".."], "topic name '..' is not allowed"),
        (["--topic", ""], "topic name '' is empty"),
        (["--topic", "t" * 250], "too long; at most 249"),
    ],
)
def test_bad_flags_are_usage_errors_before_anything_is_sent(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = [] if "--bootstrap-server" in given else ["--bootstrap-server", "127.0.0.1:1"]
    argv += [] if "--topic" in given else ["--topic", "t"]
    assert run_in_process(*argv, *args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def run_in_process(*args: str) -> int:
    """``main(["console-producer", ...])`` here (fast): usage errors end before any I/O."""
    try:
        return main(["console-producer", *args])
    except SystemExit as exit_:  # argparse's refusals
        return int(exit_.code or 0)


@pytest.mark.parametrize("args", [["--topic", "t"], ["--bootstrap-server", "127.0.0.1:1"]])
def test_a_missing_required_flag_is_argparses_usage_error(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_in_process(*args) == 2
    err = capsys.readouterr().err
    assert "the following arguments are required" in err and "Traceback" not in err


def test_bad_properties_file_lines_are_refused_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "producer.properties"
    config.write_bytes(b"acks=all\nthis line has no separator\n")
    args = ["--bootstrap-server", "127.0.0.1:1", "--topic", "t", "--producer.config", str(config)]
    assert run_in_process(*args) == 2
    assert "producer.properties:2" in capsys.readouterr().err


def test_a_broker_that_does_not_answer_fails_the_records_not_the_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Nothing listens on the port: each record fails after ``max.block.ms`` with Kafka's
    ErrorLoggingCallback line, and the run ends with status 1 and no traceback."""
    done = produce("--bootstrap-server", "127.0.0.1:1", "--topic", "t", "--max-block-ms", "500",
                   stdin=b"lost\n")  # fmt: skip
    assert done.returncode == 1
    assert "ERROR Error when sending message to topic t with key: null, value: 4 bytes" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
