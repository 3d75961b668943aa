"""CreateTopics and DeleteTopics: the controller's answers to clients, and the waits behind them.

Theory of operation
-------------------
Clients send CreateTopics and DeleteTopics to the controller (the broker answers NOT_CONTROLLER
elsewhere).  :class:`TopicAdmin` checks each topic at once (``topics.py``), answers what is wrong
right away, and for the rest writes znodes and *waits*, answering the whole request when every
topic in it has its outcome, in the order the request listed them:

**Creating** topic ``t`` (Kafka's ``AdminZkClient.createTopicWithAssignment``): write the config
``/config/topics/<t>``, then the assignment ``/brokers/topics/<t>``, both as creates, sent
together.  The assignment's create decides: ``NODEEXISTS`` means someone else created the topic
first (TOPIC_ALREADY_EXISTS; their config was not touched, since our config create failed too).  If
only the config existed -- left over from a creation cut short -- it is overwritten with ours.  On
success the controller does not create the partitions itself: its watch on ``/brokers/topics``
fires, exactly as for a topic created by hand, and the partition state machine brings each
partition online.  The answer goes out when the topic is known and none of its partitions is
still being written (as Kafka's ``DelayedCreatePartitions`` waits for the leaders).

**Deleting** topic ``t`` (Kafka's ``AdminZkClient.deleteTopic``): create the marker
``/admin/delete_topics/<t>`` and answer once the deletion (``deletion.py``) has removed the topic.

``validate_only`` runs the checks and writes nothing.  A topic named twice in one request is
answered INVALID_REQUEST, as Kafka does.  If the controller resigns, every waiting request is
answered NOT_CONTROLLER (the client retries at the new controller); if its coordination session
hiccups, REQUEST_TIMED_OUT, since the writes may or may not have happened.

Spec IDs: none (request handling; the codes are ``reference/wire-protocol.md`` §6's).

Simplified from Kafka: the request's ``timeout_ms`` is not enforced (Kafka answers
REQUEST_TIMED_OUT when the leaders take longer); a request waits as long as it takes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from glasskafka.config import BrokerConfig
from glasskafka.controller.context import ControllerContext
from glasskafka.controller.partition_states import PartitionStateMachine
from glasskafka.controller.topics import TopicError, TopicPlan, plan_topic
from glasskafka.controller.zk_ops import RoleCtx, make_ctx
from glasskafka.controller.znodes import (
    delete_topic_path,
    encode_topic_assignment,
    encode_topic_config,
    topic_config_path,
    topic_path,
)
from glasskafka.coordination.codes import KeeperErrorCode
from glasskafka.coordination.messages import SessionResponse
from glasskafka.errors import ErrorCode
from glasskafka.ids import NodeId, TopicName
from glasskafka.node import Output, Send
from glasskafka.protocol import envelope
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopicResult,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeletableTopicResult,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)

__all__ = ["ADMIN_KIND", "TopicAdmin", "TopicOutcome"]

ADMIN_KIND = "admin"
"""The ``ctx`` kind of the admin requests' znode writes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicOutcome:
    """One topic's answer."""

    code: ErrorCode
    message: str | None = None


_OK = TopicOutcome(code=ErrorCode.NONE)


@dataclass(slots=True, kw_only=True)
class _Waiting:
    """A request with at least one topic still waiting."""

    sender: NodeId
    request: KafkaRequest
    names: tuple[str, ...]
    outcomes: dict[str, TopicOutcome] = field(default_factory=dict)
    plans: dict[str, TopicPlan] = field(default_factory=dict)
    config_existed: set[str] = field(default_factory=set)
    until_created: set[TopicName] = field(default_factory=set)
    until_deleted: set[TopicName] = field(default_factory=set)


@dataclass(slots=True, kw_only=True)
class TopicAdmin:
    """The CreateTopics and DeleteTopics requests still waiting for their topics."""

    generation: int
    next_id: int = 0
    waiting: dict[int, _Waiting] = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)

    # -- requests ------------------------------------------------------------------------------

    def on_create_topics(
        self, c: ControllerContext, sender: NodeId, request: KafkaRequest, config: BrokerConfig
    ) -> None:
        """Check each topic; write the valid ones (unless ``validate_only``); answer or wait."""
        body = request.body
        assert isinstance(body, CreateTopicsRequest)
        names = tuple(t.name for t in body.topics)
        entry_id, entry = self._entry(sender, request, names)
        existing = set(c.assignments) | c.deleting
        for topic in body.topics:
            if topic.name in entry.outcomes:
                continue
            plan = plan_topic(
                topic, exists=c.topic_exists, existing=existing, live=c.live_ids, config=config
            )
            if isinstance(plan, TopicError):
                entry.outcomes[topic.name] = TopicOutcome(code=plan.code, message=plan.message)
            elif body.validate_only:
                entry.outcomes[topic.name] = _OK
            else:
                entry.plans[topic.name] = plan
                self._write_topic(c, entry_id=entry_id, plan=plan)

    def on_delete_topics(self, c: ControllerContext, sender: NodeId, request: KafkaRequest) -> None:
        """Mark each existing topic for deletion and wait; unknown topics are answered at once."""
        body = request.body
        assert isinstance(body, DeleteTopicsRequest)
        entry_id, entry = self._entry(sender, request, body.topic_names)
        for name in body.topic_names:
            if name in entry.outcomes:
                continue
            topic = TopicName(name)
            if not c.topic_exists(topic):
                entry.outcomes[name] = TopicOutcome(
                    code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    message=f"This server does not host this topic: {name!r}.",
                )
                continue
            entry.until_deleted.add(topic)
            if topic not in c.deleting:
                ctx = make_ctx(ADMIN_KIND, self.generation, "mark", entry_id, topic)
                c.zk.create(delete_topic_path(topic), ctx=ctx)

    def _entry(
        self, sender: NodeId, request: KafkaRequest, names: tuple[str, ...]
    ) -> tuple[int, _Waiting]:
        entry = _Waiting(sender=sender, request=request, names=names)
        for name, count in Counter(names).items():
            if count > 1:
                entry.outcomes[name] = TopicOutcome(
                    code=ErrorCode.INVALID_REQUEST,
                    message=f"The request names topic {name!r} {count} times.",
                )
        entry_id = self.next_id
        self.waiting[entry_id] = entry
        self.next_id += 1
        return entry_id, entry

    def _write_topic(self, c: ControllerContext, *, entry_id: int, plan: TopicPlan) -> None:
        config_ctx = make_ctx(ADMIN_KIND, self.generation, "config", entry_id, plan.name)
        topic_ctx = make_ctx(ADMIN_KIND, self.generation, "topic", entry_id, plan.name)
        c.zk.create(topic_config_path(plan.name), encode_topic_config(plan.configs), ctx=config_ctx)
        c.zk.create(topic_path(plan.name), encode_topic_assignment(plan.assignment), ctx=topic_ctx)

    # -- answers from the coordination service -------------------------------------------------

    def on_response(self, c: ControllerContext, ctx: RoleCtx, response: SessionResponse) -> None:
        """An answer to one of the writes above."""
        entry_text, name = ctx.split(1)
        entry = self.waiting.get(int(entry_text))
        if entry is None:
            return
        error = response.error
        match ctx.step:
            case "config":
                if error is KeeperErrorCode.NODEEXISTS:
                    entry.config_existed.add(name)
            case "topic":
                self._on_topic_written(c, int(entry_text), TopicName(name), error)
            case "mark":
                if error not in (KeeperErrorCode.OK, KeeperErrorCode.NODEEXISTS):
                    entry.until_deleted.discard(TopicName(name))
                    entry.outcomes[name] = _failed(error)
            case _:
                pass

    def _on_topic_written(
        self, c: ControllerContext, entry_id: int, topic: TopicName, error: KeeperErrorCode
    ) -> None:
        entry = self.waiting[entry_id]
        if error is KeeperErrorCode.OK:
            if topic in entry.config_existed:
                plan = entry.plans[topic]
                c.zk.set_data(
                    topic_config_path(topic),
                    encode_topic_config(plan.configs),
                    ctx=make_ctx(ADMIN_KIND, self.generation, "overwrite", entry_id, topic),
                )
            entry.until_created.add(topic)
        elif error is KeeperErrorCode.NODEEXISTS:
            entry.outcomes[topic] = TopicOutcome(
                code=ErrorCode.TOPIC_ALREADY_EXISTS, message=f"Topic '{topic}' already exists."
            )
        else:
            entry.outcomes[topic] = _failed(error)

    # -- answering -----------------------------------------------------------------------------

    def maybe_answer(self, c: ControllerContext, partitions: PartitionStateMachine) -> None:
        """Settle the topics whose wait is over; answer every request that is complete."""
        for entry_id, entry in sorted(self.waiting.items()):
            for topic in sorted(entry.until_created):
                if topic in c.assignments and not partitions.busy_with(topic):
                    entry.until_created.discard(topic)
                    entry.outcomes[topic] = _OK
            for topic in sorted(entry.until_deleted):
                if not c.topic_exists(topic):
                    entry.until_deleted.discard(topic)
                    entry.outcomes[topic] = _OK
            if all(name in entry.outcomes for name in entry.names):
                self._answer(entry)
                del self.waiting[entry_id]

    def answer_all(self, code: ErrorCode, message: str) -> None:
        """Answer every waiting request now, ``code`` for each topic not yet settled."""
        for entry_id, entry in sorted(self.waiting.items()):
            for name in entry.names:
                entry.outcomes.setdefault(name, TopicOutcome(code=code, message=message))
            self._answer(entry)
            del self.waiting[entry_id]

    def _answer(self, entry: _Waiting) -> None:
        names = list(dict.fromkeys(entry.names))
        body = entry.request.body
        if isinstance(body, CreateTopicsRequest):
            created = tuple(
                CreatableTopicResult(
                    name=n,
                    error_code=entry.outcomes[n].code,
                    error_message=entry.outcomes[n].message,
                )
                for n in names
            )
            response = envelope.answer(entry.request, CreateTopicsResponse(topics=created))
        else:
            deleted = tuple(
                DeletableTopicResult(name=n, error_code=entry.outcomes[n].code) for n in names
            )
            response = envelope.answer(entry.request, DeleteTopicsResponse(responses=deleted))
        self.outputs.append(Send(to=entry.sender, message=response))

    def drain(self) -> tuple[Output, ...]:
        outputs, self.outputs = tuple(self.outputs), []
        return outputs


def _failed(error: KeeperErrorCode) -> TopicOutcome:
    return TopicOutcome(
        code=ErrorCode.UNKNOWN_SERVER_ERROR,
        message=f"the coordination service answered {error.name}",
    )
