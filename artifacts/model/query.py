"""Glare's list query language, parsed into typed, validated filters and sort keys.

``name=eq:cirros&tags=x&metadata.os=ubuntu&min_ram=gte:512&sort=name:asc,version:desc``

Parsing is done against the type's field declarations, so an unknown field, an operator the field
does not allow or a value of the wrong kind is refused here with a precise message, and the
database layer only ever sees well-typed values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from artifacts.errors import InvalidFilter, InvalidSort, UnknownField
from artifacts.model import fields as f
from artifacts.model import semver

OPERATORS = ("eq", "neq", "in", "gt", "gte", "lt", "lte")
RESERVED_PARAMS = frozenset({"sort", "limit", "marker"})


@dataclass(frozen=True)
class Filter:
    """One condition: ``field[.key] <op> value`` with ``value`` already of the field's kind."""

    field: str
    op: str
    value: Any
    #: For dict fields, the key whose value is compared; None compares the field itself.
    key: str | None = None
    #: For dict fields filtered without a key: the condition is "has this key".
    key_exists: bool = False


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


#: Glare's default order: newest first.
DEFAULT_SORT = (SortKey("created_at", descending=True),)


@dataclass(frozen=True)
class ListQuery:
    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = DEFAULT_SORT
    limit: int = 25
    marker: str | None = None


def parse_filters(
    params: Iterable[tuple[str, str]], fields: Mapping[str, f.Field]
) -> tuple[Filter, ...]:
    """Parse every non-reserved query parameter as a filter on ``fields``.

    Tags follow Glare: ``tags=a,b`` (or ``tags=a&tags=b``) wants every tag, ``tags-any=a,b``
    (or ``tags=in:a,b``) any of them. Tags cannot contain commas, so the split is unambiguous.
    """
    filters: list[Filter] = []
    for name, raw in params:
        if name in RESERVED_PARAMS:
            continue
        if name == "tags-any":
            filters.append(parse_filter("tags", f"in:{raw}", fields))
        elif name == "tags" and _split_operator(raw)[0] == "eq" and "," in raw:
            filters.extend(parse_filter("tags", tag, fields) for tag in raw.split(","))
        else:
            filters.append(parse_filter(name, raw, fields))
    return tuple(filters)


def parse_filter(name: str, raw: str, fields: Mapping[str, f.Field]) -> Filter:
    field_name, _, key = name.partition(".")
    declared = fields.get(field_name)
    if declared is None or declared.is_blob:
        raise UnknownField(f"Cannot filter by unknown field {field_name!r}.")
    if key and not isinstance(declared, f.Dict):
        raise InvalidFilter(f"Field {field_name!r} is not a dict; '{name}' is not a filter.")
    op, value = _split_operator(raw)
    allowed_ops = declared.filter_ops
    if isinstance(declared, f.Dict) and key:
        # By value: the operators of the value kind, within what the dict field allows.
        allowed_ops = tuple(o for o in declared.element.filter_ops if o in declared.filter_ops)
    if not allowed_ops:
        raise InvalidFilter(f"Field {field_name!r} cannot be filtered.")
    if op not in allowed_ops:
        allowed = ", ".join(allowed_ops)
        raise InvalidFilter(
            f"Operator {op!r} is not allowed on field {name!r} (allowed: {allowed})."
        )
    if isinstance(declared, f.Dict):
        if not key:
            if op not in ("eq", "in"):
                raise InvalidFilter(
                    f"Filter {field_name!r} by key with eq or in, or by value with "
                    f"'{field_name}.<key>=<op>:<value>'."
                )
            return Filter(field_name, op, _values(op, value, str), key_exists=True)
        return Filter(field_name, op, _coerce_for(op, value, declared.element, name), key=key)
    if isinstance(declared, f.List):
        if op not in ("eq", "in"):
            raise InvalidFilter(f"List field {field_name!r} is filtered with eq or in.")
        return Filter(field_name, op, _coerce_for(op, value, declared.element, name))
    return Filter(field_name, op, _coerce_for(op, value, declared, name))


def parse_sort(raw: str | None, fields: Mapping[str, f.Field]) -> tuple[SortKey, ...]:
    """Parse ``key[:asc|desc],…``; the id tie-breaker is added by the database layer."""
    if raw is None or not raw.strip():
        return DEFAULT_SORT
    keys: list[SortKey] = []
    seen: set[str] = set()
    for part in raw.split(","):
        name, _, direction = part.strip().partition(":")
        direction = direction or "desc"
        declared = fields.get(name)
        if declared is None:
            raise InvalidSort(f"Cannot sort by unknown field {name!r}.")
        if not declared.sortable:
            raise InvalidSort(f"Field {name!r} is not sortable.")
        if direction not in ("asc", "desc"):
            raise InvalidSort(f"Sort direction must be 'asc' or 'desc', not {direction!r}.")
        if name in seen:
            raise InvalidSort(f"Sort key {name!r} is given twice.")
        seen.add(name)
        keys.append(SortKey(name, descending=direction == "desc"))
    return tuple(keys)


def _split_operator(raw: str) -> tuple[str, str]:
    prefix, sep, rest = raw.partition(":")
    if sep and prefix in OPERATORS:
        return prefix, rest
    return "eq", raw


def _values(op: str, value: str, convert: Any) -> Any:
    if op == "in":
        items = value.split(",")
        if not items or any(item == "" for item in items):
            raise InvalidFilter(f"'in:' takes a comma-separated list of values, got {value!r}.")
        return tuple(convert(item) for item in items)
    return convert(value)


def _coerce_for(op: str, value: str, kind: f.Field, name: str) -> Any:
    def convert(item: str) -> Any:
        try:
            return coerce_filter_value(kind, item)
        except (ValueError, OverflowError, semver.InvalidVersion) as exc:
            raise InvalidFilter(f"Invalid value {item!r} for filter {name!r}: {exc}") from None

    return _values(op, value, convert)


def coerce_filter_value(kind: f.Field, raw: str) -> Any:
    """Turn query text into a value of the field's kind (raise ValueError when it isn't one)."""
    if isinstance(kind, f.Boolean):
        lowered = raw.lower()
        if lowered not in ("true", "false"):
            raise ValueError("expected true or false")
        return lowered == "true"
    if isinstance(kind, f.Integer):
        number = int(raw)
        if not f.INT64_MIN <= number <= f.INT64_MAX:
            raise ValueError("outside the 64-bit integer range")
        return number
    if isinstance(kind, f.Float):
        return float(raw)
    if isinstance(kind, f.DateTime):
        parsed = dt.datetime.fromisoformat(raw)
        # Everything is stored in UTC (SQLite keeps no offset), so compare in UTC.
        return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if isinstance(kind, f.Version):
        return semver.normalize_version(raw)
    if isinstance(kind, f.String) and len(raw) > kind.max_length:
        raise ValueError(f"longer than {kind.max_length} characters")
    return raw
