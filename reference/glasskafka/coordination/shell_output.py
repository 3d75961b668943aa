"""What ``zkCli.sh`` prints: stat blocks, times, child lists, error lines and watch events.

Theory of operation
-------------------
Students read ZooKeeper transcripts in their course notes, so glasskafka's shell prints the same
lines, taken from ZooKeeper 3.6's command-line classes:

* a **stat block** is ``StatPrinter``'s eleven ``name = value`` lines; zxids and the ephemeral
  owner in lower-case hexadecimal with ``0x`` (Java's ``Long.toHexString``: two's complement for
  negative values), times as Java's ``Date.toString()`` -- ``Thu Jan 01 00:00:00 UTC 1970``.
  ZooKeeper uses the JVM's time zone; glasskafka always prints UTC so output is reproducible;
* a **child list** is ``[a, b]``, sorted (``LsCommand.printChildren``);
* **data** is printed as UTF-8 text, undecodable bytes replaced (Java's ``new String(bytes,
  UTF_8)``), and ``null`` for a znode without data (``GetCommand``);
* a failed request prints ``CliWrapperException``'s line, e.g. ``Node does not exist: /x``, or
  ``KeeperErrorCode = ConnectionLoss for /x`` for codes it has no sentence for;
* a **watch event** prints as ``WATCHER::`` and ``WatchedEvent state:... type:... path:...``, each
  after an empty line (``ZooKeeperMain.printMessage``), with ``null`` for a state change's path.

Spec IDs: none (presentation only).

Simplified from Kafka: ZooKeeper distinguishes a ``null`` data field from empty data and prints the
first as ``null`` and the second as an empty line; glasskafka stores empty bytes for both and
prints ``null``, which is what a znode created by ``create /path`` shows on a real server.
"""

from __future__ import annotations

import datetime

from glasskafka.coordination.codes import EventType, KeeperErrorCode, KeeperState
from glasskafka.coordination.messages import WatchEvent
from glasskafka.coordination.znode import Stat

__all__ = [
    "format_children",
    "format_data",
    "format_error",
    "format_hex",
    "format_stat",
    "format_state_change",
    "format_time",
    "format_watch_event",
]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

_SENTENCES: dict[KeeperErrorCode, str] = {
    KeeperErrorCode.NONODE: "Node does not exist: {path}",
    KeeperErrorCode.NOCHILDRENFOREPHEMERALS: "Ephemerals cannot have children: {path}",
    KeeperErrorCode.NODEEXISTS: "Node already exists: {path}",
    KeeperErrorCode.NOTEMPTY: "Node not empty: {path}",
    KeeperErrorCode.NOTREADONLY: "Not a read-only call: {path}",
    KeeperErrorCode.INVALIDACL: "Acl is not valid : {path}",
    KeeperErrorCode.NOAUTH: "Insufficient permission : {path}",
    KeeperErrorCode.BADARGUMENTS: "Arguments are not valid : {path}",
    KeeperErrorCode.BADVERSION: "version No is not valid : {path}",
}
"""``CliWrapperException.getMessage``'s sentences (ZooKeeper 3.6), by code."""


def format_hex(value: int) -> str:
    """``0x`` and Java's ``Long.toHexString``: lower case, 64-bit two's complement."""
    return f"0x{value & 0xFFFF_FFFF_FFFF_FFFF:x}"


def format_time(ms: int) -> str:
    """Java's ``Date.toString()`` of ``ms`` since the epoch, in UTC.

    The pattern is ``EEE MMM dd HH:mm:ss zzz yyyy`` with English names, whatever the locale.
    """
    try:
        moment = _EPOCH + datetime.timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} ms since the epoch"  # beyond the years 1-9999 that Python can print
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC {moment.year}"
    )


def format_stat(stat: Stat) -> list[str]:
    """``StatPrinter.print``: the eleven lines of a stat block."""
    return [
        f"cZxid = {format_hex(stat.czxid)}",
        f"ctime = {format_time(stat.ctime_ms)}",
        f"mZxid = {format_hex(stat.mzxid)}",
        f"mtime = {format_time(stat.mtime_ms)}",
        f"pZxid = {format_hex(stat.pzxid)}",
        f"cversion = {stat.cversion}",
        f"dataVersion = {stat.version}",
        f"aclVersion = {stat.aversion}",
        f"ephemeralOwner = {format_hex(stat.ephemeral_owner)}",
        f"dataLength = {stat.data_length}",
        f"numChildren = {stat.num_children}",
    ]


def format_children(children: tuple[str, ...]) -> str:
    """``ls``'s one line: the children sorted, as ``[a, b]``."""
    return "[" + ", ".join(sorted(children)) + "]"


def format_data(data: bytes) -> str:
    """``get``'s data line: UTF-8 text, or ``null`` for a znode without data."""
    return data.decode("utf-8", errors="replace") if data else "null"


def format_error(error: KeeperErrorCode, path: str) -> str:
    """The line ``zkCli.sh`` prints when a request on ``path`` failed with ``error``."""
    sentence = _SENTENCES.get(error)
    if sentence is not None:
        return sentence.format(path=path)
    return f"KeeperErrorCode = {error.message} for {path}"


def format_watch_event(event: WatchEvent) -> list[str]:
    """``MyWatcher.process``: ``WATCHER::`` and the event, each after an empty line."""
    path = event.path if event.path else "null"
    described = f"WatchedEvent state:{event.state.name} type:{event.type.label} path:{path}"
    return ["", "WATCHER::", "", described]


def format_state_change(state: KeeperState) -> list[str]:
    """The lines for a connection-state notification (type ``None``, path ``null``)."""
    return format_watch_event(WatchEvent(type=EventType.None_, state=state, path=""))
