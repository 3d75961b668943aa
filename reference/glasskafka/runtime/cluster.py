"""A local cluster of processes: start, stop and list a coordination service and N brokers.

Theory of operation
-------------------
The course starts a cluster by hand -- ZooKeeper first, then each broker with its own
``server.properties`` (a distinct ``broker.id``, ``log.dirs`` and port, the same
``zookeeper.connect``) -- and stops it by killing the brokers' processes.  :func:`cluster_up` does
exactly that on one machine, writing everything into one directory so a student can read it::

    DIR/config/zookeeper.properties     DIR/config/server-<n>.properties
    DIR/data/zookeeper/                 DIR/data/kafka-logs-<n>/     (the brokers' log.dirs)
    DIR/logs/zookeeper.log              DIR/logs/broker-<n>.log      (each process's output)
    DIR/run/zookeeper.pid               DIR/run/broker-<n>.pid

Each process is ``glasskafka zookeeper-start`` or ``glasskafka broker-start`` in a session of its
own (so it outlives the command that started it), on loopback ports that were free when the
cluster started (or the ports asked for).  ``cluster_up`` returns once the coordination service
accepts connections and a broker's Metadata lists every broker and a controller.

:func:`cluster_down` stops brokers first, then the coordination service, each by the pid in its
pid file -- ``SIGTERM``, then ``SIGKILL`` if it has not exited in time -- and only if that pid
still runs a glasskafka process (a pid can be reused after a reboot).  :func:`cluster_status`
lists the processes and whether each is running.

Spec IDs: none.

Simplified from Kafka: the course's scripts ``ssh`` to each machine; here every process is
local.  Ports are chosen free but not reserved, so a program that grabs one between the choice and
the start makes ``cluster up`` fail with the broker's log naming the port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from glasskafka.config import BrokerConfig, CoordinationConfig, config_from_properties
from glasskafka.errors import GlassKafkaError
from glasskafka.runtime.kafka_client import KafkaClient

__all__ = [
    "ClusterProcess",
    "cluster_down",
    "cluster_status",
    "cluster_up",
    "free_ports",
    "is_running",
]

_ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"
"""How a child process runs the ``glasskafka`` command (it needs no script on the PATH)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterProcess:
    """One process of a local cluster."""

    name: str
    pid: int
    address: str
    log_file: Path


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that nothing listens on right now (not reserved)."""
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probes.append(probe)
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live glasskafka process (not exited, not a zombie, not reused)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no /proc here: trust the signal check
    try:
        state = (proc / "stat").read_text(encoding="utf-8").rpartition(")")[2].split()[0]
        cmdline = (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return False
    # A zombie has exited; an empty command line is a child between fork and exec; any other
    # command line must be glasskafka's, or the pid was reused by another program.
    return state != "Z" and (not cmdline or b"glasskafka" in cmdline)


# ---------------------------------------------------------------------------------------------
# Starting


def cluster_up(
    directory: Path,
    *,
    brokers: int = 1,
    zookeeper_port: int = 0,
    broker_port: int = 0,
    overrides: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
) -> list[ClusterProcess]:
    """Start the coordination service and ``brokers`` brokers; wait until the cluster is ready.

    Port 0 means "any free port"; ``broker_port`` is the first broker's, the next get the
    following ports.  ``overrides`` are ``server.properties`` entries for every broker.
    Raises :class:`GlassKafkaError` if a cluster is already running in ``directory``, for bad
    arguments, or if a process does not come up (everything started is then stopped).
    """
    if not 1 <= brokers <= 32:
        raise GlassKafkaError(f"--brokers {brokers} is not allowed; use 1 to 32")
    running = [p.name for p, alive in cluster_status(directory) if alive]
    if running:
        raise GlassKafkaError(
            f"a cluster is already running in {directory} ({', '.join(running)}); "
            f"stop it with: glasskafka cluster down --dir {directory}"
        )
    chosen = free_ports(brokers + 1)
    zk_port = zookeeper_port or chosen[0]
    ports = [broker_port + n if broker_port else chosen[n + 1] for n in range(brokers)]
    for sub in ("config", "data", "logs", "run"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    started: list[ClusterProcess] = []
    try:
        zk_config = _write_zookeeper_config(directory, zk_port)
        started.append(_spawn(directory, "zookeeper", "zookeeper-start", zk_config, zk_port))
        _wait_for_port(started[-1], timeout_s)
        for n, port in enumerate(ports, start=1):
            config = _write_broker_config(directory, n, port, zk_port, brokers, overrides or {})
            started.append(_spawn(directory, f"broker-{n}", "broker-start", config, port))
        for process in started[1:]:
            _wait_for_port(process, timeout_s)
        _wait_for_brokers(started[1:], brokers, timeout_s)
    except BaseException:
        _stop(started)
        raise
    return started


def _write_zookeeper_config(directory: Path, port: int) -> Path:
    data_dir = (directory / "data" / "zookeeper").resolve()
    properties = {
        "dataDir": str(data_dir),
        "clientPort": str(port),
        "maxClientCnxns": "0",
        "admin.enableServer": "false",
    }
    config_from_properties(CoordinationConfig, properties)  # refuse bad values before starting
    return _write_properties(directory / "config" / "zookeeper.properties", properties)


def _write_broker_config(
    directory: Path, n: int, port: int, zk_port: int, brokers: int, overrides: Mapping[str, str]
) -> Path:
    properties = {
        "broker.id": str(n),
        "listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "log.dirs": str((directory / "data" / f"kafka-logs-{n}").resolve()),
        "zookeeper.connect": f"127.0.0.1:{zk_port}",
        "offsets.topic.replication.factor": str(min(3, brokers)),
        **overrides,
    }
    for fixed in ("broker.id", "listeners", "log.dirs", "zookeeper.connect"):
        if fixed in overrides:
            raise GlassKafkaError(f"--override {fixed}=... is not allowed; cluster up sets it")
    config_from_properties(BrokerConfig, properties)  # refuse bad values before starting
    return _write_properties(directory / "config" / f"server-{n}.properties", properties)


def _write_properties(path: Path, properties: Mapping[str, str]) -> Path:
    lines = ["# written by glasskafka cluster up", *(f"{k}={v}" for k, v in properties.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _spawn(directory: Path, name: str, command: str, config: Path, port: int) -> ClusterProcess:
    log_file = directory / "logs" / f"{name}.log"
    with open(log_file, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, command, str(config.resolve())],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (directory / "run" / f"{name}.pid").write_text(f"{child.pid}\n", encoding="utf-8")
    return ClusterProcess(name=name, pid=child.pid, address=f"127.0.0.1:{port}", log_file=log_file)


def _wait_for_port(process: ClusterProcess, timeout_s: float) -> None:
    host, _, port = process.address.rpartition(":")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_running(process.pid):
            raise GlassKafkaError(f"{process.name} exited at start; its log:\n{_tail(process)}")
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), 0.5):
            return
        time.sleep(0.05)
    raise GlassKafkaError(
        f"{process.name} did not listen within {timeout_s:.0f} s:\n{_tail(process)}"
    )


def _wait_for_brokers(brokers: list[ClusterProcess], count: int, timeout_s: float) -> None:
    """Until a broker's Metadata lists ``count`` brokers and a controller among them."""
    bootstrap = ",".join(process.address for process in brokers)
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        for process in brokers:
            if not is_running(process.pid):
                raise GlassKafkaError(f"{process.name} exited at start; its log:\n{_tail(process)}")
        try:
            with KafkaClient(bootstrap, timeout_s=1.0) as client:
                metadata = client.metadata([])
        except GlassKafkaError as error:
            last = str(error)
        else:
            listed = {broker.node_id for broker in metadata.brokers}
            if len(listed) == count and metadata.controller_id in listed:
                return
            last = (
                f"{len(listed)} of {count} brokers registered, controller {metadata.controller_id}"
            )
        time.sleep(0.2)
    raise GlassKafkaError(f"the cluster did not form within {timeout_s:.0f} s ({last})")


def _tail(process: ClusterProcess, lines: int = 20) -> str:
    try:
        text = process.log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# Listing and stopping


def cluster_status(directory: Path) -> list[tuple[ClusterProcess, bool]]:
    """Every process with a pid file in ``directory`` (brokers by id, then the coordinator)."""
    run = directory / "run"
    if not run.is_dir():
        return []
    found = []
    for pid_file in sorted(run.glob("*.pid"), key=_stop_order):
        name = pid_file.stem
        text = pid_file.read_text(encoding="utf-8", errors="replace").strip()
        if not text.isdigit():
            continue
        process = ClusterProcess(
            name=name,
            pid=int(text),
            address=_address_of(directory, name),
            log_file=directory / "logs" / f"{name}.log",
        )
        found.append((process, is_running(process.pid)))
    return found


def _stop_order(pid_file: Path) -> tuple[int, int, str]:
    """Brokers first, by id; the coordination service last (Kafka's stop order)."""
    name = pid_file.stem
    number = name.removeprefix("broker-")
    if number.isdigit():
        return (0, int(number), name)
    return (1, 0, name)


def _address_of(directory: Path, name: str) -> str:
    """host:port from the process's config file, or "?" if it cannot be read."""
    config = directory / "config"
    try:
        if name == "zookeeper":
            text = (config / "zookeeper.properties").read_text(encoding="utf-8")
            port = _property(text, "clientPort")
            return f"127.0.0.1:{port}" if port else "?"
        text = (config / f"server-{name.removeprefix('broker-')}.properties").read_text("utf-8")
    except OSError:
        return "?"
    listener = _property(text, "listeners") or "?"
    return listener.partition("://")[2] or listener


def _property(text: str, key: str) -> str | None:
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.strip() == key:
            return value.strip()
    return None


def cluster_down(directory: Path, *, timeout_s: float = 15.0) -> list[tuple[ClusterProcess, str]]:
    """Stop every process of the cluster in ``directory``; return what happened to each."""
    processes = [process for process, _ in cluster_status(directory)]
    results = _stop(processes, timeout_s=timeout_s)
    for process in processes:
        with contextlib.suppress(FileNotFoundError):
            (directory / "run" / f"{process.name}.pid").unlink()
    return results


def _stop(
    processes: list[ClusterProcess], *, timeout_s: float = 15.0
) -> list[tuple[ClusterProcess, str]]:
    """SIGTERM each live process (in the given order), then SIGKILL what outlives the timeout."""
    results = []
    for process in sorted(processes, key=lambda p: _stop_order(Path(p.name + ".pid"))):
        if not is_running(process.pid):
            results.append((process, "not running"))
            continue
        os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while is_running(process.pid) and time.monotonic() < deadline:
            _reap(process.pid)
            time.sleep(0.05)
        if is_running(process.pid):
            os.kill(process.pid, signal.SIGKILL)
            results.append((process, "killed"))
        else:
            results.append((process, "stopped"))
        _reap(process.pid)
    return results


def _reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
