"""The history format: every operation round-trips, and every malformed file gets a clear error.

The parser is the input surface of ``glasskafka check-history``, so it is tested the way hostile
input is: bad JSON, missing and unknown fields, wrong types, huge numbers, deep nesting, binary
garbage, a torn last line.  Each must raise ``HistoryFormatError`` naming the line (and the field
where there is one), never another exception.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from glasskafka.errors import GlassKafkaError
from glasskafka.history import (
    Assign,
    Commit,
    CommitMode,
    Committed,
    Crash,
    Delivery,
    History,
    HistoryFormatError,
    HistoryRecorder,
    Operation,
    Outcome,
    PartitionOffset,
    Poll,
    Process,
    Rebalance,
    RebalanceEvent,
    Record,
    Restart,
    Send,
    Subscribe,
    format_history,
    format_operation,
    parse_history,
    parse_line,
    read_history,
)
from glasskafka.ids import Offset, PartitionId, TopicName
from hypothesis import given
from hypothesis import strategies as st
from tests.test_history_examples import EXAMPLES, Book

# -- round trips -------------------------------------------------------------------------------

topics = st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True).filter(
    lambda t: t not in {".", ".."}
)
partitions = st.integers(0, 2**31 - 1).map(PartitionId)
offsets = st.integers(0, 2**63 - 1).map(Offset)
data = st.one_of(st.text(max_size=8), st.integers(-(2**63), 2**63 - 1))
header = {
    "process": st.integers(0, 2**63 - 1),
    "client": st.text(min_size=1, max_size=8),
    "index": st.integers(0, 2**63 - 1),
    "time_ms": st.none() | st.integers(0, 2**63 - 1),
}
records = st.builds(
    Record,
    topic=topics.map(TopicName),
    partition=partitions,
    offset=offsets,
    key=st.none() | data,
    value=data,
)
partition_offsets = st.builds(
    PartitionOffset, topic=topics.map(TopicName), partition=partitions, offset=offsets
)
topic_partitions = st.tuples(topics.map(TopicName), partitions)
errors = st.none() | st.sampled_from(["NOT_LEADER_OR_FOLLOWER", "REBALANCE_IN_PROGRESS"])


def _send(outcome: Outcome) -> st.SearchStrategy[Send]:
    ok = outcome is Outcome.OK
    return st.builds(
        Send,
        **header,
        topic=topics.map(TopicName),
        partition=partitions if ok else st.none() | partitions,
        key=st.none() | data,
        value=data,
        outcome=st.just(outcome),
        offset=offsets if ok else st.none() | offsets,
        error=errors,
    )


operations: st.SearchStrategy[Operation] = st.one_of(
    *(_send(outcome) for outcome in Outcome),
    st.builds(
        Poll, **header, outcome=st.sampled_from(Outcome), records=st.tuples(records), error=errors
    ),
    st.builds(Process, **header, records=st.lists(records, max_size=3).map(tuple)),
    st.builds(
        Commit,
        **header,
        group=st.text(min_size=1, max_size=5),
        mode=st.sampled_from(CommitMode),
        offsets=st.lists(partition_offsets, max_size=3).map(tuple),
        outcome=st.sampled_from(Outcome),
        error=errors,
    ),
    st.builds(
        Committed,
        **header,
        group=st.text(min_size=1, max_size=5),
        offsets=st.lists(partition_offsets, max_size=3).map(tuple),
    ),
    st.builds(
        Assign,
        **header,
        partitions=st.lists(topic_partitions, max_size=3).map(tuple),
        outcome=st.sampled_from(Outcome),
        seek_to_beginning=st.booleans(),
    ),
    st.builds(
        Subscribe,
        **header,
        group=st.text(min_size=1, max_size=5),
        topics=st.lists(topics.map(TopicName), max_size=3).map(tuple),
        outcome=st.sampled_from(Outcome),
        delivery=st.sampled_from(Delivery),
    ),
    st.builds(
        Rebalance,
        **header,
        group=st.text(min_size=1, max_size=5),
        event=st.sampled_from(RebalanceEvent),
        partitions=st.lists(topic_partitions, max_size=3).map(tuple),
        generation=st.none() | st.integers(0, 2**31 - 1),
    ),
    st.builds(Crash, **header),
    st.builds(Restart, **header),
)


@given(operations)
def test_every_operation_survives_format_and_parse(op: Operation) -> None:
    line = format_operation(op)
    assert "\n" not in line
    assert parse_line(line, 1) == op


def test_a_history_survives_format_and_parse() -> None:
    for book, _ in EXAMPLES.values():
        history = parse_history(book.text())
        assert parse_history(format_history(history)) == history


def test_lines_count_blank_lines_and_crlf() -> None:
    text = Book().send(0, "a", offset=0).text().replace("\n", "\r\n")
    history = parse_history("\n" + text + "\n   \n")
    assert history.lines == (2,)
    assert isinstance(history.operations[0], Send)


def test_the_recorder_numbers_lines_and_stamps_the_clock() -> None:
    stream = io.StringIO()
    now = iter([5, 7])
    recorder = HistoryRecorder(stream, clock=lambda: next(now))
    first = recorder.write(Crash(process=1, client="c", index=99))
    recorder.write(Restart(process=1, client="c"))
    assert (first.index, first.time_ms, recorder.next_index) == (0, 5, 2)
    history = parse_history(stream.getvalue())
    assert [(op.index, op.time_ms) for op in history.operations] == [(0, 5), (1, 7)]


# -- malformed lines ---------------------------------------------------------------------------

SEND: dict[str, Any] = {
    "op": "send",
    "process": 0,
    "client": "p",
    "index": 0,
    "topic": "t",
    "partition": 0,
    "key": None,
    "value": "a",
    "outcome": "ok",
    "offset": 0,
}


def _error(text: str | bytes) -> HistoryFormatError:
    with pytest.raises(HistoryFormatError) as caught:
        parse_history(text)
    return caught.value


def _line(**changes: Any) -> str:
    fields = {k: v for k, v in (SEND | changes).items() if v is not ...}
    return json.dumps(fields) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "field", "says"),
    [
        ("{not json}\n", 1, None, "not valid JSON"),
        ("[1, 2]\n", 1, None, "expected a JSON object"),
        (_line(op="sned"), 1, "op", 'unknown operation "sned"; known: send, poll'),
        (_line(op=...), 1, "op", "is missing"),
        (_line(value=...), 1, "value", "is missing"),
        (_line(offset=...), 1, "offset", "is missing"),
        (
            _line(offset="7"),
            1,
            "offset",
            'expected an integer from 0 to 9223372036854775807, got "7"',
        ),
        (_line(offset=-1), 1, "offset", "got -1"),
        (_line(offset=2**63), 1, "offset", "got 9223372036854775808"),
        (_line(offset=1.0), 1, "offset", "got 1.0"),
        (_line(offset=True), 1, "offset", "got true"),
        (_line(partition=2**31), 1, "partition", "expected an integer from 0 to 2147483647"),
        (_line(value=None), 1, "value", "expected a string or an int64 integer, got null"),
        (_line(value=2**64), 1, "value", "expected a string or an int64 integer"),
        (_line(value=[1]), 1, "value", "got [1]"),
        (_line(key={"a": 1}), 1, "key", 'or null, got {"a": 1}'),
        (_line(topic="a/b"), 1, "topic", "expected a Kafka topic name"),
        (_line(topic=".."), 1, "topic", "expected a Kafka topic name"),
        (_line(topic="x" * 250), 1, "topic", "expected a Kafka topic name"),
        (_line(outcome="maybe"), 1, "outcome", "expected one of 'ok', 'error', 'unknown'"),
        (_line(client=""), 1, "client", "expected a non-empty string"),
        (_line(index=..., time_ms=...), 1, None, "needs 'index' or 'time_ms'"),
        (_line(colour="red"), 1, "colour", "is not a field here; allowed: client,"),
        ('{"op": "send", "op": "poll"}\n', 1, None, "field 'op' appears twice"),
        ('{"op": "crash", "process": NaN}\n', 1, None, "NaN is not a JSON number"),
        ("{}\n" * 0 + _line() + "\n{\n", 3, None, "not valid JSON"),
    ],
)
def test_malformed_lines_name_the_line_and_field(
    text: str, line: int, field: str | None, says: str
) -> None:
    error = _error(text)
    assert (error.line, error.field) == (line, field)
    assert says in str(error)
    assert str(error).startswith(f"line {line}")


def test_nested_fields_are_named_by_their_path() -> None:
    poll = {"op": "poll", "process": 1, "client": "c", "index": 0, "outcome": "ok"}
    bad_record = {"topic": "t", "partition": 0, "offset": "x", "value": "a"}
    error = _error(json.dumps(poll | {"records": [bad_record]}) + "\n")
    assert error.field == "records[0].offset"
    error = _error(json.dumps(poll | {"records": [7]}) + "\n")
    assert (error.field, error.detail) == ("records[0]", "expected an object, got 7")
    error = _error(json.dumps(poll | {"records": "all"}) + "\n")
    assert error.detail == 'expected a list of objects, got "all"'


# -- hostile files -----------------------------------------------------------------------------


def test_binary_garbage_is_not_utf8() -> None:
    error = _error(b"\x00\xff\xfe garbage \x80\n")
    assert error.line == 1 and "not UTF-8 text (byte 0xff, the line's byte 2)" in str(error)
    error = _error("\ud800\n")  # a lone surrogate in a str
    assert error.line == 1 and "not UTF-8 text" in str(error)


def test_a_value_nested_near_the_recursion_limit_is_refused_cleanly() -> None:
    for depth in range(900, 1000, 7):
        text = '{"op": ' + "[" * depth + "]" * depth + "}\n"
        error = _error(text)
        assert error.line == 1 and ("unknown operation" in str(error) or "deeply" in str(error))


def test_a_huge_number_is_refused_not_parsed() -> None:
    error = _error('{"op": "crash", "process": 1' + "0" * 5000 + ', "client": "c", "index": 0}\n')
    assert error.line == 1 and "not valid JSON" in str(error)


def test_deep_json_is_refused() -> None:
    error = _error("[" * 100_000 + "]" * 100_000 + "\n")
    assert (error.line, error.detail) == (1, "JSON nested too deeply")


def test_an_empty_file_is_an_empty_history() -> None:
    assert parse_history(b"") == History(operations=(), lines=())


def test_a_truncated_last_line_says_the_file_may_be_cut_short() -> None:
    text = _line() + _line(index=1, value="b")[:30]
    error = _error(text)
    assert error.line == 2
    assert "was it cut short?" in str(error)
    # The same damage in the middle of a file is just bad JSON.
    error = _error(_line()[:30] + "\n" + _line(index=1, value="b"))
    assert error.line == 1 and "cut short" not in str(error)


def test_read_history_names_the_file(tmp_path: Any) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text("oops\n", encoding="utf-8")
    with pytest.raises(HistoryFormatError, match=r"h\.jsonl: line 1: not valid JSON"):
        read_history(path)
    with pytest.raises(GlassKafkaError, match=r"cannot read history file .*missing"):
        read_history(tmp_path / "missing")
    with pytest.raises(GlassKafkaError, match="cannot read history file"):
        read_history(tmp_path)


# -- rules across lines ------------------------------------------------------------------------


def test_index_must_rise_and_time_must_not_fall() -> None:
    error = _error(_line(index=5) + _line(index=5, value="b"))
    assert (error.line, error.field) == (2, "index")
    assert "index 5 does not rise above 5 (line 1)" in str(error)
    text = _line(index=..., time_ms=10) + _line(index=..., time_ms=9, value="b")
    error = _error(text)
    assert (error.line, error.field) == (2, "time_ms")
    assert parse_history(_line(index=..., time_ms=3) + _line(index=..., time_ms=3, value="b"))


def test_a_crashed_process_must_restart_first() -> None:
    book = Book().crash(1).poll(1)
    error = _error(book.text())
    assert (error.line, error.field) == (2, "process")
    assert "process 1 crashed at line 1 and has not restarted" in str(error)
    assert parse_history(Book().crash(1).restart(1).poll(1).text())


def test_a_value_sent_twice_is_refused() -> None:
    error = _error(Book().send(0, "a", offset=0).send(1, "a", outcome="unknown").text())
    assert (error.line, error.field) == (2, "value")
    assert "already sent at line 1" in str(error)
    # The same value in another topic, or with another key, is another record.
    other = _line(index=1, topic="u") + _line(index=2, key="k") + _line(index=3, value=1)
    assert len(parse_history(_line() + other).operations) == 4


def test_a_group_declares_one_delivery_guarantee() -> None:
    book = Book().subscribe(1).subscribe(2, delivery="at-most-once")
    error = _error(book.text())
    assert (error.line, error.field) == (2, "delivery")
    assert "declared 'at-most-once' here but 'at-least-once' at line 1" in str(error)


def test_an_ok_send_needs_its_partition_and_offset() -> None:
    assert _error(_line(partition=None)).field == "partition"
    assert _error(_line(offset=None)).field == "offset"
    history = parse_history(_line(outcome="unknown", partition=..., offset=...))
    (send,) = history.operations
    assert isinstance(send, Send) and (send.partition, send.offset) == (None, None)
