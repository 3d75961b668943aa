"""The coordination service on a socket, and ``glasskafka zk-shell`` talking to it.

The coordination service runs on this test's event loop (``serve_coordination``) on a free port;
the shell (``run_shell``) connects over the coordination frames (``zk_codec.py``), as
``zkCli.sh`` connects to ZooKeeper.  Checked here:

* the course's zkCli session -- ``ls /``, ``create /zk_test my_data``, ``get /zk_test`` -- prints
  zkCli.sh's lines, with its prompt, from a piped script or as one-shot commands;
* a watch set with ``get -w`` prints its ``WATCHER::`` event when another session changes the znode;
* a failing command (``get`` of a missing znode) exits 1; an unreachable server is named, exit 1;
* the command line accepts ``-server host:port``, a bare ``host:port`` and repeated ``-c``;
* hostile bytes at the service close that connection only: the service keeps serving, and the
  sessions of other connections are untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from glasskafka.cli import main
from glasskafka.config import CoordinationConfig
from glasskafka.coordination import (
    ConnectRequest,
    ConnectResponse,
    ExistsRequest,
    ExistsResponse,
    KeeperErrorCode,
)
from glasskafka.runtime.cluster import free_ports
from glasskafka.runtime.coordination_process import serve_coordination
from glasskafka.runtime.shell_process import run_shell
from glasskafka.runtime.zk_codec import decode_frame, encode_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

T = TypeVar("T")
ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"


@contextlib.asynccontextmanager
async def service(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    (port,) = free_ports(1)
    stop = asyncio.Event()
    config = CoordinationConfig(client_port=port, data_dir=str(tmp_path / "zk"))
    task = asyncio.create_task(serve_coordination(config, stop=stop, signals=False))
    for _ in range(100):
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        await asyncio.sleep(0.02)
    try:
        yield ("127.0.0.1", port)
    finally:
        stop.set()
        await task


def with_service(tmp_path: Path, body: Callable[[tuple[str, int]], Awaitable[T]]) -> T:
    async def run() -> T:
        async with service(tmp_path) as address:
            return await body(address)

    return asyncio.run(run())


async def shell(
    address: tuple[str, int], commands: list[str] | None = None, script: str = ""
) -> tuple[int, list[str]]:
    """Run the shell: one-shot ``commands``, or interactively reading ``script`` from a file."""
    out = io.StringIO()
    if commands is not None:
        code = await run_shell(address, commands, out=out)
        return code, out.getvalue().splitlines()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as source:
        source.write(script)
        source.seek(0)
        code = await run_shell(address, None, out=out, source=source)
    return code, out.getvalue().splitlines()


CONNECTED = ["", "WATCHER::", "", "WatchedEvent state:SyncConnected type:None path:null"]


def test_the_course_session_from_a_script(tmp_path: Path) -> None:
    script = "ls /\ncreate /zk_test my_data\nget /zk_test\nquit\n"

    async def body(address: tuple[str, int]) -> tuple[int, list[str]]:
        return await shell(address, script=script)

    code, lines = with_service(tmp_path, body)
    host = "127.0.0.1:" + lines[0].rsplit(":", 1)[1]
    assert code == 0
    assert lines == [
        f"Connecting to {host}",
        *CONNECTED,
        f"[zk: {host}(CONNECTED) 0] ls /",
        "[zookeeper]",
        f"[zk: {host}(CONNECTED) 1] create /zk_test my_data",
        "Created /zk_test",
        f"[zk: {host}(CONNECTED) 2] get /zk_test",
        "my_data",
        f"[zk: {host}(CONNECTED) 3] quit",
    ]


def test_one_shot_commands_and_a_failure_exit_1(tmp_path: Path) -> None:
    async def body(address: tuple[str, int]) -> tuple[int, list[str]]:
        return await shell(address, ["create /a first", "get /a", "get /missing"])

    code, lines = with_service(tmp_path, body)
    assert code == 1
    assert lines[-3:] == ["Created /a", "first", "Node does not exist: /missing"]


def test_a_watch_fires_when_another_session_changes_the_znode(tmp_path: Path) -> None:
    async def body(address: tuple[str, int]) -> list[str]:
        await shell(address, ["create /watched v1"])
        read_end, write_end = os.pipe()
        out = io.StringIO()
        with os.fdopen(read_end, encoding="utf-8") as source:
            watcher = asyncio.create_task(run_shell(address, None, out=out, source=source))
            os.write(write_end, b"get -w /watched\n")
            await _until(lambda: "v1" in out.getvalue().splitlines())
            await shell(address, ["set /watched v2"])
            await _until(lambda: "WATCHER::" in out.getvalue().split("v1", 1)[1])
            os.write(write_end, b"quit\n")
            os.close(write_end)
            assert await watcher == 0
        return out.getvalue().splitlines()

    lines = with_service(tmp_path, body)
    after_get = lines[lines.index("v1") + 1 :]
    assert after_get[:4] == [
        "",
        "WATCHER::",
        "",
        "WatchedEvent state:SyncConnected type:NodeDataChanged path:/watched",
    ]


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def test_an_unreachable_server_is_named() -> None:
    (port,) = free_ports(1)
    out = io.StringIO()
    code = asyncio.run(run_shell(("127.0.0.1", port), ["ls /"], out=out, connect_timeout_s=1))
    assert code == 1
    assert out.getvalue().splitlines()[-1] == f"Unable to connect to 127.0.0.1:{port} within 1 s"


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["zk-shell", *args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_the_command_line_takes_zkclis_forms(tmp_path: Path) -> None:
    async def body(address: tuple[str, int]) -> list[tuple[int, str, str]]:
        server = f"{address[0]}:{address[1]}"
        loop = asyncio.get_running_loop()
        runs = []
        for args in (
            ["-server", server, "create", "/course", "my data"],
            [server, "-c", "get /course", "-c", "ls /"],
            [server, "ls", "-s", "/course"],
        ):
            runs.append(await loop.run_in_executor(None, cli, *args))
        return runs

    (created, listed, with_stat) = with_service(tmp_path, body)
    assert created[0] == 0 and created[1].splitlines()[-1] == "Created /course"
    assert listed[0] == 0 and listed[1].splitlines()[-2:] == ["my data", "[course, zookeeper]"]
    assert with_stat[0] == 0 and "dataLength = 7" in with_stat[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-server", "nocolon", "ls", "/"], "property '-server' has value 'nocolon'"),
        (["-server", "host:1/chroot", "ls", "/"], "chroot path"),
        (["127.0.0.1:2181", "-c"], "option -c needs a value"),
    ],
)
def test_bad_server_arguments_get_a_clear_message(args: list[str], message: str) -> None:
    code, _, err = cli(*args)
    assert code == 2 and message in err and "Traceback" not in err


def test_the_real_command_runs_a_one_shot_command(tmp_path: Path) -> None:
    async def body(address: tuple[str, int]) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", ENTRY, "zk-shell", "-server", f"127.0.0.1:{address[1]}",
                   "ls", "/"]  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode is not None
        return subprocess.CompletedProcess(command, process.returncode, out.decode(), err.decode())

    done = with_service(tmp_path, body)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[zookeeper]"


# -- hostile bytes at the coordination service -------------------------------------------------


@pytest.fixture(scope="module")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The coordination service as a process of its own, for the whole module."""
    (port,) = free_ports(1)
    data_dir = tmp_path_factory.mktemp("zk-data")
    process = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "zookeeper-start", "--override", f"clientPort={port}",
         "--override", f"dataDir={data_dir}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(500):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.02)
        yield ("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _frame(sock: socket.socket) -> object:
    size = _exactly(sock, 4)
    return decode_frame(size + _exactly(sock, int.from_bytes(size, "big")))


def _exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        assert chunk, "the service closed the connection"
        data += chunk
    return data


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=64) | st.builds(
    lambda n, tail: struct.pack(">i", n) + tail,
    st.integers(-(2**31), 2**31 - 1), st.binary(max_size=16),
))  # fmt: skip
def test_hostile_bytes_close_one_connection_and_the_service_serves_on(
    live_service: tuple[str, int], garbage: bytes
) -> None:
    with socket.create_connection(live_service, timeout=5) as bystander:
        bystander.sendall(encode_message(ConnectRequest(timeout_ms=30000)))
        connected = _frame(bystander)
        assert isinstance(connected, ConnectResponse) and connected.error is KeeperErrorCode.OK
        with socket.create_connection(live_service, timeout=5) as attacker:
            attacker.sendall(garbage)
            attacker.shutdown(socket.SHUT_WR)
            with contextlib.suppress(OSError):
                while attacker.recv(4096):
                    pass
        # the other connection's session still answers, and a new session can be opened
        bystander.sendall(encode_message(ExistsRequest(xid=1, path="/zookeeper")))
        answer = _frame(bystander)
        assert isinstance(answer, ExistsResponse) and answer.error is KeeperErrorCode.OK
    code, lines = asyncio.run(shell(live_service, ["ls /zookeeper"]))
    assert code == 0 and lines[-1] == "[config, quota]"
