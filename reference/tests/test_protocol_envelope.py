"""Envelopes carry a body with its header fields, and answers keep their request's version.

Checks ``glasskafka.protocol.envelope``: the default version is the highest one the broker
serves, an answer repeats the correlation id and version, and mismatched pairs are refused.
"""

from __future__ import annotations

import pytest
from glasskafka.protocol.envelope import answer, request
from glasskafka.protocol.messages.group_membership import HeartbeatResponse
from glasskafka.protocol.messages.metadata import MetadataRequest, MetadataResponse
from glasskafka.protocol.messages.produce import ProduceRequest


def test_a_request_defaults_to_the_highest_served_version() -> None:
    wrapped = request(MetadataRequest(topics=None), correlation_id=3, client_id="c")
    assert (wrapped.api_version, wrapped.correlation_id, wrapped.client_id) == (8, 3, "c")
    assert request(MetadataRequest(topics=()), correlation_id=4, api_version=0).api_version == 0


def test_an_answer_repeats_the_correlation_id_and_version() -> None:
    asked = request(MetadataRequest(topics=None), correlation_id=9, api_version=5)
    reply = answer(asked, MetadataResponse(brokers=(), topics=()))
    assert (reply.correlation_id, reply.api_version) == (9, 5)


def test_only_acks_0_produce_envelopes_expect_no_answer() -> None:
    fire_and_forget = request(ProduceRequest(acks=0, timeout_ms=1, topic_data=()), correlation_id=1)
    assert not fire_and_forget.expects_response
    assert request(MetadataRequest(topics=None), correlation_id=2).expects_response


def test_mismatched_pairs_are_refused() -> None:
    with pytest.raises(ValueError, match="is a response"):
        request(MetadataResponse(brokers=(), topics=()), correlation_id=1)
    asked = request(MetadataRequest(topics=None), correlation_id=1)
    with pytest.raises(ValueError, match="does not answer MetadataRequest"):
        answer(asked, HeartbeatResponse(error_code=0))
    with pytest.raises(ValueError, match="does not answer MetadataRequest"):
        answer(asked, MetadataRequest(topics=None))
