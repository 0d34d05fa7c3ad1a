"""Validators a plugin attaches to a field.

Each validator is a fragment of JSON schema. Keeping them schema-only is deliberate: the schema a
client downloads from ``/schemas/{type}`` is then exactly the rule set the server enforces, with no
hidden Python-only checks that a client could not anticipate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class Validator:
    """A rule on a field's value, expressed as JSON-schema keywords."""

    #: JSON types the rule makes sense for; the field refuses a validator of the wrong kind.
    applies_to: frozenset[str] = frozenset()

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class AllowedValues(Validator):
    values: tuple[Any, ...]

    applies_to = frozenset({"string", "integer", "number"})

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", tuple(values))
        if not self.values:
            raise ValueError("AllowedValues needs at least one value")

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.values)}


@dataclass(frozen=True)
class MinLength(Validator):
    length: int
    applies_to = frozenset({"string"})

    def schema(self) -> dict[str, Any]:
        return {"minLength": self.length}


@dataclass(frozen=True)
class MaxLength(Validator):
    length: int
    applies_to = frozenset({"string"})

    def schema(self) -> dict[str, Any]:
        return {"maxLength": self.length}


@dataclass(frozen=True)
class MinNumber(Validator):
    minimum: int | float
    applies_to = frozenset({"integer", "number"})

    def schema(self) -> dict[str, Any]:
        return {"minimum": self.minimum}


@dataclass(frozen=True)
class MaxNumber(Validator):
    maximum: int | float
    applies_to = frozenset({"integer", "number"})

    def schema(self) -> dict[str, Any]:
        return {"maximum": self.maximum}


@dataclass(frozen=True)
class UUID(Validator):
    applies_to = frozenset({"string"})

    def schema(self) -> dict[str, Any]:
        return {"pattern": UUID_PATTERN}


@dataclass(frozen=True)
class Regex(Validator):
    pattern: str
    applies_to = frozenset({"string"})

    def __post_init__(self) -> None:
        re.compile(self.pattern)

    def schema(self) -> dict[str, Any]:
        return {"pattern": self.pattern}


@dataclass(frozen=True)
class Unique(Validator):
    applies_to = frozenset({"array"})

    def schema(self) -> dict[str, Any]:
        return {"uniqueItems": True}


@dataclass(frozen=True)
class MaxItems(Validator):
    count: int
    applies_to = frozenset({"array"})

    def schema(self) -> dict[str, Any]:
        return {"maxItems": self.count}


@dataclass(frozen=True)
class MaxKeys(Validator):
    count: int
    applies_to = frozenset({"object"})

    def schema(self) -> dict[str, Any]:
        return {"maxProperties": self.count}


__all__ = [
    "UUID",
    "AllowedValues",
    "MaxItems",
    "MaxKeys",
    "MaxLength",
    "MaxNumber",
    "MinLength",
    "MinNumber",
    "Regex",
    "Unique",
    "Validator",
]
