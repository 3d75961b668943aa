"""``glasskafka quickstart``: Kafka's quickstart on real processes, sockets and files.

Theory of operation
-------------------
This is the README's main command.  The simulated quickstart (``glasskafka quickstart --sim``,
``glasskafka.cli.quickstart``) tells the story in virtual time; this one tells it with the runtime
(``glasskafka.runtime``): every node is an operating-system process listening on a free
``127.0.0.1`` port, every question is asked over a socket, and the logs are files in a temporary
directory.  It needs nothing but this package: the processes are ``sys.executable`` running
``glasskafka``.  The steps, in Kafka's vocabulary:

1. start the coordination service and three brokers (``runtime.cluster.cluster_up``: the
   ``glasskafka zookeeper-start`` and ``glasskafka broker-start`` commands a student would type,
   each with its own ``server.properties``), showing pids and ports;
2. read ``/brokers/ids`` and ``/controller`` with the ``zk-shell`` (``runtime.shell_process``);
3. create ``quickstart-events`` (3 partitions, RF 3) with ``glasskafka topics``, then describe it;
4. produce three events with ``acks=all``: one ProduceRequest per event, each carrying a
   RecordBatch v2 built by ``glasskafka.records.encode_batch``, sent to partition 0's leader
   through the blocking Kafka client (``runtime.kafka_client``);
5. consume from the beginning: ListOffsets (earliest, latest), then Fetch until the high
   watermark, decoding the batches;
6. ``kill -9`` the leader of partition 0; its coordination session expires after
   ``zookeeper.session.timeout.ms``, the controller elects a new leader from the ISR, and the
   new leader shows up in Metadata;
7. consume again from the new leader -- the same records at the same offsets (REPL-5's promise);
8. list the brokers' log directories: one directory per partition replica, segment files named by
   base offset, with their sizes on disk;
9. stop every process by its pid file and remove the directory (unless ``--keep``).

Whatever happens -- a failed step, Ctrl-C, a ``kill`` (SIGTERM) or a closed terminal (SIGHUP) --
the ``finally`` of :func:`run_real_quickstart` stops every process the run started, so nothing is
left behind.  The processes run in sessions of their own (``runtime.cluster``), so Ctrl-C reaches
only this command, which then stops them in order; SIGTERM and SIGHUP are turned into an exit
that runs the same ``finally`` (Python's default for them would skip it).

Spec IDs: none (a demonstration; step 7 shows REPL-5's promise, no loss of acks=all data).

Simplified from Kafka: Kafka's quickstart starts one broker and its console tools; this adds two
brokers and a failover.  Timings are real, so unlike the simulated run the output differs from
run to run (ports, pids, which broker wins the controller election).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TextIO

from glasskafka.cli import main
from glasskafka.cli.quickstart import EVENTS, TOPIC
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.log import LOG_SUFFIX
from glasskafka.protocol.messages.fetch import (
    FetchPartition,
    FetchRequest,
    FetchResponse,
    FetchTopic,
)
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopic,
)
from glasskafka.protocol.messages.metadata import MetadataResponse, MetadataResponsePartition
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    ProduceResponse,
    TopicProduceData,
)
from glasskafka.records import DecodedRecord, Record, decode_batch, encode_batch, iter_batches
from glasskafka.runtime.cluster import (
    ClusterProcess,
    cluster_down,
    cluster_up,
    is_running,
)
from glasskafka.runtime.kafka_client import KafkaClient
from glasskafka.runtime.shell_process import run_shell

__all__ = ["run_real_quickstart"]

_BROKERS = 3
_SESSION_TIMEOUT_MS = 6000
"""Shorter than Kafka's 18 s default, so the failover is quick to watch (as in the simulator)."""
_ACKS_ALL = -1
_EARLIEST, _LATEST = -2, -1
"""ListOffsets' special timestamps (ListOffsetsRequest.json)."""
_WAIT_S = 30.0
"""How long a step may wait for the cluster (a new leader, the high watermark) before failing."""


def run_real_quickstart(*, keep: bool, out: TextIO) -> int:
    """Run the narrated quickstart on real processes; return 0, or raise
    :class:`GlassKafkaError` if a step fails.  Every process started is stopped on the way out,
    and the temporary directory is removed unless ``keep``."""
    started = time.monotonic()
    directory = Path(tempfile.mkdtemp(prefix="glasskafka-quickstart-"))
    talk = _Narrator(out)
    out.write(f"glasskafka quickstart: {_BROKERS} broker processes on 127.0.0.1, ")
    out.write(f"files in {directory}\n")
    out.flush()
    stopped = False
    with _TerminationGuard() as guard:
        try:
            processes = _start(directory, talk)
            _show_registrations(processes, talk)
            bootstrap = ",".join(p.address for p in processes[1:])
            _create_topic(bootstrap, talk)
            offsets = _produce(bootstrap, talk)
            end = offsets[-1] + 1
            before = _consume(bootstrap, talk, "Consume partition 0 from the beginning", end)
            survivors = _fail_over(processes, talk)
            after = _consume(survivors, talk, "Consume partition 0 again, from the new leader", end)
            _compare(talk, offsets, before, after)
            _show_disks(directory, processes, talk)
            talk.step("Stop")
            guard.cleaning_up()
            _stop(directory, processes, talk)
            stopped = True
            talk.say(f"Everything ran for {time.monotonic() - started:.1f} s of real time.")
        finally:
            guard.cleaning_up()
            if not stopped:
                cluster_down(directory, timeout_s=5.0)
            if keep:
                talk.say(f"Kept {directory} (config/, data/, logs/).")
            else:
                shutil.rmtree(directory, ignore_errors=True)
                talk.say(f"Removed {directory}.")
    return 0


class _TerminationGuard:
    """While the run lasts, SIGTERM and SIGHUP stop it the way Ctrl-C does, through its
    ``finally``, instead of Python's default for them, which would leave the cluster's processes
    running; the command then exits with status 128 + the signal's number, as a shell reports a
    killed command.  Once the cleanup has begun (:meth:`cleaning_up`), a further one is noted but
    cannot cut it short.

    "The way Ctrl-C does" is meant literally: the handler calls whatever handles SIGINT at that
    moment -- Python's, which raises KeyboardInterrupt, or, inside ``asyncio.run`` (the zk-shell
    steps), asyncio's, which cancels the running task first so the event loop closes cleanly.
    Signal handlers can only be set from the main thread; elsewhere the guard does nothing.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.previous: dict[int, object] = {}
        self.cleaning = False
        self.received: int | None = None

    def __enter__(self) -> _TerminationGuard:
        if threading.current_thread() is threading.main_thread():
            self.previous = {int(s): signal.signal(s, self._on_signal) for s in self.SIGNALS}
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        if self.received is not None and kind in (None, KeyboardInterrupt):
            raise SystemExit(128 + self.received)

    def cleaning_up(self) -> None:
        self.cleaning = True

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        first = self.received is None
        self.received = signum
        if self.cleaning or not first:
            return
        interrupt = signal.getsignal(signal.SIGINT)
        if callable(interrupt):
            interrupt(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt


class _Narrator:
    """Numbered steps and indented details, flushed at once (the run takes real seconds)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step_number = 0

    def step(self, title: str) -> None:
        self.step_number += 1
        self.out.write(f"\nStep {self.step_number}. {title}\n")
        self.out.flush()

    def say(self, line: str = "") -> None:
        self.out.write(f"  {line}\n" if line else "\n")
        self.out.flush()


# ---------------------------------------------------------------------------------------------
# Steps 1-3: processes, registrations, the topic


def _start(directory: Path, talk: _Narrator) -> list[ClusterProcess]:
    talk.step(f"Start the coordination service and {_BROKERS} brokers")
    overrides = {"zookeeper.session.timeout.ms": str(_SESSION_TIMEOUT_MS)}
    processes = cluster_up(directory, brokers=_BROKERS, overrides=overrides)
    for process in processes:
        if process.name == "zookeeper":
            command, config = "zookeeper-start", directory / "config" / "zookeeper.properties"
        else:
            number = process.name.removeprefix("broker-")
            command, config = "broker-start", directory / "config" / f"server-{number}.properties"
        talk.say(f"$ glasskafka {command} {config} &")
        talk.say(f"    {process.name}: pid {process.pid}, listening on {process.address}")
    talk.say(f"Each process writes its pid to {directory / 'run'}/<name>.pid and its log lines")
    talk.say(f"to {directory / 'logs'}/<name>.log; the brokers' log.dirs are under data/.")
    return processes


def _new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop, built with Ctrl-C and the guard's signals held back.

    A signal handled while CPython 3.11 is still building a selector loop raises inside its
    constructor, and the half-built loop's ``__del__`` then prints a traceback.  Held back, the
    signal is handled as soon as the loop exists, and the loop is closed as usual."""
    held = {signal.SIGINT, *_TerminationGuard.SIGNALS}
    if threading.current_thread() is not threading.main_thread():
        return asyncio.new_event_loop()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        return asyncio.new_event_loop()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _zk_shell(zookeeper: ClusterProcess, command: str) -> list[str]:
    """What ``glasskafka zk-shell -server <address> <command>`` prints, minus the banner."""
    host, _, port = zookeeper.address.rpartition(":")
    printed = io.StringIO()
    shell = run_shell((host, int(port)), [command], out=printed)
    try:
        with asyncio.Runner(loop_factory=_new_event_loop) as runner:
            status = runner.run(shell)
    except asyncio.CancelledError as cancelled:
        # Only Ctrl-C (or the guard's SIGTERM/SIGHUP, which acts as one) cancels the shell's
        # task.  asyncio turns that into KeyboardInterrupt only when the task was cancelled
        # exactly once; the shell's own clean-up may cancel it again, so say it here.
        raise KeyboardInterrupt from cancelled
    finally:
        shell.close()  # a no-op once run; spares a warning if Ctrl-C came before it started
    lines = printed.getvalue().splitlines()
    # zkCli.sh's banner ends with the SyncConnected event; the command's answer follows it.
    marker = next((i for i, line in enumerate(lines) if "state:SyncConnected" in line), -1)
    answer = [line for line in lines[marker + 1 :] if line]
    if status != 0:
        raise GlassKafkaError(f"zk-shell {command!r} failed: {' '.join(answer)}")
    return answer


def _show_registrations(processes: list[ClusterProcess], talk: _Narrator) -> None:
    talk.step("Brokers register and elect a controller")
    zookeeper = processes[0]
    for command in ("ls /brokers/ids", "get /controller", "get /controller_epoch"):
        talk.say(f"$ glasskafka zk-shell -server {zookeeper.address} {command}")
        for line in _zk_shell(zookeeper, command):
            talk.say(f"    {line}")
    controller, epoch = _controller(zookeeper)
    talk.say("Each broker created its ephemeral registration /brokers/ids/<id> (host and port);")
    talk.say(
        f"broker {controller} created the ephemeral /controller first and is the controller, "
        f"with controller epoch {epoch}."
    )
    talk.say("The others watch /controller and stand again if it disappears.")


def _controller(zookeeper: ClusterProcess) -> tuple[int, int]:
    """The controller's broker id and the controller epoch, read from their znodes."""
    # /controller holds {"version":1,"brokerid":N,"timestamp":...} (Kafka's ControllerZNode).
    data = " ".join(_zk_shell(zookeeper, "get /controller"))
    found = data.partition('"brokerid":')[2].split(",")[0].split("}")[0].strip()
    epoch = " ".join(_zk_shell(zookeeper, "get /controller_epoch")).strip()
    if not found.lstrip("-").isdigit() or not epoch.isdigit():
        raise GlassKafkaError(f"unexpected /controller or /controller_epoch: {data!r}, {epoch!r}")
    return int(found), int(epoch)


def _topics_command(*args: str) -> list[str]:
    """Run ``glasskafka topics`` in this process; its output lines, or an error naming it."""
    printed, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
        status = main(["topics", *args])
    if status != 0:
        raise GlassKafkaError(f"glasskafka topics {' '.join(args)}: {errors.getvalue().strip()}")
    return printed.getvalue().splitlines()


def _create_topic(bootstrap: str, talk: _Narrator) -> None:
    talk.step(f"Create topic {TOPIC} with 3 partitions and replication factor 3")
    create = ("--create", "--topic", TOPIC, "--partitions", "3", "--replication-factor", "3")
    describe = ("--describe", "--topic", TOPIC)
    for args in (create, describe):
        first = bootstrap.split(",")[0]
        talk.say(f"$ glasskafka topics {' '.join(args)} --bootstrap-server {first}")
        for line in _topics_command(*args, "--bootstrap-server", bootstrap):
            talk.say(line)
    talk.say("Placement (the course's rule): partition i's first replica, its preferred leader,")
    talk.say("is on broker i mod 3 of the sorted brokers, and its j-th replica on (i + j) mod 3.")


# ---------------------------------------------------------------------------------------------
# Steps 4-5: produce and consume through the Kafka protocol


def _leader(client: KafkaClient) -> tuple[int, tuple[str, int], MetadataResponse]:
    """Partition 0's leader id and address, from Metadata; raises if it has none."""
    metadata = client.metadata([TOPIC])
    partition = _partition_zero(metadata)
    addresses = {b.node_id: (b.host, b.port) for b in metadata.brokers}
    if partition is None or partition.leader_id not in addresses:
        raise GlassKafkaError(f"{TOPIC}-0 has no leader in Metadata")
    return partition.leader_id, addresses[partition.leader_id], metadata


def _partition_zero(metadata: MetadataResponse) -> MetadataResponsePartition | None:
    for topic in metadata.topics:
        if topic.name == TOPIC and topic.error_code == ErrorCode.NONE:
            return next((p for p in topic.partitions if p.partition_index == 0), None)
    return None


def _produce(bootstrap: str, talk: _Narrator) -> list[int]:
    talk.step("Produce three events to partition 0 with acks=all")
    offsets = []
    with KafkaClient(bootstrap, client_id="quickstart-producer") as client:
        leader, address, _ = _leader(client)
        talk.say("ProduceRequest with acks=-1 (all), one RecordBatch v2 per event, to the leader,")
        talk.say(f"broker {leader} at {address[0]}:{address[1]}:")
        for event in EVENTS:
            # CreateTime timestamps, as a producer stamps them (KIP-32); the CLI may read clocks.
            batch = encode_batch([Record(value=event, timestamp=int(time.time() * 1000))])
            data = PartitionProduceData(index=0, records=batch)
            request = ProduceRequest(
                acks=_ACKS_ALL,
                timeout_ms=30000,
                topic_data=(TopicProduceData(name=TOPIC, partition_data=(data,)),),
            )
            answer = client.request(address, request)
            assert isinstance(answer, ProduceResponse)
            result = answer.responses[0].partition_responses[0]
            if result.error_code != ErrorCode.NONE:
                raise GlassKafkaError(
                    f"producing {event!r} failed: {ErrorCode(result.error_code).name}"
                )
            offsets.append(result.base_offset)
            talk.say(f"> {event.decode():<24} -> partition 0, offset {result.base_offset}")
    talk.say(f"Broker {leader} answered each one only after every replica in the ISR had it.")
    return offsets


def _consume(bootstrap: str, talk: _Narrator, title: str, produced_end: int) -> list[DecodedRecord]:
    """Read partition 0 from the beginning up to the high watermark, once the leader's high
    watermark covers ``produced_end`` (the offset after the last acknowledged record)."""
    talk.step(title)
    with KafkaClient(bootstrap, client_id="quickstart-consumer") as client:
        leader, address, _ = _leader(client)
        earliest = _list_offset(client, address, _EARLIEST)
        first_seen = latest = _list_offset(client, address, _LATEST)
        deadline = time.monotonic() + _WAIT_S
        while latest < produced_end and time.monotonic() < deadline:
            time.sleep(0.1)
            latest = _list_offset(client, address, _LATEST)
        talk.say(
            f"ListOffsets at leader broker {leader}: earliest offset {earliest}, "
            f"latest offset (the high watermark) {latest}"
        )
        if first_seen < latest:
            _tell_lagging_high_watermark(talk, first_seen, latest)
        talk.say(f"FetchRequest from offset {earliest} (--from-beginning):")
        records = _fetch_all(client, address, start=earliest, end=latest)
    for record in records:
        value = "null" if record.value is None else record.value.decode(errors="replace")
        talk.say(f"offset {record.offset}  key=null  value={value}")
    talk.say(f"({len(records)} records, read from leader broker {leader})")
    return records


def _tell_lagging_high_watermark(talk: _Narrator, first_seen: int, latest: int) -> None:
    # A follower learns the high watermark from the leader's fetch responses, one round behind
    # (Kafka's replication design; KIP-101 "Motivation").  A follower that becomes leader starts
    # from its own, possibly older, high watermark and advances it when the other ISR members
    # fetch from it.  Nothing below the old leader's high watermark is lost, only not yet shown.
    talk.say(
        f"(At first it answered {first_seen}: a new leader starts from the high watermark it "
        "had as a follower,"
    )
    talk.say(f" which lags by one fetch; it moved to {latest} once the ISR fetched from it.)")


def _list_offset(client: KafkaClient, address: tuple[str, int], timestamp: int) -> int:
    partition = ListOffsetsPartition(partition_index=0, timestamp=timestamp)
    request = ListOffsetsRequest(
        replica_id=-1, topics=(ListOffsetsTopic(name=TOPIC, partitions=(partition,)),)
    )
    answer = client.request(address, request)
    assert isinstance(answer, ListOffsetsResponse)
    result = answer.topics[0].partitions[0]
    if result.error_code != ErrorCode.NONE:
        raise GlassKafkaError(f"ListOffsets failed: {ErrorCode(result.error_code).name}")
    return result.offset


def _fetch_all(
    client: KafkaClient, address: tuple[str, int], *, start: int, end: int
) -> list[DecodedRecord]:
    """Fetch from ``start`` until ``end`` (the high watermark ListOffsets gave), retrying while
    the leader is still settling (a new leader's high watermark may need a round of follower
    fetches to catch up, KIP-101)."""
    records: list[DecodedRecord] = []
    deadline = time.monotonic() + _WAIT_S
    while start + len(records) < end:
        wanted = FetchPartition(
            partition=0, fetch_offset=start + len(records), partition_max_bytes=1 << 20
        )
        request = FetchRequest(
            max_wait_ms=500, min_bytes=1, topics=(FetchTopic(topic=TOPIC, partitions=(wanted,)),)
        )
        answer = client.request(address, request)
        assert isinstance(answer, FetchResponse)
        data = answer.responses[0].partitions[0]
        if data.error_code == ErrorCode.NONE and data.records:
            offset = start + len(records)
            for position, _ in iter_batches(data.records):
                batch = decode_batch(data.records, position)
                records += [r for r in batch.records if r.offset >= offset]
        if time.monotonic() > deadline:
            name = ErrorCode(data.error_code).name
            raise GlassKafkaError(f"fetching {TOPIC}-0 did not reach offset {end} ({name})")
    return records


# ---------------------------------------------------------------------------------------------
# Steps 6-7: the failover


def _fail_over(processes: list[ClusterProcess], talk: _Narrator) -> str:
    """Kill partition 0's leader; wait for Metadata to name a new one; return the survivors'
    bootstrap string."""
    brokers = processes[1:]
    with KafkaClient(",".join(p.address for p in brokers)) as client:
        old, _, metadata = _leader(client)
    before = _partition_zero(metadata)
    assert before is not None  # _leader found it
    victim = next(p for p in brokers if p.name == f"broker-{old}")
    directory = victim.log_file.parent.parent
    talk.step(f"Kill the leader of partition 0, broker {old}")
    talk.say(f"$ kill -9 $(cat {directory / 'run' / victim.name}.pid)    # pid {victim.pid}")
    os.kill(victim.pid, signal.SIGKILL)
    _wait_gone(victim.pid)
    talk.say(f"{victim.name} died at once: no clean shutdown; its files stay on disk.")
    talk.say(
        f"Its session expires after zookeeper.session.timeout.ms={_SESSION_TIMEOUT_MS}: "
        f"/brokers/ids/{old} disappears,"
    )
    talk.say("and the controller's watch on /brokers/ids fires.")
    survivors = ",".join(p.address for p in brokers if p is not victim)
    killed_at = time.monotonic()
    after = _wait_for_new_leader(survivors, old)
    waited_s = time.monotonic() - killed_at
    _tell_election(processes[0], talk, before, after, old_controller=metadata.controller_id)
    talk.say(f"(Metadata named the new leader {waited_s:.1f} s after the kill.)")
    talk.say(f"$ glasskafka zk-shell -server {processes[0].address} ls /brokers/ids")
    for line in _zk_shell(processes[0], "ls /brokers/ids"):
        talk.say(f"    {line}")
    first = survivors.split(",")[0]
    talk.say(f"$ glasskafka topics --describe --topic {TOPIC} --bootstrap-server {first}")
    for line in _topics_command("--describe", "--topic", TOPIC, "--bootstrap-server", survivors):
        talk.say(line)
    return survivors


def _tell_election(
    zookeeper: ClusterProcess,
    talk: _Narrator,
    before: MetadataResponsePartition,
    after: MetadataResponsePartition,
    *,
    old_controller: int,
) -> None:
    """Narrate who elected whom, from the znodes and the two Metadata answers."""
    controller, controller_epoch = _controller(zookeeper)
    if old_controller == before.leader_id:
        talk.say(f"Broker {old_controller} was also the controller: /controller disappeared too,")
        talk.say(
            f"and broker {controller} won the new election, with controller epoch "
            f"{controller_epoch}."
        )
    if after.leader_id not in before.isr_nodes:
        raise GlassKafkaError(f"broker {after.leader_id} was elected from outside the ISR")
    isr = ", ".join(map(str, before.isr_nodes))
    talk.say(
        f"Controller broker {controller} elected broker {after.leader_id} leader of {TOPIC}-0:"
    )
    talk.say(f"the first live replica, in assignment order, of the ISR [{isr}].")
    talk.say(
        f"Leader epoch {before.leader_epoch} -> {after.leader_epoch}; ISR now "
        f"[{', '.join(map(str, after.isr_nodes))}].  LeaderAndIsr and UpdateMetadata told the "
        "brokers."
    )


def _wait_gone(pid: int) -> None:
    """Until ``pid`` has exited, collecting its exit status (it is this process's child)."""
    deadline = time.monotonic() + 10.0
    while is_running(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)


def _wait_for_new_leader(survivors: str, old: int) -> MetadataResponsePartition:
    """Poll Metadata until partition 0's leader is a live broker other than ``old``."""
    deadline = time.monotonic() + _WAIT_S + _SESSION_TIMEOUT_MS / 1000
    with KafkaClient(survivors, timeout_s=5.0) as client:
        while time.monotonic() < deadline:
            partition = _partition_zero(client.metadata([TOPIC]))
            if partition is not None and partition.leader_id not in (old, -1):
                return partition
            time.sleep(0.2)
    raise GlassKafkaError(f"no new leader was elected for {TOPIC}-0")


def _compare(
    talk: _Narrator, offsets: list[int], before: list[DecodedRecord], after: list[DecodedRecord]
) -> None:
    produced = [(offset, event) for offset, event in zip(offsets, EVENTS, strict=True)]
    for name, records in (("first", before), ("second", after)):
        consumed = [(r.offset, r.value) for r in records]
        if consumed != produced:
            raise GlassKafkaError(f"the {name} read gave {consumed}, not {produced}")
    talk.say(f"Nothing acknowledged was lost: the same {len(after)} records at the same offsets.")
    talk.say("acks=all waited for the whole ISR, and the new leader came from the ISR.")


# ---------------------------------------------------------------------------------------------
# Steps 8-9: the disks, and stopping


def _show_disks(directory: Path, processes: list[ClusterProcess], talk: _Narrator) -> None:
    talk.step("Where the data lives: each broker's log directory (real files)")
    for process in processes[1:]:
        log_dir = directory / "data" / f"kafka-logs-{process.name.removeprefix('broker-')}"
        state = "running" if is_running(process.pid) else "killed"
        talk.say(f"{process.name} ({state}, log.dirs={log_dir}):")
        for path in sorted(log_dir.glob(f"{TOPIC}-*/*{LOG_SUFFIX}")):
            size = path.stat().st_size
            talk.say(f"  {process.name}: {path.relative_to(log_dir)} ({size} bytes)")
    talk.say("One directory per partition replica (<topic>-<partition>), one segment file per")
    talk.say("base offset; partitions 1 and 2 are empty because every event went to partition 0.")
    last = processes[-1]
    partition_dir = directory / "data" / f"kafka-logs-{last.name.removeprefix('broker-')}"
    partition_dir = partition_dir / f"{TOPIC}-0"
    talk.say(f"Beside each segment, its indexes; {last.name}'s {TOPIC}-0 in full:")
    for path in sorted(partition_dir.iterdir()):
        talk.say(f"  {path.name:<32} {path.stat().st_size:>6} bytes")
    talk.say("(.index maps offsets to file positions, .timeindex timestamps to offsets, both")
    talk.say("sparse; leader-epoch-checkpoint lists each leader epoch's first offset, KIP-101.)")


def _stop(directory: Path, processes: list[ClusterProcess], talk: _Narrator) -> None:
    """Stop every process by its pid file (brokers first, as Kafka's stop order), then check
    by pid that none outlived it."""
    talk.say(f"$ glasskafka cluster down --dir {directory}")
    for process, outcome in cluster_down(directory):
        talk.say(f"{process.name}: pid {process.pid} {outcome}")
    left = [p.name for p in processes if is_running(p.pid)]
    if left:
        raise GlassKafkaError(f"still running after the stop: {', '.join(left)}")
