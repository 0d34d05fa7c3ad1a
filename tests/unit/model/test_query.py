from __future__ import annotations

import datetime as dt

import pytest

from artifacts.engine.registry import prepare_type
from artifacts.errors import InvalidFilter, InvalidSort, UnknownField
from artifacts.model.query import DEFAULT_SORT, Filter, SortKey, parse_filter, parse_sort
from tests.sample_types import Widget

FIELDS = prepare_type(Widget).fields


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("name", "cirros", Filter("name", "eq", "cirros")),
        ("name", "neq:cirros", Filter("name", "neq", "cirros")),
        ("name", "in:a,b", Filter("name", "in", ("a", "b"))),
        ("name", "url:http://x", Filter("name", "eq", "url:http://x")),
        ("size", "gte:3", Filter("size", "gte", 3)),
        ("weight", "lt:2.5", Filter("weight", "lt", 2.5)),
        ("fragile", "True", Filter("fragile", "eq", True)),
        ("version", "gt:1", Filter("version", "gt", "1.0.0")),
        ("api_version", "in:1,2.1", Filter("api_version", "in", ("1.0.0", "2.1.0"))),
        ("tags", "x", Filter("tags", "eq", "x")),
        ("tags", "in:x,y", Filter("tags", "in", ("x", "y"))),
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
        ("description", "x", InvalidFilter, "cannot be filtered"),
        ("version", "banana", InvalidFilter, "semantic version"),
        ("name", "in:a,,b", InvalidFilter, "comma-separated"),
        ("name.sub", "x", InvalidFilter, "not a dict"),
        ("tags", "gt:x", InvalidFilter, "not allowed"),
        ("metadata", "neq:os", InvalidFilter, "by key"),
        ("name", "x" * 256, InvalidFilter, "longer than 255"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(
    name: str, raw: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_filter(name, raw, FIELDS)


def test_sort_parses_keys_and_directions() -> None:
    assert parse_sort("name:asc,version", FIELDS) == (
        SortKey("name", descending=False),
        SortKey("version", descending=True),
    )
    assert parse_sort(None, FIELDS) == DEFAULT_SORT
    assert parse_sort("size:asc", FIELDS) == (SortKey("size", descending=False),)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("nope", "unknown field"),
        ("tags", "not sortable"),
        ("name:up", "asc' or 'desc"),
        ("name,name:asc", "twice"),
    ],
)
def test_bad_sorts_are_refused(raw: str, message: str) -> None:
    with pytest.raises(InvalidSort, match=message):
        parse_sort(raw, FIELDS)


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("cirros%", "cirros%"),
        ("a_b", "a\\_b"),
        ("100\\%", "100\\%"),
        ("a\\\\b", "a\\\\b"),
        ("a\\b", "a\\\\b"),
        ("a\\_", "a\\\\\\_"),
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
