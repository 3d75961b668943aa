"""The controller's watches: reading a watched list and everything under it, then reporting.

Theory of operation
-------------------
The controller learns about the cluster from four lists of znodes, each watched with a one-shot
*child watch* (Kafka's ``BrokerChangeHandler``, ``TopicChangeHandler``,
``TopicDeletionHandler`` and ``IsrChangeNotificationHandler``):

======================================  =====================================================
watched list                            what a change means
======================================  =====================================================
``/brokers/ids``                        a broker registered, or its session ended (failure)
``/brokers/topics``                     a topic was created (or its znode removed by hand)
``/admin/delete_topics``                someone asked for a topic to be deleted
``/isr_change_notification``            a leader changed an ISR and wants brokers told
======================================  =====================================================

A *scan* of one list reads its children (setting the watch again, since it is one-shot) and then
whatever the controller needs under them: each broker's registration and broker epoch (the
``czxid`` of its znode, KIP-380), each new topic's assignment and config, each ISR notification's
partitions.  When the last read has been answered the scan is complete and
:meth:`ClusterWatchers.on_response` returns what it found as one plain result
(:class:`BrokersFound`, :class:`TopicsFound`, :class:`DeletionsFound`, :class:`IsrChangesFound`);
the role decides what to do with it (``controller.py``).

One scan per list runs at a time.  A watch that fires during a scan does not start a second one:
it marks the list for one more scan when the current one completes.  Watches are one-shot and the
re-read sees every change made before it, so nothing is lost: changes made between the event and
the read are seen by the read (see ``coordination/watches.py``).

Bad data never stops the controller: a registration that is not JSON still counts as a live broker
(its session is what matters), a topic whose name is illegal or whose assignment is unreadable is
ignored, and an unreadable ISR notification is just deleted.

Spec IDs: LIVE-3 (the controller hears of every change, so metadata can converge).

Simplified from Kafka: Kafka also watches each topic's znode for added partitions
(``PartitionModificationsHandler``), reassignments and preferred-replica elections under
``/admin``, and config changes under ``/config/changes``; glasskafka reads a topic's config once,
when it first sees the topic.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from glasskafka.controller.context import ControllerContext, LiveBroker
from glasskafka.controller.zk_ops import RoleCtx, make_ctx
from glasskafka.controller.znodes import (
    BROKER_IDS_PATH,
    DELETE_TOPICS_PATH,
    ISR_CHANGE_NOTIFICATION_PATH,
    TOPICS_PATH,
    BrokerRegistration,
    ZnodeFormatError,
    broker_path,
    decode_broker,
    decode_isr_change,
    decode_topic_assignment,
    decode_topic_config,
    topic_config_path,
    topic_path,
)
from glasskafka.coordination.codes import KeeperErrorCode
from glasskafka.coordination.messages import GetChildrenResponse, GetDataResponse, SessionResponse
from glasskafka.ids import BrokerId, PartitionId, TopicName, TopicPartition
from glasskafka.log import LogError, validate_topic

__all__ = [
    "BrokersFound",
    "ClusterWatchers",
    "DeletionsFound",
    "IsrChangesFound",
    "ScanResult",
    "TopicsFound",
    "WatchedList",
]


class WatchedList(enum.Enum):
    """The four watched lists; the value is the ``ctx`` kind of their reads."""

    BROKERS = "brokers"
    TOPICS = "topics"
    DELETIONS = "deletions"
    ISR_CHANGES = "isr"

    @property
    def path(self) -> str:
        return {
            WatchedList.BROKERS: BROKER_IDS_PATH,
            WatchedList.TOPICS: TOPICS_PATH,
            WatchedList.DELETIONS: DELETE_TOPICS_PATH,
            WatchedList.ISR_CHANGES: ISR_CHANGE_NOTIFICATION_PATH,
        }[self]


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokersFound:
    """Every registered broker, with its broker epoch."""

    brokers: dict[BrokerId, LiveBroker]


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicsFound:
    """The topics listed now, and the assignment and config of those new to the controller."""

    present: frozenset[TopicName]
    new: dict[TopicName, tuple[dict[PartitionId, tuple[BrokerId, ...]], dict[str, str]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletionsFound:
    """The topics marked for deletion."""

    topics: tuple[TopicName, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class IsrChangesFound:
    """The partitions leaders reported, and the notification znodes to delete."""

    partitions: tuple[TopicPartition, ...]
    notifications: tuple[str, ...]


ScanResult = BrokersFound | TopicsFound | DeletionsFound | IsrChangesFound


@dataclass(slots=True, kw_only=True)
class _Scan:
    """One scan in progress: reads outstanding and what they found so far."""

    outstanding: int = 1
    children: tuple[str, ...] = ()
    brokers: dict[BrokerId, LiveBroker] = field(default_factory=dict)
    assignments: dict[TopicName, dict[PartitionId, tuple[BrokerId, ...]]] = field(
        default_factory=dict
    )
    configs: dict[TopicName, dict[str, str]] = field(default_factory=dict)
    changed: set[TopicPartition] = field(default_factory=set)


@dataclass(slots=True, kw_only=True)
class ClusterWatchers:
    """The scans in progress, the lists to scan again, and the lists scanned at least once."""

    generation: int
    scans: dict[WatchedList, _Scan] = field(default_factory=dict)
    rescan: set[WatchedList] = field(default_factory=set)
    scanned: set[WatchedList] = field(default_factory=set)

    @property
    def busy(self) -> bool:
        return bool(self.scans)

    def start(self, c: ControllerContext, watched: WatchedList) -> None:
        """Scan ``watched`` now, or once more after the scan in progress."""
        if watched in self.scans:
            self.rescan.add(watched)
            return
        self.scans[watched] = _Scan()
        ctx = make_ctx(watched.value, self.generation, "children")
        c.zk.get_children(watched.path, watch=True, ctx=ctx)

    def on_response(
        self, c: ControllerContext, ctx: RoleCtx, response: SessionResponse
    ) -> ScanResult | None:
        """An answer to one of the scans' reads; the scan's result if that was its last read."""
        watched = WatchedList(ctx.kind)
        scan = self.scans.get(watched)
        if scan is None:
            return None
        match response:
            case GetChildrenResponse() if ctx.step == "children":
                self._on_children(c, watched, scan, response)
            case GetDataResponse():
                self._on_data(watched, scan, ctx, response)
            case _:
                pass
        scan.outstanding -= 1
        if scan.outstanding > 0:
            return None
        del self.scans[watched]
        self.scanned.add(watched)
        if watched in self.rescan:
            self.rescan.discard(watched)
            self.start(c, watched)
        return _result(watched, scan)

    def _read(
        self,
        c: ControllerContext,
        scan: _Scan,
        watched: WatchedList,
        step: str,
        path: str,
        arg: str,
    ) -> None:
        scan.outstanding += 1
        c.zk.get_data(path, ctx=make_ctx(watched.value, self.generation, step, arg))

    def _on_children(
        self, c: ControllerContext, watched: WatchedList, scan: _Scan, response: GetChildrenResponse
    ) -> None:
        if response.error is not KeeperErrorCode.OK:
            return  # NONODE: the list does not exist (yet); nothing under it
        scan.children = tuple(sorted(response.children))
        for child in scan.children:
            match watched:
                case WatchedList.BROKERS if child.isdigit():
                    self._read(c, scan, watched, "broker", broker_path(BrokerId(int(child))), child)
                case WatchedList.TOPICS if _legal(child) and not c.topic_exists(TopicName(child)):
                    topic = TopicName(child)
                    self._read(c, scan, watched, "assignment", topic_path(topic), child)
                    self._read(c, scan, watched, "config", topic_config_path(topic), child)
                case WatchedList.ISR_CHANGES:
                    path = f"{ISR_CHANGE_NOTIFICATION_PATH}/{child}"
                    self._read(c, scan, watched, "notification", path, child)
                case _:
                    pass

    def _on_data(
        self, watched: WatchedList, scan: _Scan, ctx: RoleCtx, response: GetDataResponse
    ) -> None:
        if response.error is not KeeperErrorCode.OK or response.stat is None:
            return  # NONODE: it went away between the list and the read
        arg = ctx.rest
        try:
            match ctx.step:
                case "broker":
                    broker_id = BrokerId(int(arg))
                    scan.brokers[broker_id] = LiveBroker(
                        registration=_registration(broker_id, response.data),
                        broker_epoch=response.stat.czxid,
                    )
                case "assignment":
                    scan.assignments[TopicName(arg)] = decode_topic_assignment(response.data)
                case "config":
                    scan.configs[TopicName(arg)] = decode_topic_config(response.data)
                case "notification":
                    scan.changed.update(decode_isr_change(response.data))
                case _:
                    pass
        except ZnodeFormatError:
            pass  # unreadable: the topic is ignored, the config is empty, the notice is dropped


def _legal(name: str) -> bool:
    try:
        validate_topic(name)
    except LogError:
        return False
    return True


def _registration(broker_id: BrokerId, data: bytes) -> BrokerRegistration:
    """The registration, or a placeholder: a live session counts even with unreadable data."""
    try:
        return decode_broker(broker_id, data)
    except ZnodeFormatError:
        return BrokerRegistration(broker_id=broker_id, host="", port=-1)


def _result(watched: WatchedList, scan: _Scan) -> ScanResult:
    match watched:
        case WatchedList.BROKERS:
            return BrokersFound(brokers=dict(sorted(scan.brokers.items())))
        case WatchedList.TOPICS:
            present = frozenset(TopicName(t) for t in scan.children if _legal(t))
            new = {
                topic: (assignment, scan.configs.get(topic, {}))
                for topic, assignment in sorted(scan.assignments.items())
                if assignment
            }
            return TopicsFound(present=present, new=new)
        case WatchedList.DELETIONS:
            return DeletionsFound(topics=tuple(TopicName(t) for t in scan.children))
        case WatchedList.ISR_CHANGES:
            return IsrChangesFound(
                partitions=tuple(sorted(scan.changed)), notifications=scan.children
            )
