from __future__ import annotations

import datetime as dt

import pytest

from artifacts.engine.registry import prepare_type
from artifacts.errors import InvalidFilter, InvalidQuotes, InvalidSort, UnknownField
from artifacts.model.query import (
    DEFAULT_SORT,
    Filter,
    SortKey,
    parse_filter,
    parse_filters,
    parse_sort,
    split_expression,
)
from tests.sample_types import Widget

FIELDS = prepare_type(Widget).fields


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("name", "cirros", Filter("name", "eq", "cirros")),
        ("name", "neq:cirros", Filter("name", "neq", "cirros")),
        ("name", "in:a,b", Filter("name", "in", ("a", "b"))),
        ("name", "or:cirros", Filter("name", "eq", "cirros", combiner="or")),
        ("name", "and:in:a,b", Filter("name", "in", ("a", "b"))),
        ("name", 'in:"a,b",c', Filter("name", "in", ("a,b", "c"))),
        ("size", "gte:3", Filter("size", "gte", 3)),
        ("weight", "lt:2.5", Filter("weight", "lt", 2.5)),
        ("fragile", "True", Filter("fragile", "eq", True)),
        ("version", "gt:1", Filter("version", "gt", "1.0.0")),
        ("api_version", "in:1,2.1", Filter("api_version", "in", ("1.0.0", "2.1.0"))),
        (
            "made_at",
            "lt:2026-01-01T00:00:00Z",
            Filter("made_at", "lt", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        ),
        ("parts", "neq:x", Filter("parts", "neq", "x")),
        ("metadata.os", "ubuntu", Filter("metadata", "eq", "ubuntu", key="os")),
        ("metadata", "os", Filter("metadata", "eq", "os", key_exists=True)),
        ("counts.a", "gt:2", Filter("counts", "gt", 2, key="a")),
    ],
)
def test_filters_parse_to_typed_values(name: str, raw: str, expected: Filter) -> None:
    assert parse_filter(name, raw, FIELDS) == expected


def test_datetime_filters_default_to_utc() -> None:
    flt = parse_filter("made_at", "gt:2026-01-01T10:00:00", FIELDS)
    assert flt.value == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("name", "raw", "error", "message"),
    [
        ("nope", "1", UnknownField, "unknown field 'nope'"),
        ("manual", "x", UnknownField, "unknown field 'manual'"),
        ("size", "abc", InvalidFilter, "Invalid value 'abc'"),
        ("fragile", "gt:true", InvalidFilter, "not allowed"),
        ("fragile", "maybe", InvalidFilter, "true or false"),
        ("description", "x", InvalidFilter, "allowed: none"),
        ("version", "banana", InvalidFilter, "semantic version"),
        ("name", "in:a,,b", InvalidFilter, "comma-separated"),
        ("name.sub", "x", InvalidFilter, "not a dict"),
        ("name", "url:http://x", InvalidFilter, "Operator 'url' is not allowed"),
        ("name", 'in:"a', InvalidQuotes, "not closed"),
        ("name", 'in:a"b"', InvalidQuotes, "no comma before"),
        ("name", 'in:"a"b', InvalidQuotes, "no comma after"),
        ("metadata", "neq:os", InvalidFilter, "by key"),
        ("name", "x" * 256, InvalidFilter, "longer than 255"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(
    name: str, raw: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_filter(name, raw, FIELDS)


CREATED_DESC, ID_ASC = DEFAULT_SORT


def test_sort_parses_keys_and_directions_and_ends_with_glares_defaults() -> None:
    assert parse_sort("name:asc,version", FIELDS) == (
        SortKey("name", descending=False),
        SortKey("version", descending=True),
        CREATED_DESC,
        ID_ASC,
    )
    assert parse_sort(None, FIELDS) == DEFAULT_SORT
    # After a type's own field, the id alone breaks ties, in that field's direction.
    assert parse_sort("size:asc", FIELDS) == (
        SortKey("size", descending=False),
        SortKey("id", descending=False),
    )
    assert parse_sort("id:desc", FIELDS) == (SortKey("id", descending=True),)
    # A key given twice keeps its first direction, as its second cannot reorder anything.
    assert parse_sort("name,name:asc", FIELDS) == (SortKey("name", True), *DEFAULT_SORT)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("nope", "unknown field"),
        ("tags", "not sortable"),
        ("name:up", "asc' or 'desc"),
        ("name:ASC", "asc' or 'desc"),
        ("", "unknown field ''"),
        ("name:asc,", "unknown field ''"),
    ],
)
def test_bad_sorts_are_refused(raw: str, message: str) -> None:
    with pytest.raises(InvalidSort, match=message):
        parse_sort(raw, FIELDS)


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("cirros%", "cirros%"),
        ("a_b", "a_b"),
        ("a\\_b", "a\\_b"),
        ("100\\%", "100\\%"),
        ("a\\\\b", "a\\\\b"),
        ("a\\b", "a\\\\b"),
        ("trailing\\", "trailing\\\\"),
    ],
)
def test_like_values_become_escaped_patterns(value: str, pattern: str) -> None:
    assert parse_filter("name", f"like:{value}", FIELDS) == Filter("name", "like", pattern)


@pytest.mark.parametrize(
    ("raw", "op"),
    [("1.2", "eq"), ("^1.2", "range"), ("1.x", "range"), (">=1,<2", "range"), ("eq:1", "eq")],
)
def test_version_values_that_are_no_version_are_ranges(raw: str, op: str) -> None:
    assert parse_filter("version", raw, FIELDS).op == op


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("x", ("and", None, "x")),
        ("or:x", ("or", None, "x")),
        ("or:gt:5", ("or", "gt", "5")),
        ("gt:5", ("and", "gt", "5")),
        ("a:b:c", ("and", "a", "b:c")),
        ("2025-01-01T10:00:00", ("and", None, "2025-01-01T10:00:00")),
        ("or:2025-01-01T10:00:00", ("or", None, "2025-01-01T10:00:00")),
        ("lt:2025-01-01T10:00:00", ("and", "lt", "2025-01-01T10:00:00")),
    ],
)
def test_expressions_split_as_glare_splits_them(
    raw: str, parts: tuple[str, str | None, str]
) -> None:
    assert split_expression(raw) == parts


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("tags", "a,b")], [Filter("tags", "eq", "a"), Filter("tags", "eq", "b")]),
        ([("tags", '"a",b')], [Filter("tags", "eq", "a"), Filter("tags", "eq", "b")]),
        ([("tags", "")], []),
        ([("tags", "or:a")], [Filter("tags", "eq", "a", combiner="or")]),
        ([("tags-any", "a,b")], [Filter("tags", "in", ("a", "b"))]),
        ([("tags-any", "")], [Filter("tags", "in", ())]),
    ],
)
def test_tags_have_their_own_syntax(params: list[tuple[str, str]], expected: list[Filter]) -> None:
    assert list(parse_filters(params, FIELDS)) == expected


@pytest.mark.parametrize("raw", ["eq:a", "in:a,b", "eq:", "or:neq:a"])
def test_tags_take_no_operator(raw: str) -> None:
    with pytest.raises(InvalidFilter, match="without operator"):
        parse_filters([("tags", raw)], FIELDS)
