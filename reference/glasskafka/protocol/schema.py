"""Message schemas as data: which fields a message has, of what type, in which versions.

Theory of operation
-------------------
Kafka describes every API message in a JSON file (apache/kafka
``clients/src/main/resources/common/message/*.json``) and generates Java from it.  glasskafka keeps
the same facts as Python data, written out by hand in ``glasskafka/protocol/messages/``, and one
small interpreter (``codec.py``) reads and writes any message from them.  A schema is:

* a :class:`StructSchema`: the dataclass to build, and its fields **in wire order**;
* each :class:`Field`: Kafka's field name in snake_case, its type (a :class:`Primitive` or an
  :class:`ArrayOf` a primitive or another struct), the :class:`Versions` in which it is on the
  wire, the versions in which it may be null, whether Kafka marks it *ignorable*, and its
  default;
* the default is read from the dataclass, so it is written exactly once.

Version ranges use Kafka's notation: ``"0+"`` (from 0 on), ``"3-4"``, ``"5"``, ``"none"``.

A field that is absent in a version still exists in the Python object: decoding fills in its
default.  Encoding a field that the chosen version lacks is allowed only if it holds its default,
or if Kafka marks the field ``ignorable`` (then it is dropped, as Kafka's generated code does);
otherwise :class:`~glasskafka.protocol.errors.UnsupportedVersionError` is raised rather than
silently losing the value.  :func:`check_schema` holds the schemas to these rules when the API
table is built: a field missing from some supported version must have a default, a ``None``
default needs a nullable field, and the dataclass and the schema list the same fields in the
same order.

Spec IDs: none.

Simplified from Kafka: no tagged fields, no ``flexibleVersions``, no ``mapKey`` maps, no common
structs by name (a schema object is simply reused), and no ``uuid``/``float64`` types; the
non-flexible core needs none of them (``reference/wire-protocol.md`` §13).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = [
    "BOOLEAN",
    "BYTES",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "RECORDS",
    "REQUIRED",
    "STRING",
    "ArrayOf",
    "Field",
    "FieldType",
    "Primitive",
    "StructSchema",
    "Versions",
    "check_schema",
    "field",
    "struct",
]

T = TypeVar("T")


class Primitive(enum.Enum):
    """The non-flexible primitive types (Kafka's protocol guide, "Protocol Primitive Types")."""

    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    BOOLEAN = "bool"
    STRING = "string"
    BYTES = "bytes"
    RECORDS = "records"


# Short names, so that a schema reads like Kafka's JSON: ``field("acks", INT16)``.
INT8 = Primitive.INT8
INT16 = Primitive.INT16
INT32 = Primitive.INT32
INT64 = Primitive.INT64
BOOLEAN = Primitive.BOOLEAN
STRING = Primitive.STRING
BYTES = Primitive.BYTES
RECORDS = Primitive.RECORDS


@dataclass(frozen=True, slots=True)
class Versions:
    """A closed range of versions; ``highest=None`` means "and every later version"."""

    lowest: int
    highest: int | None

    @classmethod
    def parse(cls, text: str) -> Versions | None:
        """Parse Kafka's notation: ``"3+"``, ``"0-4"``, ``"5"``; ``"none"`` gives ``None``."""
        if text == "none":
            return None
        if text.endswith("+"):
            return cls(int(text[:-1]), None)
        low, _, high = text.partition("-")
        return cls(int(low), int(high or low))

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, int):
            return False
        return self.lowest <= version and (self.highest is None or version <= self.highest)

    def __iter__(self) -> Iterator[int]:
        """Every version in the range (only for a bounded range)."""
        if self.highest is None:
            raise ValueError(f"versions {self} have no upper bound to iterate to")
        return iter(range(self.lowest, self.highest + 1))

    def __str__(self) -> str:
        if self.highest is None:
            return f"{self.lowest}+"
        if self.highest == self.lowest:
            return str(self.lowest)
        return f"{self.lowest}-{self.highest}"


class _Required(enum.Enum):
    """Marks a field that has no default: it must be given and is present in every version."""

    REQUIRED = "REQUIRED"

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required.REQUIRED


@dataclass(frozen=True, slots=True)
class ArrayOf:
    """An array (``int32`` count, then elements) of a primitive or of a struct."""

    element: Primitive | StructSchema[Any]


FieldType = Primitive | ArrayOf


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One field of a struct, as Kafka's JSON schema describes it."""

    name: str
    type: FieldType
    versions: Versions
    nullable: Versions | None
    ignorable: bool
    default: Any

    def present_in(self, version: int) -> bool:
        """Whether the field is on the wire at ``version``."""
        return version in self.versions

    def nullable_in(self, version: int) -> bool:
        """Whether the field may be null at ``version``."""
        return self.nullable is not None and version in self.nullable


@dataclass(frozen=True, slots=True, eq=False)
class StructSchema(Generic[T]):
    """A struct's dataclass and its fields in wire order.  Compared by identity."""

    cls: type[T]
    fields: tuple[Field, ...]

    @property
    def name(self) -> str:
        """The struct's Kafka name (the dataclass's name)."""
        return self.cls.__name__

    def __repr__(self) -> str:
        return f"StructSchema({self.name})"


def field(
    name: str,
    type: FieldType,
    versions: str = "0+",
    *,
    nullable: str = "none",
    ignorable: bool = False,
) -> Field:
    """Describe one field; ``struct`` fills in its default from the dataclass."""
    parsed = Versions.parse(versions)
    if parsed is None:
        raise ValueError(f"field {name!r} must exist in some version, got versions={versions!r}")
    return Field(
        name=name,
        type=type,
        versions=parsed,
        nullable=Versions.parse(nullable),
        ignorable=ignorable,
        default=REQUIRED,
    )


def struct(cls: type[T], *fields: Field) -> StructSchema[T]:
    """Bind ``fields`` (in wire order) to dataclass ``cls``, taking each default from ``cls``.

    Raises ``ValueError`` if the dataclass does not declare exactly these fields in this order,
    or declares a default through a factory (message defaults must be immutable values).
    """
    declared = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in declared]
    if names != [f.name for f in fields]:
        raise ValueError(
            f"{cls.__name__} declares fields {names}, its schema lists {[f.name for f in fields]}"
        )
    bound = []
    for spec, declaration in zip(fields, declared, strict=True):
        if declaration.default_factory is not dataclasses.MISSING:
            raise ValueError(f"{cls.__name__}.{spec.name} must not use a default factory")
        default = REQUIRED if declaration.default is dataclasses.MISSING else declaration.default
        bound.append(dataclasses.replace(spec, default=default))
    return StructSchema(cls=cls, fields=tuple(bound))


def check_schema(schema: StructSchema[Any], versions: Versions) -> list[str]:
    """Problems with ``schema`` when it is used at ``versions``; empty if it is sound.

    At every version, for every struct reachable through fields present at that version: a field
    absent at that version must have a default, and a ``None`` default needs a nullable field.
    """
    problems: set[str] = set()
    for version in versions:
        _check_struct(schema, version, problems)
    return sorted(problems)


def _check_struct(schema: StructSchema[Any], version: int, problems: set[str]) -> None:
    """Add the problems of ``schema`` at ``version`` to ``problems``, recursing into arrays."""
    for item in schema.fields:
        where = f"{schema.name}.{item.name}"
        if item.default is None and item.nullable is None:
            problems.add(f"{where} defaults to None but is never nullable")
        if not item.present_in(version):
            if item.default is REQUIRED:
                problems.add(f"{where} is absent at version {version} but has no default")
            continue
        if isinstance(item.type, ArrayOf) and isinstance(item.type.element, StructSchema):
            _check_struct(item.type.element, version, problems)
