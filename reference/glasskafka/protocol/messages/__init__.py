"""Kafka's API messages, one module per API or small family, each with its schemas.

Every module defines frozen, slotted, keyword-only dataclasses with Kafka's field names in
snake_case -- one per request, per response (both derive from ``glasskafka.node.Message``) and
per nested struct -- followed by the request and response schemas (``glasskafka.protocol.schema``)
that say which field is on the wire in which version.  Arrays are tuples, so messages are
hashable and their ``repr`` is valid Python.  Integers are plain ``int`` on the wire side;
the layers above wrap them in ``glasskafka.ids`` types.

Client APIs: ``produce`` (0), ``fetch`` (1), ``list_offsets`` (2), ``metadata`` (3),
``committed_offsets`` (8, 9), ``find_coordinator`` (10), ``group_membership`` (11-14),
``group_listing`` (15, 16), ``api_versions`` (18), ``topic_admin`` (19, 20),
``init_producer_id`` (22), ``offset_for_leader_epoch`` (23, also asked by followers).
Inter-broker APIs: ``leader_and_isr`` (4), ``stop_replica`` (5), ``update_metadata`` (6).
``glasskafka.protocol.apis`` ties them to their API keys and versions.

Spec IDs: none.

Simplified from Kafka: Kafka generates these classes from JSON message specs and carries every
version's fields, tagged fields included; glasskafka writes them by hand, non-flexible versions
only, with the fields its nodes read.
"""

__all__: list[str] = []
