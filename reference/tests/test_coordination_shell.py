"""The zk-shell: zkCli.sh's lines in, zkCli.sh's lines out, against an in-process server.

The transcripts on ``docs/concepts/coordination.md`` are replayed here command by command and
compared line by line, so the page cannot drift from what the shell prints.  The other tests pin
down parsing (quotes, option placement, flag groups), each output format, and the answers to
malformed and hostile lines.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from glasskafka.coordination import (
    ClientState,
    CoordinationClient,
    CoordinationServer,
    EventType,
    KeeperErrorCode,
    KeeperState,
    SessionId,
    Shell,
    ShellStep,
    Stat,
    WatchEvent,
    Zxid,
)
from glasskafka.coordination.shell import (
    CreateCommand,
    DeleteCommand,
    GetCommand,
    HelpCommand,
    LsCommand,
    QuitCommand,
    SetCommand,
    StatCommand,
    UsageError,
    parse_line,
    split_line,
    usage_lines,
)
from glasskafka.coordination.shell_output import (
    format_children,
    format_data,
    format_error,
    format_hex,
    format_stat,
    format_time,
    format_watch_event,
)
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Send
from hypothesis import given
from hypothesis import strategies as st

ZK, ME = NodeId("zk"), NodeId("zk-shell")
DOCS_PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts" / "coordination.md"
START_MS = 1_716_192_000_000  # Mon May 20 08:00:00 UTC 2024
STEP_MS = 1_000


class Session:
    """A shell wired straight to a server: every message is delivered at once."""

    def __init__(self, *, start_ms: int = START_MS) -> None:
        self.now = start_ms
        self.server = CoordinationServer()
        self.server.on_start(Millis(start_ms))
        self.shell = Shell(client=CoordinationClient(server=ZK, session_timeout_ms=30000))
        self.printed = self.pump(self.shell.start(Millis(self.now)))

    def pump(self, step: ShellStep) -> list[str]:
        printed = list(step.lines)
        queue = [o.message for o in step.outputs if isinstance(o, Send)]
        while queue:
            for output in self.server.on_message(ME, queue.pop(0), Millis(self.now)):
                if isinstance(output, Send):
                    answer = self.shell.on_message(output.message, Millis(self.now))
                    printed += answer.lines
                    queue += [o.message for o in answer.outputs if isinstance(o, Send)]
            self.server.check_invariants()
        return printed

    def run(self, line: str) -> list[str]:
        self.now += STEP_MS
        prompt = self.shell.prompt()
        printed = self.pump(self.shell.on_line(line, Millis(self.now)))
        assert not self.shell.busy, f"{line!r} is still waiting for an answer"
        self.printed += [prompt + line, *printed]
        return printed


def documented_transcripts() -> dict[str, list[str]]:
    """The ``text`` blocks after ``% zk-shell transcript: <name>`` on the concepts page."""
    text = DOCS_PAGE.read_text(encoding="utf-8")
    found = re.findall(r"% zk-shell transcript: (\w+)\n```text\n(.*?)\n```", text, re.DOTALL)
    return {name: block.split("\n") for name, block in found}


@pytest.mark.parametrize("name", ["course", "tour"])
def test_the_documented_transcripts_are_what_the_shell_prints(name: str) -> None:
    expected = documented_transcripts()[name]
    commands = [line.split("] ", 1)[1] for line in expected if line.startswith("[zk: ")]
    session = Session()
    for command in commands:
        session.run(command)
    assert session.printed == expected


def test_the_course_session_prints_zkclis_lines() -> None:
    session = Session()
    assert session.run("ls /") == ["[zookeeper]"]
    assert session.run("create /zk_test my_data") == ["Created /zk_test"]
    assert session.run("get /zk_test") == ["my_data"]
    assert session.run("set /zk_test junk") == []
    assert session.run("delete /zk_test") == []
    assert session.run("ls /") == ["[zookeeper]"]


def test_the_prompt_counts_commands_and_shows_the_connection_state() -> None:
    session = Session()
    assert session.shell.prompt() == "[zk: 127.0.0.1:2181(CONNECTED) 0] "
    session.run("ls /")
    session.run("")  # an empty line is not a command
    session.run("bogus")
    assert session.shell.prompt() == "[zk: 127.0.0.1:2181(CONNECTED) 2] "


def test_quit_closes_the_session_and_removes_its_ephemerals() -> None:
    session = Session()
    session.run("create -e /mine x")
    assert session.run("quit") == []
    assert session.shell.finished and session.shell.client.state is ClientState.CLOSED
    assert session.server.znode("/mine") is None and session.server.live_sessions() == []
    assert session.run("ls /") == ["Not connected"]


def test_a_watch_fired_by_another_client_is_printed_when_it_arrives() -> None:
    session = Session()
    session.run("create /shared v1")
    session.run("stat -w /shared")
    event = WatchEvent(type=EventType.NodeDeleted, state=KeeperState.SyncConnected, path="/shared")
    assert session.shell.on_message(event, Millis(0)).lines == (
        "",
        "WATCHER::",
        "",
        "WatchedEvent state:SyncConnected type:NodeDeleted path:/shared",
    )


def test_losing_the_connection_is_printed_as_zkcli_prints_it() -> None:
    session = Session()
    lost = session.shell.on_connection_lost(Millis(session.now))
    assert lost.lines[-1] == "WatchedEvent state:Disconnected type:None path:null"
    assert session.shell.prompt().startswith("[zk: 127.0.0.1:2181(CONNECTING) ")


# ---------------------------------------------------------------------------------------------
# Parsing


def test_lines_split_on_white_space_keeping_quoted_words() -> None:
    assert split_line('  create  /a "hello world"  ') == ["create", "/a", "hello world"]
    assert split_line("set /a 'it is'") == ["set", "/a", "it is"]
    assert split_line('create /a "unterminated') == ["create", "/a", "unterminated"]
    assert split_line("   ") == []


def test_options_may_come_anywhere_and_flags_may_be_grouped() -> None:
    assert parse_line("ls -s -w /a") == LsCommand(path="/a", watch=True, with_stat=True)
    assert parse_line("ls /a -w") == LsCommand(path="/a", watch=True, with_stat=False)
    assert parse_line("create -es /q/ x") == CreateCommand(
        path="/q/", data=b"x", ephemeral=True, sequential=True
    )
    assert parse_line("set -v 3 /a b") == SetCommand(
        path="/a", data=b"b", version=3, with_stat=False
    )
    assert parse_line("set -v3 -s /a b") == SetCommand(
        path="/a", data=b"b", version=3, with_stat=True
    )
    assert parse_line("delete -v -1 /a") == DeleteCommand(path="/a", version=-1)
    assert parse_line("get -- /a") == GetCommand(path="/a", watch=False, with_stat=False)
    assert parse_line("stat -w /a") == StatCommand(path="/a", watch=True)
    assert parse_line("create /a") == CreateCommand(
        path="/a", data=b"", ephemeral=False, sequential=False
    )
    assert parse_line("quit") == QuitCommand()
    assert parse_line("help") == HelpCommand()
    assert parse_line("") is None


@pytest.mark.parametrize(
    ("line", "printed"),
    [
        ("ls", "ls [-s] [-w] path"),
        ("ls /a /b", "ls [-s] [-w] path"),
        ("create", "create [-s] [-e] path [data]"),
        ("create /a b c", "create [-s] [-e] path [data]"),
        ("get", "get [-s] [-w] path"),
        ("set /a", "set [-s] [-v version] path data"),
        ("delete", "delete [-v version] path"),
        ("stat", "stat [-w] path"),
        ("quit now", "quit"),
        ("ls -x /a", "Unrecognized option: -x"),
        ("create -c /a", "Unrecognized option: -c"),
        ("set /a -1", "Unrecognized option: -1"),
        ("delete /a -v", "Missing argument for option: v"),
        ("delete -v abc /a", "-v argument must be an int value: abc"),
        ("set -v 99999999999 /a b", "-v argument must be an int value: 99999999999"),
        ("delete -v ١ /a", "-v argument must be an int value: ١"),
        ("ls zk_test", "Path must start with / character"),
        ("ls /a/", "Path must not end with / character"),
        ("get /a//b", 'Invalid path string "/a//b" caused by empty node name specified @3'),
        ("get /a/./b", 'Invalid path string "/a/./b" caused by relative paths not allowed @3'),
        ("get /a/..", 'Invalid path string "/a/.." caused by relative paths not allowed @4'),
        ("get /a\x00", 'Invalid path string "/a\x00" caused by null character not allowed @2'),
        ("get /a\x1b[2J", 'Invalid path string "/a\x1b[2J" caused by invalid character @2'),
        ("create -s /a//", 'Invalid path string "/a//1" caused by empty node name specified @3'),
        ("ls ''", "Path length must be > 0"),
    ],
)
def test_malformed_lines_get_zkclis_answers(line: str, printed: str) -> None:
    assert parse_line(line) == UsageError(lines=(printed,))
    session = Session()
    assert session.run(line) == [printed]
    assert session.server.paths() == ["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"]


def test_an_unknown_command_prints_the_command_list() -> None:
    assert parse_line("rmr /a") == UsageError(
        lines=(*usage_lines(), "Command not found: Command not found rmr")
    )
    assert usage_lines() == (
        "ZooKeeper -server host:port cmd args",
        "\tcreate [-s] [-e] path [data]",
        "\tdelete [-v version] path",
        "\tget [-s] [-w] path",
        "\tls [-s] [-w] path",
        "\tquit ",
        "\tset [-s] [-v version] path data",
        "\tstat [-w] path",
    )
    assert Session().run("help") == list(usage_lines())


def test_hostile_data_is_stored_as_given_and_never_crashes_the_shell() -> None:
    session = Session()
    assert session.run("create /a \udcff\ud800") == ["Created /a"]
    assert session.server.znode("/a") is not None
    assert session.run("get /a") == ["\ufffd" * 6]  # each undecodable byte replaced
    long_line = "create /b " + "x" * 2_000_000
    assert session.run(long_line) == ["Arguments are not valid : /b"]  # over jute.maxbuffer
    assert session.server.znode("/b") is None


# ---------------------------------------------------------------------------------------------
# Output formats


def test_times_print_as_javas_date_to_string_in_utc() -> None:
    assert format_time(0) == "Thu Jan 01 00:00:00 UTC 1970"
    assert format_time(START_MS + 5_999) == "Mon May 20 08:00:05 UTC 2024"
    assert format_time(-1) == "Wed Dec 31 23:59:59 UTC 1969"
    assert format_time(10**18) == f"{10**18} ms since the epoch"


def test_hex_is_javas_long_to_hex_string() -> None:
    assert format_hex(0) == "0x0"
    assert format_hex(0x100000000000001) == "0x100000000000001"
    assert format_hex(-1) == "0xffffffffffffffff"


def test_the_stat_block_has_zkclis_eleven_lines() -> None:
    stat = Stat(
        czxid=Zxid(2),
        mzxid=Zxid(3),
        ctime_ms=Millis(0),
        mtime_ms=Millis(1000),
        version=1,
        cversion=4,
        aversion=0,
        ephemeral_owner=SessionId(0x100000000000000),
        data_length=7,
        num_children=2,
        pzxid=Zxid(5),
    )
    assert format_stat(stat) == [
        "cZxid = 0x2",
        "ctime = Thu Jan 01 00:00:00 UTC 1970",
        "mZxid = 0x3",
        "mtime = Thu Jan 01 00:00:01 UTC 1970",
        "pZxid = 0x5",
        "cversion = 4",
        "dataVersion = 1",
        "aclVersion = 0",
        "ephemeralOwner = 0x100000000000000",
        "dataLength = 7",
        "numChildren = 2",
    ]


def test_children_data_errors_and_events_print_as_zkcli_prints_them() -> None:
    assert format_children(("b", "a")) == "[a, b]"
    assert format_children(()) == "[]"
    assert format_data(b"") == "null"
    assert format_data("héllo".encode()) == "héllo"
    assert format_error(KeeperErrorCode.NONODE, "/x") == "Node does not exist: /x"
    assert format_error(KeeperErrorCode.NODEEXISTS, "/x") == "Node already exists: /x"
    assert format_error(KeeperErrorCode.BADVERSION, "/x") == "version No is not valid : /x"
    assert format_error(KeeperErrorCode.NOTEMPTY, "/x") == "Node not empty: /x"
    assert format_error(KeeperErrorCode.CONNECTIONLOSS, "/x") == (
        "KeeperErrorCode = ConnectionLoss for /x"
    )
    assert format_error(KeeperErrorCode.SESSIONEXPIRED, "/x") == (
        "KeeperErrorCode = Session expired for /x"
    )
    expired = WatchEvent(type=EventType.None_, state=KeeperState.Expired, path="")
    assert format_watch_event(expired)[-1] == "WatchedEvent state:Expired type:None path:null"


def test_error_codes_keep_zookeepers_numbers_and_texts() -> None:
    numbers = {code.name: int(code) for code in KeeperErrorCode}
    assert numbers["NONODE"] == -101 and numbers["NODEEXISTS"] == -110
    assert numbers["BADVERSION"] == -103 and numbers["NOTEMPTY"] == -111
    assert numbers["NOCHILDRENFOREPHEMERALS"] == -108 and numbers["BADARGUMENTS"] == -8
    assert numbers["SESSIONEXPIRED"] == -112 and numbers["CONNECTIONLOSS"] == -4
    assert KeeperErrorCode.UNKNOWNSESSION.message == "Unknown error UNKNOWNSESSION"
    assert repr(KeeperErrorCode.NONODE) == "KeeperErrorCode.NONODE"
    assert [int(t) for t in EventType] == [-1, 1, 2, 3, 4]
    assert (int(KeeperState.SyncConnected), int(KeeperState.Expired)) == (3, -112)


@given(line=st.text(max_size=80))
def test_any_line_gets_an_answer_and_never_a_crash(line: str) -> None:
    session = Session()
    printed = session.run(line)
    assert isinstance(printed, list) and all(isinstance(text, str) for text in printed)
    assert not session.shell.busy
