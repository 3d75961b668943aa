"""The message classes and schemas keep the rules that the rest of glasskafka relies on.

STYLE rule 3 and ``glasskafka.protocol.schema``: every message and struct is a frozen, slotted,
keyword-only dataclass; requests and responses derive from ``Message``; messages are hashable and
their ``repr`` is valid Python (a failing Hypothesis run prints a program that replays it); and a
schema that breaks the defaults rules is refused when it is built.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

import glasskafka.protocol.messages as messages_package
import pytest
from glasskafka.node import Message
from glasskafka.protocol.apis import API_TABLE, Api, ApiKey
from glasskafka.protocol.schema import (
    INT32,
    REQUIRED,
    STRING,
    ArrayOf,
    StructSchema,
    Versions,
    check_schema,
    field,
    struct,
)
from hypothesis import given
from hypothesis import strategies as st

from model_tests.test_protocol_strategies import Direction, message_at

APIS = [
    pytest.param(api, direction, id=f"{api.name}-{direction}")
    for api in API_TABLE.values()
    for direction in ("request", "response")
]


def every_struct() -> list[StructSchema[Any]]:
    found: dict[int, StructSchema[Any]] = {}

    def walk(schema: StructSchema[Any]) -> None:
        found[id(schema)] = schema
        for item in schema.fields:
            if isinstance(item.type, ArrayOf) and isinstance(item.type.element, StructSchema):
                walk(item.type.element)

    for api in API_TABLE.values():
        walk(api.request)
        walk(api.response)
    return sorted(found.values(), key=lambda schema: schema.name)


@functools.cache
def repr_namespace() -> dict[str, object]:
    namespace: dict[str, object] = {}
    for info in pkgutil.iter_modules(messages_package.__path__):
        module = importlib.import_module(f"{messages_package.__name__}.{info.name}")
        namespace.update({name: getattr(module, name) for name in module.__all__})
    return namespace


@pytest.mark.parametrize("schema", every_struct(), ids=lambda schema: schema.name)
def test_every_struct_is_a_frozen_slotted_keyword_only_dataclass(schema: StructSchema[Any]) -> None:
    params = schema.cls.__dataclass_params__
    assert params.frozen
    assert "__slots__" in schema.cls.__dict__
    assert all(item.kw_only for item in dataclasses.fields(schema.cls))


def test_requests_and_responses_are_messages_named_after_their_api() -> None:
    for api in API_TABLE.values():
        assert issubclass(api.request.cls, Message)
        assert issubclass(api.response.cls, Message)
        assert api.request.name == f"{api.name}Request"
        assert api.response.name == f"{api.name}Response"
        assert api.key.name == "".join(
            f"_{char}" if char.isupper() else char.upper() for char in api.name
        ).lstrip("_")


@pytest.mark.parametrize(("api", "direction"), APIS)
@given(data=st.data())
def test_messages_are_hashable_and_their_repr_is_python(
    api: Api, direction: Direction, data: st.DataObject
) -> None:
    version = data.draw(st.sampled_from(list(api.versions)), label="version")
    message = data.draw(message_at(api, version, direction), label="message")
    assert hash(message) == hash(eval(repr(message), repr_namespace()))
    assert eval(repr(message), repr_namespace()) == message


# --- the schema builder's own rules ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    name: str
    added_in_v2: int
    maybe: str | None = None


def test_versions_use_kafkas_notation() -> None:
    assert Versions.parse("3+") == Versions(3, None)
    assert Versions.parse("0-4") == Versions(0, 4)
    assert Versions.parse("5") == Versions(5, 5)
    assert Versions.parse("none") is None
    assert [str(Versions(3, None)), str(Versions(0, 4)), str(Versions(5, 5))] == ["3+", "0-4", "5"]
    assert 4 in Versions(3, None) and 2 not in Versions(3, None) and 5 not in Versions(0, 4)
    assert list(Versions(1, 3)) == [1, 2, 3]
    with pytest.raises(ValueError, match="no upper bound"):
        list(Versions(3, None))


def test_a_field_missing_from_some_version_needs_a_default() -> None:
    schema = struct(
        Example,
        field("name", STRING),
        field("added_in_v2", INT32, "2+"),
        field("maybe", STRING, "1+", nullable="1+"),
    )
    assert check_schema(schema, Versions(2, 3)) == []
    assert check_schema(schema, Versions(0, 2)) == [
        "Example.added_in_v2 is absent at version 0 but has no default",
        "Example.added_in_v2 is absent at version 1 but has no default",
    ]


def test_a_none_default_needs_a_nullable_field() -> None:
    schema = struct(
        Example, field("name", STRING), field("added_in_v2", INT32), field("maybe", STRING)
    )
    assert check_schema(schema, Versions(0, 0)) == [
        "Example.maybe defaults to None but is never nullable"
    ]


def test_the_schema_must_list_the_dataclass_fields_in_order() -> None:
    with pytest.raises(ValueError, match="declares fields"):
        struct(Example, field("added_in_v2", INT32), field("name", STRING), field("maybe", STRING))
    with pytest.raises(ValueError, match="declares fields"):
        struct(Example, field("name", STRING))


def test_defaults_must_be_values_not_factories() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class WithFactory:
        items: tuple[int, ...] = dataclasses.field(default_factory=tuple)

    with pytest.raises(ValueError, match="default factory"):
        struct(WithFactory, field("items", ArrayOf(INT32)))


def test_the_tables_schemas_are_sound_and_the_check_would_see_a_missing_default() -> None:
    for api in API_TABLE.values():
        assert check_schema(api.request, api.versions) == []
        assert check_schema(api.response, api.versions) == []
    produce = API_TABLE[ApiKey.PRODUCE]
    fields = list(produce.request.fields)
    fields[0] = dataclasses.replace(fields[0], default=REQUIRED)  # transactional_id, v3+
    broken = dataclasses.replace(produce.request, fields=tuple(fields))
    assert check_schema(broken, produce.versions) == [
        f"ProduceRequest.transactional_id is absent at version {v} but has no default"
        for v in (0, 1, 2)
    ]
