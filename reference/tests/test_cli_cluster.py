"""``glasskafka cluster``, ``zookeeper-start`` and ``broker-start``, and the guide that uses them.

Two kinds of test:

* **The guide runs.** ``docs/guide/run-a-cluster.md`` is a transcript.  The test reads it, writes
  every file it shows (code blocks with a ``:caption:`` naming a path), runs every ``$`` command
  of its ``console`` blocks in order with ``bash`` -- ports and directories replaced by free ones
  -- and compares what each prints with the lines under it, where ``...`` stands for anything
  (within a line, or a line of its own for any number of lines).  So every command the guide
  shows works, and prints what the guide says.
* **The commands refuse bad input clearly**: a second ``cluster up`` in a directory whose cluster
  runs, ``--brokers 0``, an override of a property ``cluster up`` sets itself, an unknown or bad
  property, a missing properties file, a port in use -- each a one-line message and exit status
  2, never a traceback, and nothing left running.  ``cluster status`` and ``down`` of an empty
  directory say so.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from glasskafka.cli import main
from glasskafka.runtime.cluster import cluster_status, free_ports, is_running

from model_tests.support import require_tool

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide" / "run-a-cluster.md"
ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"
COMMAND_TIMEOUT_S = 90


# -- reading the guide ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteFile:
    path: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    command: str
    expected: tuple[str, ...]


def guide_steps(text: str) -> list[WriteFile | Run]:
    """The files and commands of the guide, in order."""
    steps: list[WriteFile | Run] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = lines[index]
        index += 1
        if not fence.startswith("```"):
            continue
        body: list[str] = []
        while not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        index += 1
        if fence == "```console":
            steps += _commands(body)
        elif fence.startswith("```{code-block}"):
            options = [line for line in body if line.startswith(":")]
            caption = next(
                (o.split(":", 2)[2].strip() for o in options if o.startswith(":caption:")), None
            )
            if caption:
                content = body[len(options) :]
                while content and not content[0].strip():
                    content.pop(0)
                steps.append(WriteFile(path=caption, text="\n".join(content) + "\n"))
    return steps


def _commands(body: list[str]) -> list[Run]:
    runs: list[Run] = []
    for line in body:
        if line.startswith("$ "):
            runs.append(Run(command=line[2:], expected=()))
        else:
            assert runs, f"output before any command: {line!r}"
            last = runs[-1]
            runs[-1] = Run(command=last.command, expected=(*last.expected, line))
    return runs


def matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    """Whether ``actual`` fits ``expected``, where ``...`` is a wildcard (see the module doc)."""
    if not expected:
        return not actual
    head, rest = expected[0].rstrip(), expected[1:]
    if head == "...":
        return any(matches(rest, actual[skip:]) for skip in range(len(actual) + 1))
    if not actual:
        return False
    pattern = ".*".join(re.escape(part) for part in head.split("..."))
    return re.fullmatch(pattern, actual[0].rstrip()) is not None and matches(rest, actual[1:])


def test_the_matcher_understands_ellipses() -> None:
    assert matches(("a ... c", "...", "z"), ["a b c", "x", "y", "z"])
    assert matches(("...",), [])
    assert not matches(("a",), ["a", "b"])
    assert not matches(("a ... c",), ["a b d"])


# -- running the guide ----------------------------------------------------------------------------


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive loopback ports that are free now."""
    for _ in range(200):
        (base,) = free_ports(1)
        if base + count > 65535:
            continue
        probes = []
        try:
            for port in range(base, base + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise AssertionError("no block of free ports")


def substitutions(tmp_path: Path) -> list[tuple[re.Pattern[str], str]]:
    base = free_port_block(3)
    (zookeeper,) = free_ports(1)
    while base <= zookeeper < base + 3:
        (zookeeper,) = free_ports(1)
    table = {
        r"\b2181\b": str(zookeeper),
        r"\b9092\b": str(base),
        r"\b9093\b": str(base + 1),
        r"\b9094\b": str(base + 2),
        r"/tmp/glasskafka-cluster": str(tmp_path / "cluster"),
        r"/tmp/glasskafka-by-hand": str(tmp_path / "by-hand"),
    }
    return [(re.compile(pattern), value) for pattern, value in table.items()]


def substituted(text: str, table: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, value in table:
        text = pattern.sub(value, text)
    return text


def test_every_command_of_the_guide_runs_and_prints_what_it_shows(tmp_path: Path) -> None:
    require_tool("kcat")
    pytest.importorskip("kafka")
    table = substitutions(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    groups: list[int] = []
    steps = guide_steps(GUIDE.read_text(encoding="utf-8"))
    assert sum(isinstance(step, Run) for step in steps) >= 20
    try:
        for step in steps:
            if isinstance(step, WriteFile):
                target = work / step.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(substituted(step.text, table), encoding="utf-8")
                continue
            command = substituted(step.command, table)
            output = _run(command, work, env, groups)
            expected = tuple(substituted(line, table) for line in step.expected)
            assert matches(expected, output), (
                f"$ {command}\n--- the guide shows:\n" + "\n".join(expected)
                + "\n--- it printed:\n" + "\n".join(output)
            )  # fmt: skip
    finally:
        with contextlib.suppress(Exception):
            main(["cluster", "down", "--dir", str(tmp_path / "cluster")])
        for group in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)


def _run(command: str, cwd: Path, env: dict[str, str], groups: list[int]) -> list[str]:
    """Run one line with bash; stdout and stderr together, in the order written."""
    log = cwd / ".output"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # background jobs stay in this group, killed at the end
        )
        groups.append(process.pid)
        process.wait(timeout=COMMAND_TIMEOUT_S)
    return log.read_text(encoding="utf-8", errors="replace").splitlines()


# -- refusals -----------------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_up_status_down_and_a_second_up_refused(tmp_path: Path) -> None:
    directory = str(tmp_path / "c")
    code, out, err = cli("cluster", "up", "--brokers", "2", "--dir", directory)
    try:
        assert code == 0, err
        lines = out.splitlines()
        assert [line.split(" on ")[0] for line in lines[:3]] == [
            "Started zookeeper", "Started broker-1", "Started broker-2"
        ]  # fmt: skip
        assert lines[3].startswith("bootstrap.servers=127.0.0.1:")
        code, out, _ = cli("cluster", "status", "--dir", directory)
        assert code == 0
        assert [line.split()[0] for line in out.splitlines()] == [
            "broker-1",
            "broker-2",
            "zookeeper",
        ]
        assert all(line.endswith("running") for line in out.splitlines())
        code, _, err = cli("cluster", "up", "--dir", directory)
        assert code == 2 and "a cluster is already running" in err and "cluster down" in err
    finally:
        code, out, _ = cli("cluster", "down", "--dir", directory)
    assert code == 0 and [line.split(":")[0] for line in out.splitlines()] == [
        "broker-1", "broker-2", "zookeeper"
    ]  # fmt: skip
    assert all(line.endswith("stopped") for line in out.splitlines())
    assert cluster_status(Path(directory)) == []
    code, out, _ = cli("cluster", "status", "--dir", directory)
    assert (code, out) == (1, f"no cluster in {directory}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--brokers", "0"], "--brokers 0 is not allowed"),
        (["--override", "broker.id=7"], "--override broker.id=... is not allowed"),
        (["--override", "min.insync.replica=2"], "unknown property 'min.insync.replica'"),
        (["--override", "num.partitions=zero"], "allowed: an integer"),
        (["--override", "novalue"], "not of the form key=value"),
    ],
)
def test_bad_cluster_arguments_start_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    directory = tmp_path / "c"
    code, _, err = cli("cluster", "up", "--dir", str(directory), *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert all(not alive for _, alive in cluster_status(directory))


def test_a_broker_that_cannot_start_is_reported_and_the_rest_stopped(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = cli(
            "cluster", "up", "--dir", str(tmp_path / "c"), "--broker-port", str(port)
        )
    assert code == 2 and "broker-1 exited at start" in err
    assert all(not alive for _, alive in cluster_status(tmp_path / "c"))


def test_down_of_an_empty_directory_stops_nothing(tmp_path: Path) -> None:
    assert cli("cluster", "down", "--dir", str(tmp_path)) == (0, "", "")


@pytest.mark.parametrize(
    ("command", "content", "message"),
    [
        ("broker-start", None, "cannot read properties file"),
        ("broker-start", "broker.id=1\nlog.dir=/tmp/x\n", "'zookeeper.connect' is not set"),
        ("broker-start", "broker.id=1\nzookeeper.connect=a:1/chroot\n", "chroot path"),
        ("broker-start", "broker.idd=1\n",
         "unknown property 'broker.idd' for BrokerConfig; did you mean broker.id?"),
        ("broker-start", "broker.id=-1\nzookeeper.connect=a:1\n", "glasskafka does not generate"),
        ("broker-start", "broker.id=1\nzookeeper.connect=a:1\nlog.dirs=/a,/b\n", "exactly one"),
        ("broker-start", "broker.id=1\nzookeeper.connect=a:1\nlisteners=nonsense\n",
         "property 'listeners' has value 'nonsense'"),
        ("zookeeper-start", "clientPort=70000\n", "property 'clientPort' has value '70000'"),
        ("zookeeper-start", "minSessionTimeout=9000\nmaxSessionTimeout=100\n",
         "must not be larger than"),
    ],
)  # fmt: skip
def test_bad_properties_are_named_before_anything_starts(
    tmp_path: Path, command: str, content: str | None, message: str
) -> None:
    path = tmp_path / "bad.properties"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, _, err = cli(command, str(path))
    assert code == 2 and message in err and "Traceback" not in err


def test_a_port_in_use_is_reported_by_the_process(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-c", ENTRY, "zookeeper-start", "--override", f"clientPort={port}",
             "--override", f"dataDir={tmp_path / 'zk'}"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert done.returncode == 2
    assert f"cannot listen on clientPort {port}" in done.stderr and "Traceback" not in done.stderr


def test_sigterm_stops_a_foreground_broker_cleanly(tmp_path: Path) -> None:
    zookeeper, broker = free_ports(2)
    zk = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "zookeeper-start", "--override", f"clientPort={zookeeper}",
         "--override", f"dataDir={tmp_path / 'zk'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    properties = tmp_path / "server.properties"
    properties.write_text(
        f"broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:{broker}\nlog.dirs={tmp_path / 'logs'}\n"
        f"zookeeper.connect=127.0.0.1:{zookeeper}\n",
        encoding="utf-8",
    )
    server = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "broker-start", str(properties)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not _listening(broker):
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.05)
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    finally:
        for process in (server, zk):
            if process.poll() is None:
                process.kill()
            process.wait()
    assert server.returncode == 0
    assert "[KafkaServer id=1] shut down completed" in out.splitlines()[-1]
    assert not is_running(server.pid)


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def test_down_never_signals_a_process_that_is_not_glasskafkas(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "30"])
    try:
        run = tmp_path / "run"
        run.mkdir()
        (run / "broker-1.pid").write_text(f"{stranger.pid}\n", encoding="utf-8")
        (run / "broker-2.pid").write_text("not a pid\n", encoding="utf-8")
        code, out, _ = cli("cluster", "status", "--dir", str(tmp_path))
        assert code == 1 and out.split()[:4] == ["broker-1", "pid", str(stranger.pid), "?"]
        assert out.rstrip().endswith("stopped")
        code, out, _ = cli("cluster", "down", "--dir", str(tmp_path))
        assert (code, out) == (0, f"broker-1: pid {stranger.pid} not running\n")
        assert stranger.poll() is None  # still alive: its pid was not ours to signal
    finally:
        stranger.kill()
        stranger.wait()
