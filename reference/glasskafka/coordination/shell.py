"""The ``zk-shell``: ``zkCli.sh``'s commands and output, independent of any transport.

Theory of operation
-------------------
:class:`Shell` is what ``zkCli.sh`` is to ZooKeeper: it reads command lines, turns them into
requests through an embedded :class:`~glasskafka.coordination.client.CoordinationClient`, and prints
the answers in ``zkCli.sh``'s words (``shell_output.py``).  Like a node it does no I/O: the caller
hands it lines, server messages, timers and connection losses, and gets back a :class:`ShellStep`
with outputs for the driver and lines to print.  A command-line front end can drive it over a
socket; the tests and the docs drive it against an in-process server.

Supported commands (usage strings as ``zkCli.sh`` 3.6 prints them, minus unsupported options):

====================================  ============================================================
``ls [-s] [-w] path``                 children (``-s`` adds the stat, ``-w`` sets a child watch)
``create [-s] [-e] path [data]``      ``-e`` ephemeral, ``-s`` sequential; prints ``Created <path>``
``get [-s] [-w] path``                data (``-s`` adds the stat, ``-w`` sets a data watch)
``set [-s] [-v version] path data``   replace data, if the version matches when ``-v`` is given
``delete [-v version] path``          delete, if the version matches when ``-v`` is given
``stat [-w] path``                    the stat block
``quit``                              close the session and leave
====================================  ============================================================

Lines are split as ``ZooKeeperMain.MyCommandOptions.parseCommand`` splits them: on white space,
keeping ``"double"`` or ``'single'`` quoted words whole.  Options may come before or after the
path, as Apache Commons CLI's ``DefaultParser`` allows, and a flag group like ``-es`` works.

Malformed lines get ``zkCli.sh``'s answers: the command's usage string when arguments are missing
(or, here, too many), ``Unrecognized option: -x``, ``Missing argument for option: v``, ZooKeeper's
path messages (``Path must start with / character``), and for an unknown command the command list
followed by ``Command not found: Command not found <name>``.  ``help`` prints the list alone.

Spec IDs: none; the shell prints what the service answers, which COORD-1 .. COORD-9 check.

Simplified from Kafka: ``zkCli.sh`` also has ``-R`` (recursive ``ls``), ``-b``/``-x`` (base64 and
hex data), ACLs, quotas, ``sync``, ``history``/``redo`` and more; glasskafka's shell keeps the
commands the course uses.  Where ``zkCli.sh`` 3.6 crashes on a version that is not a number, this
shell prints ``-v argument must be an int value: <text>``; where it accepts extra arguments for
backward compatibility, this shell prints the usage string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import assert_never

from glasskafka.coordination.client import (
    ClientState,
    ClientStep,
    CoordinationClient,
    RequestCompleted,
    SessionConnected,
    SessionDisconnected,
    SessionExpired,
    WatchTriggered,
)
from glasskafka.coordination.codes import KeeperErrorCode, KeeperState
from glasskafka.coordination.messages import (
    ANY_VERSION,
    CreateResponse,
    ExistsResponse,
    GetChildrenResponse,
    GetDataResponse,
    SetDataResponse,
)
from glasskafka.coordination.paths import path_problem
from glasskafka.coordination.shell_output import (
    format_children,
    format_data,
    format_error,
    format_stat,
    format_state_change,
    format_watch_event,
)
from glasskafka.ids import Millis
from glasskafka.node import Message, Output

__all__ = [
    "COMMANDS",
    "CommandSyntax",
    "CreateCommand",
    "DeleteCommand",
    "GetCommand",
    "HelpCommand",
    "LsCommand",
    "QuitCommand",
    "SetCommand",
    "Shell",
    "ShellCommand",
    "ShellStep",
    "StatCommand",
    "UsageError",
    "parse_line",
    "split_line",
    "usage_lines",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSyntax:
    """One command's options and positional arguments, for parsing and for its usage string."""

    name: str
    usage: str
    flags: str = ""
    valued: str = ""
    min_args: int = 1
    max_args: int = 1


COMMANDS: dict[str, CommandSyntax] = {
    syntax.name: syntax
    for syntax in (
        CommandSyntax(name="create", usage="[-s] [-e] path [data]", flags="se", max_args=2),
        CommandSyntax(name="delete", usage="[-v version] path", valued="v"),
        CommandSyntax(name="get", usage="[-s] [-w] path", flags="sw"),
        CommandSyntax(name="ls", usage="[-s] [-w] path", flags="sw"),
        CommandSyntax(name="quit", usage="", min_args=0, max_args=0),
        CommandSyntax(
            name="set",
            usage="[-s] [-v version] path data",
            flags="s",
            valued="v",
            min_args=2,
            max_args=2,
        ),
        CommandSyntax(name="stat", usage="[-w] path", flags="w"),
    )
}
"""The commands the shell knows, by name (sorted, as ``zkCli.sh``'s usage lists them)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LsCommand:
    path: str
    watch: bool
    with_stat: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateCommand:
    path: str
    data: bytes
    ephemeral: bool
    sequential: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class GetCommand:
    path: str
    watch: bool
    with_stat: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SetCommand:
    path: str
    data: bytes
    version: int
    with_stat: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteCommand:
    path: str
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StatCommand:
    path: str
    watch: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class QuitCommand:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class HelpCommand:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageError:
    """A line the shell cannot run, and what to print instead."""

    lines: tuple[str, ...]


ShellCommand = (
    LsCommand
    | CreateCommand
    | GetCommand
    | SetCommand
    | DeleteCommand
    | StatCommand
    | QuitCommand
    | HelpCommand
)

# ---------------------------------------------------------------------------------------------
# Parsing

_WORD = re.compile(r"""\s*([^"']\S*|"[^"]*"|'[^']*')\s*""")
_INT = re.compile(r"[+-]?[0-9]+")


def split_line(line: str) -> list[str]:
    """Split a command line into words, keeping quoted words whole (quotes removed)."""
    words = []
    for match in _WORD.finditer(line):
        word = match.group(1)
        if word.isspace():
            continue  # the pattern can match a lone blank at the end of a blank line; skip it
        if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
            word = word[1:-1]
        words.append(word)
    return words


def usage_lines() -> tuple[str, ...]:
    """``ZooKeeperMain.usage()``: the command list, one tab-indented line per command."""
    listed = [f"\t{name} {syntax.usage}" for name, syntax in sorted(COMMANDS.items())]
    return ("ZooKeeper -server host:port cmd args", *listed)


def parse_line(line: str) -> ShellCommand | UsageError | None:
    """Parse one command line; ``None`` for a blank line."""
    words = split_line(line)
    if not words:
        return None
    name, rest = words[0], words[1:]
    if name == "help":
        return HelpCommand()
    syntax = COMMANDS.get(name)
    if syntax is None:
        return UsageError(lines=(*usage_lines(), f"Command not found: Command not found {name}"))
    parsed = _parse_options(syntax, rest)
    if isinstance(parsed, UsageError):
        return parsed
    options, args = parsed
    if not syntax.min_args <= len(args) <= syntax.max_args:
        return UsageError(lines=(f"{name} {syntax.usage}".rstrip(),))
    return _build(name, options, args)


def _parse_options(
    syntax: CommandSyntax, words: list[str]
) -> tuple[dict[str, str], list[str]] | UsageError:
    """Commons CLI's ``DefaultParser``: options anywhere, ``--`` ends them, ``-v 3`` or ``-v3``."""
    options: dict[str, str] = {}
    args: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == "--":
            args += words[index:]
            break
        if not word.startswith("-") or word == "-":
            args.append(word)
            continue
        letters = word[1:]
        if letters[0] in syntax.valued:
            value = letters[1:]
            if not value:
                if index == len(words):
                    return UsageError(lines=(f"Missing argument for option: {letters[0]}",))
                value = words[index]
                index += 1
            options[letters[0]] = value
        elif all(letter in syntax.flags for letter in letters):
            options.update(dict.fromkeys(letters, ""))
        else:
            return UsageError(lines=(f"Unrecognized option: {word}",))
    return options, args


def _build(name: str, options: dict[str, str], args: list[str]) -> ShellCommand | UsageError:
    """Turn parsed words into a command, checking the path and version as ``zkCli.sh`` does."""
    if name == "quit":
        return QuitCommand()
    path = args[0]
    problem = path_problem(path, sequential=name == "create" and "s" in options)
    if problem is not None:
        return UsageError(lines=(problem,))
    version = ANY_VERSION
    if "v" in options:
        text = options["v"]
        if not _INT.fullmatch(text) or not -(2**31) <= int(text) < 2**31:
            return UsageError(lines=(f"-v argument must be an int value: {text}",))
        version = int(text)
    data = args[1].encode("utf-8", errors="surrogatepass") if len(args) > 1 else b""
    watch, with_stat = "w" in options, "s" in options
    match name:
        case "ls":
            return LsCommand(path=path, watch=watch, with_stat=with_stat)
        case "create":
            return CreateCommand(
                path=path, data=data, ephemeral="e" in options, sequential=with_stat
            )
        case "get":
            return GetCommand(path=path, watch=watch, with_stat=with_stat)
        case "set":
            return SetCommand(path=path, data=data, version=version, with_stat=with_stat)
        case "delete":
            return DeleteCommand(path=path, version=version)
        case "stat":
            return StatCommand(path=path, watch=watch)
    raise AssertionError(f"command {name!r} is in COMMANDS but has no builder")


# ---------------------------------------------------------------------------------------------
# The shell


@dataclass(frozen=True, slots=True, kw_only=True)
class ShellStep:
    """What one input to the shell produced: outputs for the driver, lines to print."""

    outputs: tuple[Output, ...] = ()
    lines: tuple[str, ...] = ()
    failed: bool = False
    """Whether a command failed here (``zkCli.sh`` would exit non-zero in one-shot mode)."""


@dataclass(slots=True, kw_only=True)
class Shell:
    """``zkCli.sh``: lines in, requests out; answers in, lines out.  Plain data, no I/O."""

    client: CoordinationClient
    host: str = "127.0.0.1:2181"
    command_count: int = 0
    awaiting: dict[str, ShellCommand] = field(default_factory=dict)
    """Commands sent and not yet answered, by the ``ctx`` given to the client."""
    finished: bool = False
    """Set once ``quit`` has closed the session: the caller should stop."""

    @property
    def busy(self) -> bool:
        """Whether a command is still waiting for its answer (wait before the next prompt)."""
        return bool(self.awaiting)

    def prompt(self) -> str:
        """``zkCli.sh``'s prompt, e.g. ``[zk: 127.0.0.1:2181(CONNECTED) 0]`` and a space."""
        return f"[zk: {self.host}({self.client.state.value}) {self.command_count}] "

    def start(self, now_ms: Millis) -> ShellStep:
        """Connect, as ``zkCli.sh`` does when it starts."""
        step = self.client.connect(now_ms)
        return ShellStep(outputs=step.outputs, lines=(f"Connecting to {self.host}",))

    def on_line(self, line: str, now_ms: Millis) -> ShellStep:
        """Run one command line: print at once, or send a request whose answer prints later."""
        command = parse_line(line)
        if command is None:
            return ShellStep()
        self.command_count += 1
        match command:
            case UsageError():
                return ShellStep(lines=command.lines, failed=True)
            case HelpCommand():
                return ShellStep(lines=usage_lines())
            case QuitCommand():
                return self._quit(now_ms)
        if self.client.state not in (ClientState.CONNECTING, ClientState.CONNECTED):
            return ShellStep(lines=("Not connected",), failed=True)
        ctx = str(self.command_count)
        self.awaiting[ctx] = command
        return self._absorb(self._submit(command, ctx, now_ms))

    def on_message(self, message: Message, now_ms: Millis) -> ShellStep:
        """A message from the server: an answer, a watch event, or a session change."""
        return self._absorb(self.client.on_message(message, now_ms))

    def on_timer(self, name: str, now_ms: Millis) -> ShellStep:
        """A timer fired; only the client's timers concern the shell."""
        if not self.client.owns_timer(name):
            return ShellStep()
        return self._absorb(self.client.on_timer(name, now_ms))

    def on_connection_lost(self, now_ms: Millis) -> ShellStep:
        """The connection to the server broke; the client will reconnect."""
        return self._absorb(self.client.on_connection_lost(now_ms))

    def _quit(self, now_ms: Millis) -> ShellStep:
        if self.client.state is not ClientState.CONNECTED:
            self.finished = True
            return ShellStep()
        return self._absorb(self.client.close(ctx="quit", now_ms=now_ms))

    def _submit(self, command: ShellCommand, ctx: str, now_ms: Millis) -> ClientStep:
        client = self.client
        match command:
            case LsCommand():
                return client.get_children(
                    command.path, watch=command.watch, ctx=ctx, now_ms=now_ms
                )
            case CreateCommand():
                return client.create(
                    command.path,
                    command.data,
                    ephemeral=command.ephemeral,
                    sequential=command.sequential,
                    ctx=ctx,
                    now_ms=now_ms,
                )
            case GetCommand():
                return client.get_data(command.path, watch=command.watch, ctx=ctx, now_ms=now_ms)
            case SetCommand():
                return client.set_data(
                    command.path, command.data, version=command.version, ctx=ctx, now_ms=now_ms
                )
            case DeleteCommand():
                return client.delete(command.path, version=command.version, ctx=ctx, now_ms=now_ms)
            case StatCommand():
                return client.exists(command.path, watch=command.watch, ctx=ctx, now_ms=now_ms)
            case QuitCommand() | HelpCommand():
                raise AssertionError("handled without the server")
            case _:
                assert_never(command)

    def _absorb(self, step: ClientStep) -> ShellStep:
        """Turn the client's events into printed lines."""
        lines: list[str] = []
        failed = False
        for event in step.events:
            match event:
                case SessionConnected():
                    lines += format_state_change(KeeperState.SyncConnected)
                case SessionDisconnected():
                    lines += format_state_change(KeeperState.Disconnected)
                case SessionExpired():
                    lines += format_state_change(KeeperState.Expired)
                case WatchTriggered():
                    lines += format_watch_event(event.event)
                case RequestCompleted():
                    command = self.awaiting.pop(event.ctx, None)
                    if command is None:
                        self.finished = self.finished or event.ctx == "quit"
                        continue
                    failed = failed or event.error is not KeeperErrorCode.OK
                    lines += _render(command, event)
                case _:
                    assert_never(event)
        return ShellStep(outputs=step.outputs, lines=tuple(lines), failed=failed)


def _render(command: ShellCommand, completed: RequestCompleted) -> list[str]:
    """The lines ``zkCli.sh`` prints for ``command``'s answer."""
    response = completed.response
    if isinstance(command, QuitCommand | HelpCommand):
        return []
    if response.error is not KeeperErrorCode.OK:
        return [format_error(response.error, command.path)]
    match command, response:
        case LsCommand(), GetChildrenResponse(stat=stat):
            extra = format_stat(stat) if command.with_stat and stat is not None else []
            return [format_children(response.children), *extra]
        case CreateCommand(), CreateResponse():
            return [f"Created {response.path}"]
        case GetCommand(), GetDataResponse(stat=stat):
            extra = format_stat(stat) if command.with_stat and stat is not None else []
            return [format_data(response.data), *extra]
        case SetCommand(), SetDataResponse(stat=stat):
            return format_stat(stat) if command.with_stat and stat is not None else []
        case StatCommand(), ExistsResponse(stat=stat) if stat is not None:
            return format_stat(stat)
    return []
