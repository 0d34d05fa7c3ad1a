"""Version ranges as key intervals, checked against semantic-version's own ``match``."""

from __future__ import annotations

import pytest
import semantic_version
from hypothesis import example, given, settings
from hypothesis import strategies as st

from artifacts.model.ranges import (
    InvalidVersionRange,
    KeyInterval,
    complement,
    intersect,
    parse_range,
    union,
)
from artifacts.model.semver import sort_key
from tests.strategies import ranges, versions

PROPERTY = settings(max_examples=400, database=None, deadline=None)


def library_spec(expression: str, syntax: str) -> semantic_version.base.BaseSpec:
    if syntax == "npm":
        return semantic_version.NpmSpec(expression)
    return semantic_version.SimpleSpec(expression)


@PROPERTY
@given(ranges, st.lists(versions(), min_size=1, max_size=12))
@example("1.x || >=2.5.0 <3.0.0", ["1.0.0", "1.9.9", "2.4.0", "2.5.0", "2.9.0-rc.1", "3.0.0"])
@example(">=1.0.0,<2.0.0", ["1.5.0-rc.1", "2.0.0-rc.1", "2.0.0", "0.9.0"])
@example(">=1.0.0-rc.1 <2.0.0", ["1.0.0-rc.1", "1.0.0-rc.2", "1.1.0-rc.1", "1.0.0"])
@example("<1.2.3-,!=1.0.0-", ["1.0.0-alpha", "1.2.3-rc.1", "1.2.3"])
def test_range_sets_match_exactly_what_the_library_matches(
    expression: str, candidates: list[str]
) -> None:
    try:
        parsed = parse_range(expression)
    except InvalidVersionRange:
        syntax = "simple" if any(t in expression for t in ("==", "!=", "~=", ",")) else "npm"
        with pytest.raises((ValueError, AttributeError)):  # the library's own refusal
            library_spec(expression, syntax)
        return
    spec = library_spec(expression, parsed.syntax)
    for candidate in candidates:
        expected = spec.match(semantic_version.Version(candidate))
        assert parsed.versions.contains(candidate) == expected, (candidate, parsed.versions)


@pytest.mark.parametrize(
    ("expression", "inside", "outside"),
    [
        ("^1.2.0", ["1.2.0", "1.9.9", "1.10.0"], ["1.1.9", "2.0.0", "1.5.0-rc.1"]),
        ("~1.2", ["1.2.0", "1.2.99"], ["1.3.0", "1.1.0", "1.2.1-rc.1"]),
        (">=1.0.0,<2.0.0", ["1.0.0", "1.5.0-rc.1", "1.99.0"], ["2.0.0-rc.1", "2.0.0"]),
        ("1.x || >=2.5.0 <3.0.0", ["1.0.0", "2.5.0", "2.99.0"], ["2.4.9", "3.0.0", "0.9.0"]),
        (">=1.0.0-beta <1.0.1", ["1.0.0-beta", "1.0.0-rc.1", "1.0.0"], ["1.0.0-alpha"]),
        ("*", ["0.0.0", "99.0.0"], ["1.0.0-rc.1"]),
        ("!=1.2.3", ["1.2.2", "1.2.4"], ["1.2.3", "1.2.3+b1", "1.2.3-rc.1"]),
    ],
)
def test_documented_examples(expression: str, inside: list[str], outside: list[str]) -> None:
    versions_in = parse_range(expression).versions
    assert all(versions_in.contains(v) for v in inside)
    assert not any(versions_in.contains(v) for v in outside)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("banana", "not a version range in npm syntax"),
        (">=1.0.0,banana", "not a version range in simple syntax"),
        ("==1.0.0+b5", "build metadata"),
        ("1.0.0 - ", "npm syntax"),
        (f">={'9' * 100}.0.0", "more than 99 digits"),
    ],
)
def test_bad_ranges_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(InvalidVersionRange, match=message):
        parse_range(expression)


keys = st.sampled_from([sort_key(v) for v in ("0.1.0", "1.0.0-rc.1", "1.0.0", "1.2.0", "2.0.0")])
intervals = st.builds(KeyInterval, st.none() | keys, st.none() | keys, st.booleans(), st.booleans())
key_sets = st.lists(intervals, max_size=3).map(lambda items: union(tuple(items), ()))


@PROPERTY
@given(key_sets, key_sets, keys)
def test_interval_algebra_is_set_algebra(a: tuple, b: tuple, key: str) -> None:
    def member(s: tuple) -> bool:
        return any(i.contains(key) for i in s)

    assert member(union(a, b)) == (member(a) or member(b))
    assert member(intersect(a, b)) == (member(a) and member(b))
    assert member(complement(a)) == (not member(a))
