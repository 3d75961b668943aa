"""Configuration: the ``.properties`` parser, the typed configs, Kafka's defaults, bad input.

Theory of operation
-------------------
``glasskafka.config`` is a user-facing surface: students write ``server.properties`` files and
``--override`` flags by hand.  These tests pin down three things.  The parser reads exactly what
``java.util.Properties.load`` reads (comments, separators, continuations, escapes), so a file
that works with Kafka's scripts means the same here.  The defaults are Kafka's, checked against a
table copied from Kafka 3.7's documentation (broker configs:
https://kafka.apache.org/37/documentation.html#brokerconfigs, topic configs: #topicconfigs) and,
for the coordination service, the ``config/zookeeper.properties`` that Kafka ships plus
ZooKeeper's Administrator's Guide.  And bad input, however hostile, ends in a
``GlassKafkaError`` that names the key, the value and what is allowed, never another exception.

Spec IDs: none (configuration is checked example by example and by Hypothesis here).

Simplified from Kafka: Kafka's ``ConfigDef`` also validates lists, classes and passwords, and
warns about unknown keys instead of refusing them; glasskafka's properties are integers,
booleans, strings and choices only, and an unknown key is an error.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from glasskafka.config import (
    BrokerConfig,
    CoordinationConfig,
    TopicConfig,
    config_from_properties,
    parse_overrides,
    parse_properties,
    property_names,
)
from glasskafka.errors import GlassKafkaError
from hypothesis import given
from hypothesis import strategies as st

CONFIGS: tuple[type[Any], ...] = (BrokerConfig, TopicConfig, CoordinationConfig)

# ---------------------------------------------------------------------------------------------
# The parser: java.util.Properties.load's rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# a comment\n! another\n   # indented comment\n\na=1\n", {"a": "1"}),
        ("a=b", {"a": "b"}),
        ("a = b", {"a": "b"}),
        ("a:b", {"a": "b"}),
        ("a : b", {"a": "b"}),
        ("a b", {"a": "b"}),
        ("a\tb", {"a": "b"}),
        ("a\fb", {"a": "b"}),
        ("   a=b", {"a": "b"}),
        ("a==b", {"a": "=b"}),
        ("a=b:c d", {"a": "b:c d"}),
        ("a = b  ", {"a": "b  "}),  # Java keeps trailing blanks of a value
        ("a", {"a": ""}),
        ("a=", {"a": ""}),
        ("a =   ", {"a": ""}),
    ],
)
def test_separators_comments_and_blank_values(text: str, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=one\\\n    two", {"a": "onetwo"}),
        ("a=one \\\n  two \\\n  three", {"a": "one two three"}),
        (
            "a=b\\\\\nc=d",
            {"a": "b\\", "c": "d"},
        ),  # two backslashes: an escaped one, no continuation
        ("a=b\\\\\\\n  c", {"a": "b\\c"}),  # three: an escaped one, then a continuation
        ("# comment \\\na=1", {"a": "1"}),  # a comment line never continues
        ("a=1\\\n# not a comment", {"a": "1# not a comment"}),
        ("a=1\\\n\nb=2", {"a": "1", "b": "2"}),  # an empty continuation line ends it
        ("a=1\\", {"a": "1"}),  # a continuation at the end of the text
    ],
)
def test_continuation_lines(text: str, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=tab\\there", {"a": "tab\there"}),
        ("a=\\n\\r\\f", {"a": "\n\r\f"}),
        ("a=back\\\\slash", {"a": "back\\slash"}),
        ("a=\\q\\=\\:\\ ", {"a": "q=: "}),  # an unknown escape is the character itself
        ("a=caf\\u00e9", {"a": "café"}),
        ("a=\\u00E9\\u00c9", {"a": "éÉ"}),
        ("a=\\ud83d\\ude00", {"a": "\U0001f600"}),  # a surrogate pair is one character
        ("my\\=key=v", {"my=key": "v"}),
        ("my\\ key=v", {"my key": "v"}),
        ("my\\:key:v", {"my:key": "v"}),
        ("\\u0041\\u0042=v", {"AB": "v"}),  # escapes work in keys too
        ("k\\tk=v", {"k\tk": "v"}),
    ],
)
def test_escapes_in_keys_and_values(text: str, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


def test_later_keys_win() -> None:
    assert parse_properties("a=1\nb=2\na=3\n") == {"a": "3", "b": "2"}


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_java_line_ending(newline: str) -> None:
    text = newline.join(["# c", "a=1", "b=2\\", "  3", ""])
    assert parse_properties(text) == {"a": "1", "b": "23"}


@pytest.mark.parametrize("character", ["\u2028", "\u2029", "\x85", "\x0b", "\x1c"])
def test_only_java_line_endings_end_a_line(character: str) -> None:
    # str.splitlines() would split at these; java.util.Properties keeps them inside a value.
    assert parse_properties(f"a=x{character}y\nb=2") == {"a": f"x{character}y", "b": "2"}


@pytest.mark.parametrize(
    ("text", "line"),
    [("=value", 1), ("a=1\n: value", 2), ("a=1\n\n# c\n  = x", 4), ("a=1\n\\\n", 2)],
)
def test_an_empty_key_is_refused_with_its_line(text: str, line: int) -> None:
    with pytest.raises(GlassKafkaError, match=rf"^server\.properties:{line}: .*needs a key"):
        parse_properties(text, source="server.properties")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a=\\u12", 1),
        ("a=1\nb=\\uXYZW", 2),
        ("a=\\u+041", 1),  # int(..., 16) would take a sign; Java does not
        ("a=\\u 041", 1),
        ("a=ok\\\n  \\u00g0", 1),  # reported at the first line of the logical line
        ("\\u004=v", 1),
    ],
)
def test_a_malformed_unicode_escape_is_refused(text: str, line: int) -> None:
    with pytest.raises(GlassKafkaError, match=rf"^f\.properties:{line}: malformed \\uXXXX"):
        parse_properties(text, source="f.properties")


@pytest.mark.parametrize("text", ["a=\\ud83d", "a=\\ude00x", "a=\\ude00\\ud83d"])
def test_half_a_surrogate_pair_is_refused(text: str) -> None:
    with pytest.raises(GlassKafkaError, match="half of a surrogate pair"):
        parse_properties(text)


# ---------------------------------------------------------------------------------------------
# Overrides (--override key=value)


def test_overrides_are_key_value_pairs_and_later_ones_win() -> None:
    items = [" log.dirs = /tmp/a ", "listeners=PLAINTEXT://:9092=x", "log.dirs=/tmp/b", "x="]
    assert parse_overrides(items) == {
        "log.dirs": "/tmp/b",
        "listeners": "PLAINTEXT://:9092=x",
        "x": "",
    }


@pytest.mark.parametrize("item", ["log.dirs", "", "=x", "   =x", "broker.id 1"])
def test_an_override_without_a_key_and_equals_sign_is_refused(item: str) -> None:
    with pytest.raises(GlassKafkaError, match=r"is not of the form key=value"):
        parse_overrides([item])


# ---------------------------------------------------------------------------------------------
# Kafka's defaults

# (config class, Kafka property, default) from Kafka 3.7's documentation tables.  None means
# "no default" (Kafka documents it as null).
KAFKA_DEFAULTS: list[tuple[type[Any], str, object]] = [
    (BrokerConfig, "broker.id", -1),
    (BrokerConfig, "listeners", "PLAINTEXT://:9092"),
    (BrokerConfig, "advertised.listeners", None),
    (BrokerConfig, "log.dirs", None),
    (BrokerConfig, "log.dir", "/tmp/kafka-logs"),
    (BrokerConfig, "zookeeper.connect", None),
    (BrokerConfig, "zookeeper.session.timeout.ms", 18000),  # KIP-537 raised it from 6000
    (BrokerConfig, "num.partitions", 1),
    (BrokerConfig, "default.replication.factor", 1),
    (BrokerConfig, "min.insync.replicas", 1),
    (BrokerConfig, "unclean.leader.election.enable", False),  # KIP-106 (Kafka 0.11)
    (BrokerConfig, "auto.create.topics.enable", True),
    (BrokerConfig, "replica.lag.time.max.ms", 30000),  # KIP-537 raised it from 10000
    (BrokerConfig, "replica.fetch.wait.max.ms", 500),
    (BrokerConfig, "replica.fetch.min.bytes", 1),
    (BrokerConfig, "replica.fetch.max.bytes", 1048576),
    (BrokerConfig, "offsets.topic.num.partitions", 50),
    (BrokerConfig, "offsets.topic.replication.factor", 3),
    (BrokerConfig, "group.initial.rebalance.delay.ms", 3000),
    (BrokerConfig, "group.min.session.timeout.ms", 6000),
    (BrokerConfig, "group.max.session.timeout.ms", 1800000),
    (BrokerConfig, "socket.request.max.bytes", 104857600),
    (BrokerConfig, "message.max.bytes", 1048588),
    (BrokerConfig, "log.segment.bytes", 1073741824),
    (BrokerConfig, "log.roll.ms", None),
    (BrokerConfig, "log.roll.hours", 168),
    (BrokerConfig, "log.retention.ms", None),
    (BrokerConfig, "log.retention.minutes", None),
    (BrokerConfig, "log.retention.hours", 168),
    (BrokerConfig, "log.retention.bytes", -1),
    (BrokerConfig, "log.retention.check.interval.ms", 300000),
    (BrokerConfig, "log.index.interval.bytes", 4096),
    (BrokerConfig, "log.index.size.max.bytes", 10485760),
    (BrokerConfig, "log.cleanup.policy", "delete"),
    (BrokerConfig, "log.cleaner.delete.retention.ms", 86400000),
    (BrokerConfig, "log.flush.interval.messages", 9223372036854775807),
    (BrokerConfig, "log.flush.interval.ms", None),
    (BrokerConfig, "log.message.timestamp.type", "CreateTime"),
    (TopicConfig, "cleanup.policy", "delete"),
    (TopicConfig, "segment.bytes", 1073741824),
    (TopicConfig, "segment.ms", 604800000),
    (TopicConfig, "segment.index.bytes", 10485760),
    (TopicConfig, "index.interval.bytes", 4096),
    (TopicConfig, "retention.ms", 604800000),
    (TopicConfig, "retention.bytes", -1),
    (TopicConfig, "delete.retention.ms", 86400000),
    (TopicConfig, "min.compaction.lag.ms", 0),
    (TopicConfig, "max.message.bytes", 1048588),
    (TopicConfig, "min.insync.replicas", 1),
    (TopicConfig, "unclean.leader.election.enable", False),
    (TopicConfig, "message.timestamp.type", "CreateTime"),
    (TopicConfig, "flush.messages", 9223372036854775807),
    # Kafka's config/zookeeper.properties, then ZooKeeper's Administrator's Guide (tickTime is
    # the guide's example; the session bounds default to 2 and 20 ticks).
    (CoordinationConfig, "dataDir", "/tmp/zookeeper"),
    (CoordinationConfig, "clientPort", 2181),
    (CoordinationConfig, "maxClientCnxns", 0),
    (CoordinationConfig, "admin.enableServer", False),
    (CoordinationConfig, "tickTime", 2000),
    (CoordinationConfig, "minSessionTimeout", 4000),
    (CoordinationConfig, "maxSessionTimeout", 40000),
]


@pytest.mark.parametrize(
    ("cls", "kafka_name", "default"),
    KAFKA_DEFAULTS,
    ids=[f"{cls.__name__}:{name}" for cls, name, _ in KAFKA_DEFAULTS],
)
def test_defaults_are_kafkas(cls: type[Any], kafka_name: str, default: object) -> None:
    field_name = property_names(cls)[kafka_name]
    assert getattr(cls(), field_name) == default


def test_the_defaults_table_covers_every_property() -> None:
    listed = {(cls, name) for cls, name, _ in KAFKA_DEFAULTS}
    known = {(cls, name) for cls in CONFIGS for name in property_names(cls)}
    assert listed == known


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda cls: cls.__name__)
def test_every_default_passes_its_own_validation(cls: type[Any]) -> None:
    # Spelling each default as a properties file would and reading it back gives the defaults:
    # no default lies outside its own range or choices.
    spelled = {}
    for field in dataclasses.fields(cls):
        value = field.default
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else value
        spelled[field.metadata["kafka"]] = str(text)
    assert config_from_properties(cls, spelled) == cls()


@pytest.mark.parametrize("cls", (BrokerConfig, TopicConfig), ids=lambda cls: cls.__name__)
def test_field_names_are_kafka_names_with_underscores(cls: type[Any]) -> None:
    for kafka_name, field_name in property_names(cls).items():
        assert field_name == kafka_name.replace(".", "_")


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda cls: cls.__name__)
def test_every_property_is_described(cls: type[Any]) -> None:
    for field in dataclasses.fields(cls):
        assert field.metadata["kafka"] and field.metadata["doc"].strip(), field.name


# ---------------------------------------------------------------------------------------------
# Building configs


def test_a_config_from_a_properties_file_and_overrides() -> None:
    text = "broker.id=2\nlog.dirs=/a, /b ,\nunclean.leader.election.enable=TRUE\nlog.roll.ms=\n"
    properties = parse_properties(text) | parse_overrides(["min.insync.replicas=2"])
    broker = config_from_properties(BrokerConfig, properties)
    assert broker.broker_id == 2
    assert broker.effective_log_dirs == ("/a", "/b")
    assert broker.unclean_leader_election_enable is True
    assert broker.log_roll_ms is None
    assert broker.min_insync_replicas == 2
    assert broker.num_partitions == 1  # untouched properties keep Kafka's defaults


@pytest.mark.parametrize(
    ("raw", "expected"), [("7", 7), (" 7 ", 7), ("+7", 7), ("007", 7), ("-1", -1)]
)
def test_integers_are_read_as_java_reads_them(raw: str, expected: int) -> None:
    assert config_from_properties(BrokerConfig, {"broker.id": raw}).broker_id == expected


@pytest.mark.parametrize("raw", ["null", "NULL", "none", ""])
def test_an_optional_property_can_be_unset(raw: str) -> None:
    config = config_from_properties(BrokerConfig, {"log.retention.ms": raw})
    assert config.log_retention_ms is None


def test_log_dir_is_used_only_without_log_dirs() -> None:
    assert BrokerConfig().effective_log_dirs == ("/tmp/kafka-logs",)
    assert BrokerConfig(log_dir="/x", log_dirs="/y,/z").effective_log_dirs == ("/y", "/z")


@pytest.mark.parametrize(
    ("properties", "retention_ms"),
    [
        ({}, 168 * 3_600_000),
        ({"log.retention.hours": "1"}, 3_600_000),
        ({"log.retention.hours": "1", "log.retention.minutes": "5"}, 300_000),
        ({"log.retention.minutes": "5", "log.retention.ms": "1234"}, 1234),
        ({"log.retention.hours": "1", "log.retention.ms": "0"}, 0),
        ({"log.retention.ms": "-1", "log.retention.hours": "1"}, -1),
        ({"log.retention.hours": "-1"}, -1),  # any negative means "keep forever"
        ({"log.retention.minutes": "-3"}, -1),
        ({"log.retention.ms": "-5"}, -1),
    ],
)
def test_retention_precedence_ms_then_minutes_then_hours(
    properties: dict[str, str], retention_ms: int
) -> None:
    broker = config_from_properties(BrokerConfig, properties)
    assert broker.effective_retention_ms == retention_ms
    assert TopicConfig.from_broker(broker).retention_ms == retention_ms


@pytest.mark.parametrize(
    ("properties", "roll_ms"),
    [
        ({}, 168 * 3_600_000),
        ({"log.roll.hours": "2"}, 7_200_000),
        ({"log.roll.hours": "2", "log.roll.ms": "60000"}, 60_000),
    ],
)
def test_roll_precedence_ms_then_hours(properties: dict[str, str], roll_ms: int) -> None:
    broker = config_from_properties(BrokerConfig, properties)
    assert broker.effective_roll_ms == roll_ms
    assert TopicConfig.from_broker(broker).segment_ms == roll_ms


def test_a_topic_inherits_the_brokers_log_defaults() -> None:
    broker = config_from_properties(
        BrokerConfig,
        {
            "log.segment.bytes": "1048576",
            "log.index.interval.bytes": "100",
            "log.index.size.max.bytes": "4096",
            "log.retention.bytes": "5000",
            "log.cleanup.policy": "compact",
            "log.cleaner.delete.retention.ms": "10",
            "message.max.bytes": "2000",
            "min.insync.replicas": "2",
            "unclean.leader.election.enable": "true",
            "log.message.timestamp.type": "LogAppendTime",
            "log.flush.interval.messages": "1",
        },
    )
    topic = TopicConfig.from_broker(broker)
    assert topic == TopicConfig(
        segment_bytes=1048576,
        index_interval_bytes=100,
        segment_index_bytes=4096,
        retention_bytes=5000,
        cleanup_policy="compact",
        delete_retention_ms=10,
        max_message_bytes=2000,
        min_insync_replicas=2,
        unclean_leader_election_enable=True,
        message_timestamp_type="LogAppendTime",
        flush_messages=1,
    )
    assert topic.compact and not topic.delete


def test_a_topics_own_settings_win_over_the_brokers() -> None:
    broker = config_from_properties(BrokerConfig, {"min.insync.replicas": "2"})
    topic = TopicConfig.from_broker(
        broker, {"min.insync.replicas": "3", "cleanup.policy": "compact,delete"}
    )
    assert topic.min_insync_replicas == 3
    assert topic.compact and topic.delete
    assert TopicConfig.from_broker(BrokerConfig()) == TopicConfig()


def test_a_topic_override_is_checked_like_any_property() -> None:
    with pytest.raises(GlassKafkaError, match=r"unknown property 'log\.segment\.bytes' for Topic"):
        TopicConfig.from_broker(BrokerConfig(), {"log.segment.bytes": "100"})
    with pytest.raises(GlassKafkaError, match=r"'retention\.ms' has value '-2'; allowed: an int"):
        TopicConfig.from_broker(BrokerConfig(), {"retention.ms": "-2"})


# ---------------------------------------------------------------------------------------------
# Hostile input: every problem is a GlassKafkaError naming the key, the value and what is allowed


def test_an_unknown_key_is_refused_with_suggestions() -> None:
    with pytest.raises(GlassKafkaError) as caught:
        config_from_properties(BrokerConfig, {"min.insync.replica": "2"})
    assert str(caught.value) == (
        "unknown property 'min.insync.replica' for BrokerConfig; did you mean min.insync.replicas?"
    )


def test_an_unknown_key_without_a_near_name_gets_no_suggestion() -> None:
    with pytest.raises(GlassKafkaError) as caught:
        config_from_properties(TopicConfig, {"zzzz": "1"})
    assert str(caught.value) == "unknown property 'zzzz' for TopicConfig"


@pytest.mark.parametrize(
    ("cls", "key", "raw", "allowed"),
    [
        (BrokerConfig, "broker.id", "abc", "an integer"),
        (BrokerConfig, "broker.id", "1.5", "an integer"),
        (BrokerConfig, "broker.id", "0x10", "an integer"),
        (BrokerConfig, "broker.id", "1_000", "an integer"),  # Python's int() would take it
        (BrokerConfig, "broker.id", "\u0663", "an integer"),  # an Arabic-Indic digit three
        (BrokerConfig, "broker.id", "", "an integer"),
        (BrokerConfig, "broker.id", "--1", "an integer"),
        (BrokerConfig, "broker.id", "-2", "an integer >= -1 and <= 2147483647"),
        (BrokerConfig, "num.partitions", "0", "an integer >= 1 and <= 2147483647"),
        (BrokerConfig, "log.segment.bytes", "13", "an integer >= 14 and <= 2147483647"),
        (BrokerConfig, "log.segment.bytes", "2147483648", "an integer >= 14 and <= 2147483647"),
        (TopicConfig, "segment.bytes", str(2**32), "an integer >= 14 and <= 2147483647"),
        (BrokerConfig, "offsets.topic.replication.factor", "32768", "an integer >= 1 and <="),
        (CoordinationConfig, "clientPort", "65536", "an integer >= 0 and <= 65535"),
        (BrokerConfig, "log.retention.bytes", str(2**63), "a 64-bit integer"),
        (BrokerConfig, "log.retention.bytes", str(2**64), "a 64-bit integer"),
        (BrokerConfig, "log.retention.bytes", str(-(2**63) - 1), "a 64-bit integer"),
        (BrokerConfig, "log.retention.bytes", "9" * 5000, "a 64-bit integer"),
        (BrokerConfig, "unclean.leader.election.enable", "yes", "true or false"),
        (BrokerConfig, "unclean.leader.election.enable", "1", "true or false"),
        (BrokerConfig, "log.cleanup.policy", "compact, delete", "delete, compact, compact,delete"),
        (TopicConfig, "message.timestamp.type", "createtime", "CreateTime, LogAppendTime"),
    ],
)
def test_a_bad_value_is_refused_naming_key_value_and_what_is_allowed(
    cls: type[Any], key: str, raw: str, allowed: str
) -> None:
    with pytest.raises(GlassKafkaError) as caught:
        config_from_properties(cls, {key: raw})
    message = str(caught.value)
    assert message.startswith(f"property {key!r} has value {raw!r}; allowed: {allowed}")


def test_the_largest_64_bit_values_are_accepted() -> None:
    largest, smallest = str(2**63 - 1), str(-(2**63))
    config = config_from_properties(BrokerConfig, {"log.retention.bytes": largest})
    assert config.log_retention_bytes == 2**63 - 1
    config = config_from_properties(BrokerConfig, {"log.retention.bytes": smallest})
    assert config.log_retention_bytes == -(2**63)


def test_nothing_is_half_applied() -> None:
    # The first key is good, the second bad: no config object comes out at all.
    properties = {"broker.id": "5", "num.partitions": "zero"}
    with pytest.raises(GlassKafkaError, match=r"num\.partitions"):
        config_from_properties(BrokerConfig, properties)
    assert properties == {"broker.id": "5", "num.partitions": "zero"}  # the input is untouched


_KEYS = sorted({name for cls in CONFIGS for name in property_names(cls)})


@given(st.text())
def test_arbitrary_text_never_raises_anything_but_glasskafka_error(text: str) -> None:
    for cls in CONFIGS:
        try:
            config = config_from_properties(cls, parse_properties(text))
        except GlassKafkaError as error:
            assert str(error), "every refusal says what was wrong"
        else:
            assert isinstance(config, cls)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(_KEYS) | st.text(max_size=12),
            st.sampled_from(["=", ":", " ", " = ", "\t"]),
            st.text(max_size=25)
            | st.integers().map(str)
            | st.sampled_from(["true", "FALSE", "null", "compact,delete", "\\u00e9", "\\"]),
        ),
        max_size=8,
    )
)
def test_property_shaped_text_never_raises_anything_but_glasskafka_error(
    lines: list[tuple[str, str, str]],
) -> None:
    # Known keys with arbitrary values reach the conversion code, not only the unknown-key check.
    text = "\n".join(key + separator + value for key, separator, value in lines)
    for cls in CONFIGS:
        try:
            config = config_from_properties(cls, parse_properties(text))
        except GlassKafkaError as error:
            assert str(error), "every refusal says what was wrong"
        else:
            assert isinstance(config, cls)


@given(st.lists(st.text(max_size=30), max_size=5))
def test_arbitrary_overrides_never_raise_anything_but_glasskafka_error(items: list[str]) -> None:
    try:
        overrides = parse_overrides(items)
    except GlassKafkaError:
        return
    assert all(key == key.strip() and key for key in overrides)
