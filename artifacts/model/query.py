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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from artifacts.errors import InvalidFilter, InvalidQuotes, InvalidSort, UnknownField
from artifacts.model import fields as f
from artifacts.model import ranges, semver
from artifacts.model.base import COMMON_FIELDS

OPERATORS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", f.LIKE_OP)
#: How a filter joins the others: every ``and`` filter must hold, and so must one of the ``or``
#: filters when there are any (``name=or:a&min_ram=or:gt:5``), as in Glare.
AND, OR = "and", "or"
COMBINERS = (AND, OR)
#: The operator of a version field's range expression (``version=^1.2``), which has no prefix.
RANGE_OP = "range"
#: Parameters that shape the listing rather than filter it.
RESERVED_PARAMS = frozenset({"sort", "limit", "marker", "latest", "total_count"})
#: ``version=latest`` (Glare's spelling of ``latest=true``) is an option, not a filter.
LATEST = "latest"
#: The escape character of the SQL LIKE patterns that ``like`` filters compile to.
LIKE_ESCAPE = "\\"
#: Tags have a syntax of their own: ``tags=a,b`` wants every tag, ``tags-any=a,b`` any of them.
TAGS, TAGS_ANY = "tags", "tags-any"


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
    #: :data:`AND` or :data:`OR` (see :data:`COMBINERS`).
    combiner: str = AND
    #: Also match artifacts without a value (a comparison alone never does, as in Glare).
    or_missing: bool = False

    @property
    def values(self) -> Sequence[Any]:
        """The values compared: those of ``in``, or the one value of any other operator."""
        return self.value if self.op == "in" else (self.value,)


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


#: What every order ends with unless the request names the key itself, as in Glare: newest
#: first, then the id, so the order is total.
DEFAULT_SORT = (SortKey("created_at", descending=True), SortKey("id", descending=False))


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

    A Boolean field declared ``hides_from_lists`` that no parameter filters keeps the artifacts
    where it is true out; a row written before the field existed has no value and is listed.
    """
    filters: list[Filter] = []
    for name, raw in params:
        if name in RESERVED_PARAMS or (name == "version" and raw == LATEST):
            continue
        if name in (TAGS, TAGS_ANY):
            filters.extend(parse_tags(name, raw))
        else:
            filters.append(parse_filter(name, raw, fields))
    filtered = {flt.field for flt in filters}
    for name, field in fields.items():
        if isinstance(field, f.Boolean) and field.hides_from_lists and name not in filtered:
            filters.append(Filter(name, "neq", True, or_missing=True))
    return tuple(filters)


def parse_tags(name: str, raw: str) -> list[Filter]:
    """``tags=[and:|or:]a,b`` (every tag) or ``tags-any=[and:|or:]a,b`` (any), as Glare reads them.

    No operator is allowed. Values split as ``in:`` values do (quotes protect commas); none at
    all (``tags=``) is no condition for ``tags``, and matches nothing for ``tags-any``.
    """
    combiner, values = AND, raw
    prefix, sep, rest = raw.partition(":")
    if sep and prefix in COMBINERS:
        combiner, values = prefix, rest
    if ":" in values:
        raise InvalidFilter("Tags are filtered without operator.")
    tags = split_values(values)
    if name == TAGS_ANY:
        return [Filter(TAGS, "in", tuple(tags), combiner=combiner)]
    return [Filter(TAGS, "eq", tag, combiner=combiner) for tag in tags]


def parse_filter(name: str, raw: str, fields: Mapping[str, f.Field]) -> Filter:
    field_name, _, key = name.partition(".")
    declared = fields.get(field_name)
    if declared is None or declared.is_blob:
        raise UnknownField(f"Cannot filter by unknown field {field_name!r}.")
    if key and not isinstance(declared, f.Dict):
        raise InvalidFilter(f"Field {field_name!r} is not a dict; '{name}' is not a filter.")
    combiner, given_op, value = split_expression(raw)
    op = given_op or "eq"
    if isinstance(declared, f.Dict) and not key:
        if op not in ("eq", "in"):
            raise InvalidFilter(
                f"Filter {field_name!r} by key with eq or in, or by value with "
                f"'{field_name}.<key>=<op>:<value>'."
            )
        keys = tuple(split_values(value)) if op == "in" else value
        return Filter(field_name, op, keys, key_exists=True, combiner=combiner)
    if isinstance(declared, f.Version) and given_op is None and not _is_version(value):
        return _range_filter(field_name, declared, value, combiner)
    if op not in declared.filter_ops:
        allowed = ", ".join(declared.filter_ops) or "none"
        raise InvalidFilter(
            f"Operator {op!r} is not allowed on field {name!r} (allowed: {allowed})."
        )
    kind = declared.element if isinstance(declared, f.Dict | f.List) else declared
    if op == f.LIKE_OP:
        return Filter(field_name, op, like_pattern(value), key=key or None, combiner=combiner)
    return Filter(
        field_name, op, _coerce_for(op, value, kind, name), key=key or None, combiner=combiner
    )


def split_expression(raw: str) -> tuple[str, str | None, str]:
    """Split ``[and:|or:][op:]value`` into combiner, operator (None: not given) and value.

    As in Glare, whatever stands before the first colon (after a combiner) is the operator, so
    an unknown one is refused rather than read as part of the value; only a value that is a
    whole ISO 8601 timestamp (``2025-01-01T00:00:00``, colons and all) has no operator.
    """
    parts = raw.split(":")
    combiner = AND
    if len(parts) > 1 and parts[0] in COMBINERS:
        combiner = parts.pop(0)
        if len(parts) == 1:
            return combiner, None, parts[0]
    if len(parts) == 1 or (len(parts) > 2 and _is_timestamp(":".join(parts))):
        return combiner, None, ":".join(parts)
    return combiner, parts[0], ":".join(parts[1:])


def _is_timestamp(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


#: One value of a comma-separated list: a double-quoted one (``\"`` escapes a quote inside),
#: or a run of anything but commas, or nothing between two commas.
_LIST_ITEM = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,')


def split_values(value: str) -> list[str]:
    """Split ``a,"b,c",d`` into its values; quotes stand right after and before commas."""
    _check_quotes(value)
    return [quoted or plain for quoted, plain in _LIST_ITEM.findall(value)]


def _check_quotes(value: str) -> None:
    opening = True
    for i, char in enumerate(value):
        if char != '"' or (i and value[i - 1] == "\\"):
            continue
        if opening and i and value[i - 1] != ",":
            raise InvalidQuotes(
                f"Invalid filter value {value}. There is no comma before opening quotation mark."
            )
        if not opening and i + 1 != len(value) and value[i + 1] != ",":
            raise InvalidQuotes(
                f"Invalid filter value {value}. There is no comma after closing quotation mark."
            )
        opening = not opening
    if not opening:
        raise InvalidQuotes(f"Invalid filter value {value}. The quote is not closed.")


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

    ``%`` matches any run of characters and ``_`` any one character, as in Glare (which hands
    the value to SQL LIKE). ``\%``, ``\_`` and ``\\`` stand for a percent sign, an underscore and
    a backslash; any other character is itself.
    """
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and value[i + 1 : i + 2] in ("%", "_", "\\"):
            out.append(LIKE_ESCAPE + value[i + 1])
            i += 2
            continue
        if char == "\\":
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


def _range_filter(name: str, declared: f.Version, expression: str, combiner: str) -> Filter:
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
    return Filter(name, RANGE_OP, parsed.versions, combiner=combiner)


#: The keys Glare sorts by on its own columns (every other key is a type's own field).
_GLARE_SORT_KEYS = frozenset({*COMMON_FIELDS, "type_name", "display_type_name"})


def split_sort(raw: str | None) -> tuple[tuple[str, bool], ...]:
    """Read ``key[:asc|desc],…`` as (key, descending) pairs; a key alone sorts descending.

    Only the directions are checked here, as Glare checks them before it looks at the type.
    """
    if raw is None:
        return ()
    keys = []
    for part in raw.strip().split(","):
        name, _, direction = part.strip().partition(":")
        if direction and direction not in ("asc", "desc"):
            raise InvalidSort(f"Sort direction must be 'asc' or 'desc', not {direction!r}.")
        keys.append((name, direction != "asc"))
    return tuple(keys)


def parse_sort(raw: str | None, fields: Mapping[str, f.Field]) -> tuple[SortKey, ...]:
    """Parse ``key[:asc|desc],…`` on ``fields`` and make the order total.

    As in Glare, the order ends with :data:`DEFAULT_SORT`'s keys that it does not name. After a
    type's own field (which Glare's built-in types do not let a list sort by) only the id
    follows, in that key's direction: the order the field's index (artifacts.db.type_indexes)
    returns rows in, so a page needs no sort of every row with the same value.
    A key given twice keeps its first place and direction (the second cannot reorder anything).
    """
    keys: dict[str, SortKey] = {}
    for name, descending in split_sort(raw):
        declared = fields.get(name)
        if declared is None:
            raise InvalidSort(f"Cannot sort by unknown field {name!r}.")
        if not declared.sortable:
            raise InvalidSort(f"Field {name!r} is not sortable.")
        keys.setdefault(name, SortKey(name, descending))
    if any(name not in _GLARE_SORT_KEYS for name in keys):
        last = list(keys.values())[-1]
        keys.setdefault("id", SortKey("id", last.descending))
    for default in DEFAULT_SORT:
        if "id" in keys:
            break  # unique: nothing after it can reorder rows
        keys.setdefault(default.field, default)
    return tuple(keys.values())


def _values(op: str, value: str, convert: Any) -> Any:
    if op == "in":
        items = split_values(value)
        if not items or any(item == "" for item in items):
            raise InvalidFilter(f"'in:' takes a comma-separated list of values, got {value!r}.")
        return tuple(convert(item) for item in items)
    return convert(value)


def _coerce_for(op: str, value: str, kind: f.Field, name: str) -> Any:
    def convert(item: str) -> Any:
        try:
            return kind.parse_query(item)
        except (ValueError, OverflowError, semver.InvalidVersion) as exc:
            raise InvalidFilter(f"Invalid value {item!r} for filter {name!r}: {exc}") from None

    return _values(op, value, convert)
