"""Glare's list query language, parsed into typed, validated filters and sort keys.

``name=eq:cirros&tags=x&metadata.os=ubuntu&min_ram=gte:512&sort=name:asc,version:desc``,
``version=^1.2.0``, ``version=latest``, ``name=like:cir%``, ``total_count=true``.
The full reference is docs/queries.md.

Parsing is done against the type's field declarations, so an unknown field, an operator the field
does not allow or a value of the wrong kind is refused here with a precise message, and the
database layer only ever sees well-typed values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from artifacts.errors import InvalidFilter, InvalidSort, UnknownField
from artifacts.model import fields as f
from artifacts.model import ranges, semver

OPERATORS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", f.LIKE_OP)
#: The operator of a version field's range expression (``version=^1.2``), which has no prefix.
RANGE_OP = "range"
#: Parameters that shape the listing rather than filter it.
RESERVED_PARAMS = frozenset({"sort", "limit", "marker", "latest", "total_count"})
#: ``version=latest`` (Glare's spelling of ``latest=true``) is an option, not a filter.
LATEST = "latest"
#: The escape character of the SQL LIKE patterns that ``like`` filters compile to.
LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class Filter:
    """One condition: ``field[.key] <op> value`` with ``value`` already of the field's kind.

    For ``range`` the value is a :class:`artifacts.model.ranges.VersionSet`; for ``like`` it is a
    SQL LIKE pattern whose escape character is :data:`LIKE_ESCAPE`.
    """

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
    #: Keep only the highest version of each name (among the rows the caller sees and the
    #: filters keep).
    latest: bool = False
    #: Count every matching artifact, not only this page's.
    total_count: bool = False


def parse_filters(
    params: Iterable[tuple[str, str]], fields: Mapping[str, f.Field]
) -> tuple[Filter, ...]:
    """Parse every non-reserved query parameter as a filter on ``fields``.

    Tags follow Glare: ``tags=a,b`` (or ``tags=a&tags=b``) wants every tag, ``tags-any=a,b``
    (or ``tags=in:a,b``) any of them. Tags cannot contain commas, so the split is unambiguous.
    A Boolean field declared ``hides_from_lists`` that no parameter filters keeps the artifacts
    where it is true out (``neq``, so a row written before the field existed is listed).
    """
    filters: list[Filter] = []
    for name, raw in params:
        if name in RESERVED_PARAMS or (name == "version" and raw == LATEST):
            continue
        if name == "tags-any":
            filters.append(parse_filter("tags", f"in:{raw}", fields))
        elif name == "tags" and _split_operator(raw)[0] == "eq" and "," in raw:
            filters.extend(parse_filter("tags", tag, fields) for tag in raw.split(","))
        else:
            filters.append(parse_filter(name, raw, fields))
    filtered = {flt.field for flt in filters}
    for name, field in fields.items():
        if isinstance(field, f.Boolean) and field.hides_from_lists and name not in filtered:
            filters.append(Filter(name, "neq", True))
    return tuple(filters)


def parse_filter(name: str, raw: str, fields: Mapping[str, f.Field]) -> Filter:
    field_name, _, key = name.partition(".")
    declared = fields.get(field_name)
    if declared is None or declared.is_blob:
        raise UnknownField(f"Cannot filter by unknown field {field_name!r}.")
    if key and not isinstance(declared, f.Dict):
        raise InvalidFilter(f"Field {field_name!r} is not a dict; '{name}' is not a filter.")
    op, value = _split_operator(raw)
    if isinstance(declared, f.Version) and raw == value and not _is_version(value):
        return _range_filter(field_name, declared, value)
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
    if op == f.LIKE_OP:
        return Filter(field_name, op, like_pattern(value))
    return Filter(field_name, op, _coerce_for(op, value, declared, name))


def parse_flag(name: str, raw: str | None) -> bool:
    """Parse a boolean query option such as ``latest=true`` (absent means false)."""
    if raw is None:
        return False
    lowered = raw.lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise InvalidFilter(f"Query parameter {name!r} must be true or false, not {raw!r}.")
    return lowered in ("true", "1", "yes")


def like_pattern(value: str) -> str:
    r"""Turn a ``like`` value into a SQL LIKE pattern with :data:`LIKE_ESCAPE` as escape.

    ``%`` matches any run of characters, as in Glare. Everything else is literal: ``_`` (a
    wildcard to SQL, but common in artifact names), and ``\%`` and ``\\``, which stand for a
    percent sign and a backslash.
    """
    if not value:
        raise InvalidFilter("'like:' needs a pattern, e.g. like:cirros% or like:%cloud%.")
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and value[i + 1 : i + 2] in ("%", "\\"):
            out.append(LIKE_ESCAPE + value[i + 1])
            i += 2
            continue
        if char in ("_", "\\"):
            out.append(LIKE_ESCAPE + char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


#: What marks a range expression rather than a version: an "x", "X" or "*" component (1.x,
#: 1.2.*), comparators, spaces, "||" or ",". Glare's coercion would read "1.x" as the build
#: suffix 1.0.0+x and "1.2.0 - 2.0.0" as a pre-release, versions no real artifact carries.
_RANGE_MARK = re.compile(r"(?:^|\.)[xX*](?:\.|$)|[\s|<>=~^!,]")


def _is_version(value: str) -> bool:
    if _RANGE_MARK.search(value):
        return False
    try:
        semver.parse_version(value)
    except semver.InvalidVersion:
        return False
    return True


def _range_filter(name: str, declared: f.Version, expression: str) -> Filter:
    """A version value that is no plain version is a range expression (``^1.2``, ``>=1,<2``)."""
    if not {"gt", "gte", "lt", "lte"} <= set(declared.filter_ops):
        raise InvalidFilter(f"Field {name!r} cannot be filtered by a version range.")
    try:
        parsed = ranges.parse_range(expression)
    except ranges.InvalidVersionRange as exc:
        raise InvalidFilter(
            f"Invalid value {expression!r} for filter {name!r}: not a semantic version, "
            f"nor a version range ({exc})."
        ) from None
    return Filter(name, RANGE_OP, parsed.versions)


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
