"""Hypothesis strategies for every protocol message, generated from the schemas themselves.

The protocol's property suites (round-trips, hostile input, the kafka-python cross-check) all
need "any message of this API at this version".  Writing those by hand for 42 messages would
copy the schemas a second time, and drift; instead :func:`values_at` walks a schema and builds
the strategy: each field present at the version gets a value of its type (integers across their
whole range, text, bytes, short tuples, nested structs), ``None`` where the version allows it,
and fields the version lacks keep their defaults -- exactly what a decoder gives back.
:func:`values_in_every_field` fills every field, whatever the version, for the tests of what
encoding does with fields a version cannot carry.

The tests at the bottom check the strategies themselves, so the suites built on them cannot
pass by generating too little.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from glasskafka.protocol.apis import API_TABLE, Api, ApiKey
from glasskafka.protocol.primitives import INT_RANGES
from glasskafka.protocol.schema import ArrayOf, Field, FieldType, Primitive, StructSchema
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

__all__ = [
    "Direction",
    "api_versions",
    "message_at",
    "schema_of",
    "values_at",
    "values_in_every_field",
]

Direction = Literal["request", "response"]


def schema_of(api: Api, direction: Direction) -> StructSchema[Any]:
    """The request or response schema of ``api``."""
    return api.request if direction == "request" else api.response


def api_versions() -> list[tuple[Api, int]]:
    """Every (API, version) the codec serves, in key and version order."""
    return [(api, version) for api in API_TABLE.values() for version in api.versions]


def message_at(api: Api, version: int, direction: Direction) -> st.SearchStrategy[Any]:
    """Any request or response of ``api`` as it can be sent at ``version``."""
    return values_at(schema_of(api, direction), version)


@functools.cache
def values_at(schema: StructSchema[Any], version: int) -> st.SearchStrategy[Any]:
    """Any instance of ``schema.cls`` whose fields fit ``version`` (absent ones at default)."""
    present = {
        item.name: _field_values(item, version)
        for item in schema.fields
        if item.present_in(version)
    }
    return st.builds(schema.cls, **present)


@functools.cache
def values_in_every_field(schema: StructSchema[Any]) -> st.SearchStrategy[Any]:
    """Any instance of ``schema.cls`` with every field drawn, as if every version had it."""
    return st.builds(schema.cls, **{item.name: _field_values(item, None) for item in schema.fields})


def _field_values(item: Field, version: int | None) -> st.SearchStrategy[Any]:
    values = _type_values(item.type, version)
    nullable = item.nullable is not None if version is None else item.nullable_in(version)
    return st.none() | values if nullable else values


def _type_values(kind: FieldType, version: int | None) -> st.SearchStrategy[Any]:
    if isinstance(kind, ArrayOf):
        element = kind.element
        if isinstance(element, StructSchema):
            inner = (
                values_in_every_field(element) if version is None else values_at(element, version)
            )
            return st.lists(inner, max_size=2).map(tuple)
        return st.lists(_type_values(element, version), max_size=3).map(tuple)
    match kind:
        case Primitive.INT8 | Primitive.INT16 | Primitive.INT32 | Primitive.INT64:
            low, high = INT_RANGES[kind.value]
            return st.integers(low, high)
        case Primitive.BOOLEAN:
            return st.booleans()
        case Primitive.STRING:
            return st.text(max_size=12)
        case Primitive.BYTES | Primitive.RECORDS:
            return st.binary(max_size=24)
    raise AssertionError(f"no strategy for {kind}")


# --- the strategies' own tests ------------------------------------------------------------------

FIRST_FOUND = settings(database=None, phases=[Phase.generate])
"""For ``find``: stop at the first example that qualifies; shrinking it would only cost time."""


def test_api_versions_lists_every_served_version_once() -> None:
    pairs = [(api.name, version) for api, version in api_versions()]
    assert len(pairs) == len(set(pairs)) == 98
    assert pairs[0] == ("Produce", 0) and pairs[-1] == ("OffsetForLeaderEpoch", 3)
    assert ("Fetch", 3) not in pairs and ("Fetch", 4) in pairs


def test_generated_values_reach_nulls_and_arrays_of_several_elements() -> None:
    # The suites rely on the strategies reaching the interesting cases: a null where the
    # version allows one, and arrays with more than one element.
    produce = API_TABLE[ApiKey.PRODUCE].request

    def interesting(message: Any) -> bool:
        partitions = [p for topic in message.topic_data for p in topic.partition_data]
        return len(message.topic_data) == 2 and any(p.records is None for p in partitions)

    found = find(values_at(produce, 8), interesting, settings=FIRST_FOUND)
    assert interesting(found)


def test_values_at_keeps_absent_fields_at_their_defaults() -> None:
    produce = API_TABLE[ApiKey.PRODUCE]
    seen: set[object] = set()

    @settings(database=None)
    @given(message=values_at(produce.request, 2))
    def draw(message: Any) -> None:
        seen.add(message.transactional_id)

    draw()
    assert seen == {None}, "transactional_id does not exist before v3 and must stay at default"


def test_values_in_every_field_fills_fields_absent_from_old_versions() -> None:
    produce = API_TABLE[ApiKey.PRODUCE]
    found = find(
        values_in_every_field(produce.request),
        lambda message: message.transactional_id is not None,
        settings=FIRST_FOUND,
    )
    assert found.transactional_id is not None
