"""Request dispatch: which part of the broker serves which Kafka request (Kafka's ``KafkaApis``).

Theory of operation
-------------------
Every request that reaches :func:`handle_request` has passed connection muting; it is answered
here by one ``case`` per API, ending in an :data:`~glasskafka.broker.effects.Outcome`:

==========================  ===================================================================
Produce                     ``produce_path.py`` (answer, park for acks=all, or silence for 0)
Fetch                       ``fetch_path.py`` (answer, or park as a long poll)
ListOffsets                 ``fetch_path.py``
OffsetForLeaderEpoch        ``fetch_path.py`` (a follower's truncation question, a consumer's
                            position check)
Metadata                    ``metadata_cache.py``; unknown topics it may create are noted in
                            ``effects.auto_create`` for the node to forward to the controller
LeaderAndIsr, StopReplica   ``replica_manager.py`` (controller orders, CTRL-1 fenced)
UpdateMetadata              the metadata cache, if the controller epoch is current (CTRL-1)
ApiVersions                 the advertised version window (wire-protocol.md §3-4)
==========================  ===================================================================

CreateTopics and DeleteTopics belong to the controller role, and the nine group APIs
(FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
DescribeGroups, ListGroups) to the group coordinator role (``group_hosting.py``); the node routes
them before they reach this function.  A
request whose ``api_version`` is outside what the broker serves (Produce v0-2 are advertised but
refused, as Kafka 4 does) is answered UNSUPPORTED_VERSION in every partition and does nothing.
``api_version`` -1 means "not given" (a node building envelopes directly) and counts as the
highest served.  Requests of APIs the broker does not serve get no answer (the runtime closes
such a connection, as Kafka does for an unknown API).

Metadata v7+ reports each partition's real leader epoch, and a client that sees an epoch newer
than its position's asks OffsetForLeaderEpoch whether its position survived the change (KIP-320;
kafka-python 3.x does).  reference/wire-protocol.md §6 allows real epochs only once API 23 is
served to clients, so it is: versions 2-3 are advertised (``protocol/apis.py``) and answered by
the same leader-side lookup followers use.

Spec IDs: CTRL-1 (UpdateMetadata fencing); the rest belong to the modules named above.

Simplified from Kafka: no authorization, quotas or request-level metrics.
"""

from __future__ import annotations

from glasskafka.broker.effects import Answer, Effects, Outcome, Unanswered
from glasskafka.broker.fetch_path import (
    handle_fetch,
    handle_list_offsets,
    handle_offset_for_leader_epoch,
)
from glasskafka.broker.produce_path import handle_produce
from glasskafka.broker.replica_manager import ReplicaManager
from glasskafka.broker.responses import error_body
from glasskafka.errors import ErrorCode
from glasskafka.ids import Millis, NodeId
from glasskafka.protocol.apis import advertised_api_versions, api_for
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from glasskafka.protocol.messages.fetch import FetchRequest
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrRequest
from glasskafka.protocol.messages.list_offsets import ListOffsetsRequest
from glasskafka.protocol.messages.metadata import MetadataRequest
from glasskafka.protocol.messages.offset_for_leader_epoch import OffsetForLeaderEpochRequest
from glasskafka.protocol.messages.produce import ProduceRequest
from glasskafka.protocol.messages.stop_replica import StopReplicaRequest
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataRequest,
    UpdateMetadataResponse,
)

__all__ = ["handle_request", "is_served", "served_version"]


def served_version(request: KafkaRequest) -> int:
    """The request's version, with -1 ("not given") read as the highest served."""
    if request.api_version >= 0:
        return request.api_version
    highest = api_for(request.body).served.highest
    return highest if highest is not None else 0


def is_served(request: KafkaRequest) -> bool:
    """Whether the broker serves this API at this version."""
    try:
        api = api_for(request.body)
    except KeyError:
        return False
    return request.api_version < 0 or request.api_version in api.served


def handle_request(
    manager: ReplicaManager,
    sender: NodeId,
    request: KafkaRequest,
    *,
    auto_create_topics_enable: bool,
    now_ms: Millis,
    effects: Effects,
) -> Outcome:
    """Serve one request (the controller's CreateTopics/DeleteTopics excepted)."""
    body = request.body
    if not is_served(request):
        refused = error_body(body, ErrorCode.UNSUPPORTED_VERSION)
        return Answer(body=refused) if refused is not None else Unanswered()
    match body:
        case ProduceRequest():
            return handle_produce(manager, sender, request, body, now_ms=now_ms, effects=effects)
        case FetchRequest():
            return handle_fetch(manager, sender, request, body, now_ms=now_ms, effects=effects)
        case ListOffsetsRequest():
            listed = handle_list_offsets(manager, body, api_version=served_version(request))
            return Answer(body=listed)
        case OffsetForLeaderEpochRequest():
            return Answer(body=handle_offset_for_leader_epoch(manager, body))
        case MetadataRequest():
            found = manager.metadata_cache.answer(
                body,
                api_version=served_version(request),
                auto_create_enabled=auto_create_topics_enable,
            )
            effects.auto_create.extend(found.to_create)
            return Answer(body=found.response)
        case LeaderAndIsrRequest():
            decided = manager.on_leader_and_isr(body, now_ms=now_ms, effects=effects)
            manager.send_fetches(now_ms=now_ms, effects=effects)
            return Answer(body=decided)
        case StopReplicaRequest():
            return Answer(body=manager.on_stop_replica(body, now_ms=now_ms, effects=effects))
        case UpdateMetadataRequest():
            if not manager.accept_controller_epoch(body.controller_epoch):
                return Answer(
                    body=UpdateMetadataResponse(error_code=int(ErrorCode.STALE_CONTROLLER_EPOCH))
                )
            manager.metadata_cache.update(body)
            return Answer(body=UpdateMetadataResponse(error_code=int(ErrorCode.NONE)))
        case ApiVersionsRequest():
            versions = advertised_api_versions()
            return Answer(
                body=ApiVersionsResponse(error_code=int(ErrorCode.NONE), api_keys=versions)
            )
        case _:
            return Unanswered()
