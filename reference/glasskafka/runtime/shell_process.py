"""The ``zk-shell`` on a socket: :class:`~glasskafka.coordination.Shell` driven by the runtime.

Theory of operation
-------------------
The coordination package's :class:`~glasskafka.coordination.Shell` is ``zkCli.sh`` without I/O:
command lines and server messages in, requests and printed lines out.  :class:`ShellNode` wraps
it as a node (a client node: its commands are API-call inputs, ``NodeHost.call``), and
:func:`run_shell` hosts it with a link to the coordination service at ``-server host:port``:

* it connects and waits (at most ``connect_timeout_s``) for the session, printing ``Connecting
  to ...`` and the ``WatchedEvent state:SyncConnected`` lines ``zkCli.sh`` prints;
* **one-shot** (``zk-shell -server host:port ls /``, or ``-c "ls /"`` repeated): each command is
  run in turn, waiting for its answer; then the session is closed;
* **interactive**: it prints ``zkCli.sh``'s prompt (``[zk: host:port(CONNECTED) 0] ``), reads a
  line, runs it and prints the answer, until ``quit`` or the end of the input.  When the input is
  not a terminal (a file or a pipe), each command is echoed after the prompt, so the output reads
  as the session would on screen.  Watch events are printed whenever they arrive.

The exit status is 0, or 1 if a command failed or the service could not be reached (as
``zkCli.sh`` exits non-zero when a one-shot command fails).

Spec IDs: none (the shell's output is ``shell_output.py``'s, tested there).

Simplified from Kafka: ``zkCli.sh`` uses JLine for line editing and history; glasskafka reads
plain lines.  It tries to connect for ``connect_timeout_s`` and gives up, where ``zkCli.sh``
keeps trying.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TextIO

from glasskafka.coordination import ClientState, CoordinationClient, Shell, ShellStep
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Node, Output
from glasskafka.runtime.clock import RuntimeClock
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.zk_wire import COORDINATION_PEER, coordination_links

__all__ = ["ShellNode", "run_shell"]

log = logging.getLogger("glasskafka.runtime.shell")

_SESSION_TIMEOUT_MS = 30000
"""``zkCli.sh``'s default session timeout (its ``-timeout`` option)."""


class ShellNode(Node):
    """The shell as a node: every step's printed lines are kept in ``printed``."""

    def __init__(self, shell: Shell) -> None:
        self.node_id = NodeId("zk-shell")
        self.shell = shell
        self.printed: list[str] = []
        self.failed = False

    def _take(self, step: ShellStep) -> list[Output]:
        self.printed += step.lines
        self.failed = self.failed or step.failed
        return list(step.outputs)

    def on_start(self, now_ms: Millis) -> list[Output]:
        return self._take(self.shell.start(now_ms))

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        return self._take(self.shell.on_message(message, now_ms))

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return self._take(self.shell.on_timer(name, now_ms))

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        return self._take(self.shell.on_connection_lost(now_ms))

    def line(self, text: str, now_ms: Millis) -> list[Output]:
        """Run one command line (an API call of this client node)."""
        return self._take(self.shell.on_line(text, now_ms))


class _Session:
    """The hosted shell, with a way to wait for its next input and to print what it printed."""

    def __init__(self, server: tuple[str, int], out: TextIO) -> None:
        loop = asyncio.get_running_loop()
        client = CoordinationClient(
            server=COORDINATION_PEER,
            session_timeout_ms=_SESSION_TIMEOUT_MS,
            timer_prefix="zk-shell",
        )
        self.node = ShellNode(Shell(client=client, host=f"{server[0]}:{server[1]}"))
        self.host = NodeHost(self.node, loop=loop, clock=RuntimeClock(loop), log=log)
        self.links = coordination_links(self.host, server, log=log)
        self.host.outboxes.append(self.links)
        self.host.observers.append(self._after_input)
        self.out = out
        self.stepped = asyncio.Event()

    def _after_input(self, peer: NodeId | None, failed: bool) -> None:
        if self.node.printed:
            self.out.write("".join(line + "\n" for line in self.node.printed))
            self.out.flush()
            self.node.printed.clear()
        self.stepped.set()

    async def until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until ``done()`` holds (checked after each input) or ``timeout_s`` passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not done():
            self.stepped.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self.stepped.wait(), remaining)
            except TimeoutError:
                return done()
        return True

    async def run(self, text: str, timeout_s: float) -> None:
        self.host.call(text, lambda now: self.node.line(text, now))
        await self.until(lambda: not self.node.shell.busy, timeout_s)

    async def quit(self) -> None:
        await self.run("quit", 5.0)
        self.host.stop()
        self.links.close()


async def run_shell(
    server: tuple[str, int],
    commands: Sequence[str] | None,
    *,
    out: TextIO,
    source: TextIO | None = None,
    connect_timeout_s: float = 10.0,
    command_timeout_s: float = 30.0,
) -> int:
    """Run the shell against the service at ``server``: ``commands`` one-shot, else interactive
    from ``source`` (standard input by default).  Returns the exit status."""
    session = _Session(server, out)
    session.host.start()
    connected = await session.until(
        lambda: session.node.shell.client.state is ClientState.CONNECTED, connect_timeout_s
    )
    if not connected:
        out.write(
            f"Unable to connect to {server[0]}:{server[1]} within {connect_timeout_s:.0f} s\n"
        )
        session.host.stop()
        session.links.close()
        return 1
    if commands is not None:
        for command in commands:
            await session.run(command, command_timeout_s)
    else:
        await _interactive(session, source or sys.stdin, command_timeout_s)
    failed = session.node.failed
    if not session.node.shell.finished:
        await session.quit()
    return 1 if failed else 0


async def _interactive(session: _Session, source: TextIO, timeout_s: float) -> None:
    """Prompt, read, run, until ``quit`` or the end of the input."""
    echo = not source.isatty()
    lines = _lines(source)
    while True:
        if not echo:
            session.out.write(session.node.shell.prompt())
            session.out.flush()
        try:
            line = await anext(lines)
        except StopAsyncIteration:
            return
        if echo:
            session.out.write(session.node.shell.prompt() + line + "\n")
            session.out.flush()
        await session.run(line, timeout_s)
        if session.node.shell.finished:
            return


async def _lines(source: TextIO) -> AsyncIterator[str]:
    """The lines of ``source`` without their ends: at once for a file, as they come otherwise."""
    mode = os.fstat(source.fileno()).st_mode
    if stat.S_ISREG(mode):
        for line in source.read().splitlines():
            yield line
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), source)
    while raw := await reader.readline():
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")
