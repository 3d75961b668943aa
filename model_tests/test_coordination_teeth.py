"""Teeth for the coordination model suite: servers broken on purpose, each caught.

Each variant below is defined here, not in the package, and breaks one promise of
``specs/coordination.py`` the way a plausible bug would: watches that stay set after firing
(COORD-4), conditional writes that ignore the expected version (COORD-5), ephemerals that outlive
their session (COORD-2, COORD-6), deletes that leave orphans behind (COORD-1), ``setData`` that
forgets to bump the version (COORD-3), sessions that expire after half their timeout (COORD-9).
The test runs :class:`~model_tests.test_coordination_model.CoordinationMachine` against each and
asserts that Hypothesis finds the violation, named by its ID.  Only the generate phase runs:
finding the violation is the point, and shrinking it would cost seconds per variant.
"""

from __future__ import annotations

import dataclasses

import pytest
from glasskafka.config import CoordinationConfig
from glasskafka.coordination.codes import KeeperErrorCode, SessionId, Zxid
from glasskafka.coordination.paths import SPECIAL_PATHS
from glasskafka.coordination.server import CoordinationServer
from glasskafka.coordination.sessions import SessionTracker
from glasskafka.coordination.tree import Change, DataTree, TreeResult
from glasskafka.coordination.watches import WatchManager
from glasskafka.ids import Millis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from model_tests.test_coordination_model import CONFIG, CoordinationMachine


class RepeatingWatches(WatchManager):
    """Watches that fire but stay set: not one-shot."""

    def _take(self, table: dict[str, set[SessionId]], path: str) -> set[SessionId]:
        return set(table.get(path, set()))


class RepeatingWatchServer(CoordinationServer):
    def __init__(self, *, config: CoordinationConfig) -> None:
        super().__init__(config=config)
        self.watches = RepeatingWatches()


class VersionBlindTree(DataTree):
    """A tree whose conditional writes ignore the expected version."""

    def version_matches(self, *, expected: int, actual: int) -> bool:
        return True


class VersionBlindServer(CoordinationServer):
    def __init__(self, *, config: CoordinationConfig) -> None:
        super().__init__(config=config)
        self.tree = VersionBlindTree()


class EphemeralKeepingServer(CoordinationServer):
    """A server that forgets to delete a session's ephemerals when it ends."""

    def delete_ephemerals(self, session_id: SessionId, zxid: Zxid) -> list[Change]:
        return []


class OrphaningTree(DataTree):
    """A tree whose delete forgets to check for children, leaving orphans behind."""

    def delete(self, path: str, *, version: int, zxid: Zxid) -> TreeResult:
        znode = self.znodes.get(path)
        if znode is not None and path not in SPECIAL_PATHS:
            self.znodes[path] = dataclasses.replace(znode, children=())
        return super().delete(path, version=version, zxid=zxid)


class OrphaningServer(CoordinationServer):
    def __init__(self, *, config: CoordinationConfig) -> None:
        super().__init__(config=config)
        self.tree = OrphaningTree()


class StaleVersionTree(DataTree):
    """A tree whose setData forgets to bump the version."""

    def set_data(
        self, path: str, data: bytes, *, version: int, zxid: Zxid, now_ms: Millis
    ) -> TreeResult:
        result = super().set_data(path, data, version=version, zxid=zxid, now_ms=now_ms)
        if result.error is KeeperErrorCode.OK:
            znode = self.znodes[path]
            self.znodes[path] = dataclasses.replace(znode, version=znode.version - 1)
        return result


class StaleVersionServer(CoordinationServer):
    def __init__(self, *, config: CoordinationConfig) -> None:
        super().__init__(config=config)
        self.tree = StaleVersionTree()


class HastyTracker(SessionTracker):
    """Sessions that expire after half their timeout."""

    def deadline(self, now_ms: Millis, *, timeout_ms: int) -> Millis:
        return Millis(now_ms + timeout_ms // 2)


class HastyExpiryServer(CoordinationServer):
    def __init__(self, *, config: CoordinationConfig) -> None:
        super().__init__(config=config)
        self.sessions = HastyTracker(
            tick_time_ms=config.tick_time,
            min_session_timeout_ms=config.min_session_timeout,
            max_session_timeout_ms=config.max_session_timeout,
        )


TEETH_SETTINGS = settings(
    max_examples=400,
    stateful_step_count=25,
    database=None,
    deadline=None,
    phases=(Phase.generate,),  # finding the violation is the point; shrinking it costs seconds
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(
    ("broken", "violated"),
    [
        (RepeatingWatchServer, r"COORD-4"),
        (VersionBlindServer, r"COORD-5"),
        (EphemeralKeepingServer, r"COORD-(2|6)"),
        (OrphaningServer, r"COORD-1"),
        (StaleVersionServer, r"COORD-3"),
        (HastyExpiryServer, r"COORD-9"),
    ],
    ids=[
        "watches-fire-twice",
        "versions-ignored",
        "ephemerals-outlive-session",
        "delete-leaves-orphans",
        "set-keeps-version",
        "sessions-expire-early",
    ],
)
def test_suite_catches_a_broken_server(broken: type[CoordinationServer], violated: str) -> None:
    """Teeth: with a broken server, Hypothesis finds a violation of the named invariant."""

    class BrokenMachine(CoordinationMachine):
        def make_server(self) -> CoordinationServer:
            return broken(config=CONFIG)

    with pytest.raises(AssertionError, match=violated):
        run_state_machine_as_test(BrokenMachine, settings=TEETH_SETTINGS)
