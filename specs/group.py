"""Consumer groups: what the group coordinator promises its members, as checkable predicates.

Specification
-------------
A consumer group advances through *generations*.  The coordinator starts a new generation each
time a join phase ends, and the number rises by exactly one each time, also when the phase ends
with nobody left (the group then becomes Empty).  Only these completions move it: no other input
changes a group's generation, and it never goes down while a coordinator holds the group.  A
coordinator that takes over a group (after a failover of its ``__consumer_offsets`` partition)
resumes it at the generation of the last group record committed to that partition, or 0 if there
is none (GROUP-1).  A generation whose assignment was never stored is forgotten by a failover,
and its number is handed out again: the promise is about each coordinator's tenure and the log.

The leader chooses the assignment, but the coordinator hands it out: whatever a member receives in
a successful SyncGroup answer is its assignment in that generation.  Within one generation of a
group, no partition is handed to two different members (GROUP-2).

A committed offset may move only at the request of someone who owns the right to move it.  An
OffsetCommit is accepted only from a member of the group that names the group's current generation
while the group is not completing a rebalance, or -- for consumers that assign partitions themselves
-- with a negative generation while the group has no members (GROUP-3).  Anything else is refused
(ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS).

A group's state changes only along the table of §10.1 of ``reference/clients-and-groups.md``:
Empty to PreparingRebalance; PreparingRebalance to CompletingRebalance or Empty;
CompletingRebalance to Stable or PreparingRebalance; Stable to PreparingRebalance; and any state to
Dead.  The changes a coordinator reports for one input form an unbroken chain from the state
before the input to the state after it; a group the coordinator lets go of ends Dead (GROUP-4).

A JoinGroup or SyncGroup the coordinator parks is answered -- with the generation, the
assignment, or an error telling the member what to do -- within the largest rebalance timeout of
the group's members (or the initial rebalance delay, if that is longer), provided the host
completes the appends the coordinator asks for (GROUP-5).

An acknowledged offset commit is durable: OffsetFetch, from this coordinator or a later one,
returns for each partition the offset of the last acknowledged commit, or the offset of a commit
whose answer is still outstanding (GROUP-6).

The predicates read plain observations recorded by the model tests around each input (the
coordinator's :class:`GroupSnapshot` before and after, the transitions it reported, the answers
members received, what the offsets log holds); none of them looks inside the coordinator.

Spec IDs: GROUP-1 .. GROUP-6, checked by ``model_tests/test_group_model.py`` (teeth in
``model_tests/test_group_teeth.py``).

Simplified from Kafka: the specification covers the classic protocol only (not KIP-848's), and
dynamic members only (no static membership, KIP-345).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from specs.catalogue import spec

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CommitObservation",
    "FetchObservation",
    "GroupSnapshot",
    "GroupStepObservation",
    "HandedOut",
    "ParkedObservation",
    "StateChange",
    "acknowledged_commits_are_durable",
    "commits_only_from_current_generation",
    "generations_advance_one_join_phase_at_a_time",
    "one_owner_per_partition_per_generation",
    "parked_requests_are_answered",
    "states_follow_the_table",
]

_PREPARING = "PreparingRebalance"

ALLOWED_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("Empty", "PreparingRebalance"),
        ("PreparingRebalance", "CompletingRebalance"),
        ("PreparingRebalance", "Empty"),
        ("CompletingRebalance", "Stable"),
        ("CompletingRebalance", "PreparingRebalance"),
        ("Stable", "PreparingRebalance"),
    }
    | {(state, "Dead") for state in ("Empty", _PREPARING, "CompletingRebalance", "Stable", "Dead")}
)
"""§10.1's table, written out independently of ``glasskafka.group.state``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupSnapshot:
    """One group as its coordinator shows it: state name, generation and member ids."""

    state: str
    generation_id: int
    members: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChange:
    """One state change the coordinator reported."""

    source: str
    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupStepObservation:
    """One input to one coordinator, seen from one group.

    ``before``/``after`` are ``None`` when the coordinator did not hold the group.  ``loaded`` is
    true for the input that loaded the group from the log, and ``stored_generation`` is then the
    generation of the last group record the log holds for it (``None``: no such record).
    """

    group_id: str
    before: GroupSnapshot | None
    after: GroupSnapshot | None
    changes: tuple[StateChange, ...]
    loaded: bool = False
    stored_generation: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HandedOut:
    """A successful SyncGroup answer: the partitions a member got in a generation."""

    group_id: str
    generation_id: int
    member_id: str
    partitions: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitObservation:
    """An OffsetCommit, the group as the coordinator held it when it arrived, and the verdict.

    ``group`` is ``None`` when the coordinator held no such group.
    """

    group_id: str
    member_id: str
    generation_id: int
    group: GroupSnapshot | None
    accepted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ParkedObservation:
    """A JoinGroup or SyncGroup still unanswered, and when it was sent."""

    kind: str
    sender: str
    sent_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchObservation:
    """An OffsetFetch answer for one partition, with what the commits so far allow it to say.

    ``acknowledged`` is the offset of the last commit answered NONE (``None``: none yet);
    ``outstanding`` the offsets of commits not answered yet.
    """

    group_id: str
    partition: tuple[str, int]
    fetched: int
    acknowledged: int | None
    outstanding: frozenset[int]


def _completions(changes: Sequence[StateChange]) -> int:
    return sum(
        1
        for c in changes
        if c.source == _PREPARING and c.target in ("CompletingRebalance", "Empty")
    )


@spec("GROUP-1", "Generations advance one join phase at a time", kind="transition")
def generations_advance_one_join_phase_at_a_time(step: GroupStepObservation) -> list[str]:
    """A group's generation rises by exactly one for each join phase that ends (into
    CompletingRebalance or Empty) and changes at no other time while a coordinator holds the
    group; a group a coordinator loads resumes at the generation of the last group record in the
    offsets log (0 if none), and a group a coordinator creates starts at 0."""
    after = step.after
    if after is None:
        return []
    where = f"group {step.group_id!r}"
    if step.loaded:
        expected = step.stored_generation or 0
        if after.generation_id != expected:
            return [
                f"{where} was loaded at generation {after.generation_id}; the log says {expected}"
            ]
        return []
    start = 0 if step.before is None else step.before.generation_id
    completed = _completions(step.changes)
    if after.generation_id != start + completed:
        return [
            f"{where} went from generation {start} to {after.generation_id} "
            f"with {completed} completed join phase(s)"
        ]
    return []


@spec("GROUP-2", "One owner per partition per generation")
def one_owner_per_partition_per_generation(handed_out: Sequence[HandedOut]) -> list[str]:
    """Within one generation of a group, the successful SyncGroup answers never give one
    partition to two different members."""
    owners: dict[tuple[str, int, tuple[str, int]], str] = {}
    violations = []
    for answer in handed_out:
        for partition in answer.partitions:
            key = (answer.group_id, answer.generation_id, partition)
            owner = owners.setdefault(key, answer.member_id)
            if owner != answer.member_id:
                violations.append(
                    f"group {answer.group_id!r} generation {answer.generation_id}: "
                    f"{partition[0]}-{partition[1]} went to {owner} and to {answer.member_id}"
                )
    return violations


def _may_commit(commit: CommitObservation) -> bool:
    group = commit.group
    if group is None:
        return commit.generation_id < 0
    if group.state == "Dead":
        return False
    if commit.generation_id < 0 and group.state == "Empty":
        return True
    return (
        commit.member_id in group.members
        and commit.generation_id == group.generation_id
        and group.state != "CompletingRebalance"
    )


@spec("GROUP-3", "Only the current generation commits")
def commits_only_from_current_generation(commits: Sequence[CommitObservation]) -> list[str]:
    """An OffsetCommit is accepted only from a member of the group naming its current generation
    while the group is not completing a rebalance, or with a negative generation while the
    group is Empty (or does not exist yet); commits from older generations or unknown members are
    refused."""
    return [
        f"group {c.group_id!r} accepted a commit from {c.member_id!r} in generation "
        f"{c.generation_id} while it was "
        + (
            "unknown"
            if c.group is None
            else f"{c.group.state} in generation {c.group.generation_id} "
            f"with members {sorted(c.group.members)}"
        )
        for c in commits
        if c.accepted and not _may_commit(c)
    ]


def _chain_breaks(step: GroupStepObservation) -> list[str]:
    where = f"group {step.group_id!r}"
    if step.loaded and step.before is None:
        return []  # a loaded group is constructed in its state; it makes no transition
    state = "Empty" if step.before is None else step.before.state
    problems = []
    for change in step.changes:
        if change.source != state:
            problems.append(f"{where} reported {change.source}->{change.target} while {state}")
        state = change.target
    final = "Dead" if step.after is None else step.after.state
    if state != final:
        problems.append(f"{where} reached {final} but its reported changes end at {state}")
    return problems


@spec("GROUP-4", "States follow the transition table", kind="transition")
def states_follow_the_table(step: GroupStepObservation) -> list[str]:
    """Every state change a coordinator reports is an edge of the table (Empty->Preparing;
    Preparing->Completing or Empty; Completing->Stable or Preparing; Stable->Preparing; any
    state->Dead), the changes of one input chain from the state before it to the state after
    it, and a group the coordinator lets go of ends Dead."""
    violations = [
        f"group {step.group_id!r}: {c.source}->{c.target} is not in the table"
        for c in step.changes
        if (c.source, c.target) not in ALLOWED_TRANSITIONS
    ]
    if step.before is None and step.after is None and not step.changes:
        return violations
    return violations + _chain_breaks(step)


@spec("GROUP-5", "Parked requests are answered")
def parked_requests_are_answered(
    parked: Sequence[ParkedObservation], now_ms: int, bound_ms: int
) -> list[str]:
    """Every JoinGroup or SyncGroup the coordinator parks is answered within ``bound_ms``: the
    largest rebalance timeout of the group's members, or the initial rebalance delay if that is
    longer (provided every append the coordinator asks for completes)."""
    return [
        f"{p.kind} from {p.sender} sent at {p.sent_ms} ms is still unanswered at {now_ms} ms "
        f"(bound {bound_ms} ms)"
        for p in parked
        if now_ms - p.sent_ms > bound_ms
    ]


@spec("GROUP-6", "Acknowledged commits are durable")
def acknowledged_commits_are_durable(fetches: Sequence[FetchObservation]) -> list[str]:
    """OffsetFetch, from the coordinator that acknowledged a commit or any later one, returns for
    each partition the offset of the last commit acknowledged for it, or the offset of a commit
    whose answer is still outstanding (-1 only if no commit was acknowledged)."""
    violations = []
    for f in fetches:
        allowed = set(f.outstanding) | {-1 if f.acknowledged is None else f.acknowledged}
        if f.fetched not in allowed:
            violations.append(
                f"group {f.group_id!r} {f.partition[0]}-{f.partition[1]}: OffsetFetch returned "
                f"{f.fetched}, but the last acknowledged commit was {f.acknowledged} "
                f"(outstanding: {sorted(f.outstanding)})"
            )
    return violations
