"""SemVer parsing and the bytewise sort key, checked against semantic_version and the spec."""

from __future__ import annotations

import itertools
import re
import string
from typing import Any

import pytest
import semantic_version
from hypothesis import given, settings
from hypothesis import strategies as st

from artifacts.model.semver import (
    MAX_DIGITS,
    InvalidVersion,
    normalize_version,
    parse_version,
    sort_key,
)

# No example database: a run neither depends on nor saves examples; no deadline: CI can be slow.
PROPERTY = settings(max_examples=150, database=None, deadline=None)
PRECEDENCE = settings(PROPERTY, max_examples=300)

# Small numbers most of the time, so that versions often tie and the comparison must look
# further; numbers around powers of ten (9 | 10, 99 | 100, ...) up to the 99-digit cap, where a
# length prefix matters; and arbitrary ones of any size up to the cap.
numbers = st.one_of(
    st.integers(min_value=0, max_value=12),
    st.builds(lambda n, d: 10**n - 1 + d, st.integers(0, MAX_DIGITS - 1), st.integers(0, 2)),
    st.integers(min_value=0, max_value=10**MAX_DIGITS - 1),
)
IDENTIFIER_CHARS = string.digits + string.ascii_letters + "-"
# Alphanumeric identifiers: digits, then a letter or "-" (so not a number), then anything; mostly
# from a few characters, so that identifiers are often prefixes of one another.
alphanumeric_ids = st.builds(
    "{}{}{}".format,
    st.text(string.digits, max_size=2),
    st.sampled_from("abAZ-"),
    st.text(st.sampled_from("ab1-") | st.sampled_from(IDENTIFIER_CHARS), max_size=5),
)
pre_release_ids = st.one_of(numbers.map(str), alphanumeric_ids)
build_ids = st.text(IDENTIFIER_CHARS, min_size=1, max_size=6)
releases = st.builds("{}.{}.{}".format, numbers, numbers, numbers)


def _version(release: str, pre: list[str], build: list[str]) -> str:
    return release + (f"-{'.'.join(pre)}" if pre else "") + (f"+{'.'.join(build)}" if build else "")


@st.composite
def versions(draw: st.DrawFn) -> str:
    """Draw a valid SemVer 2.0 string, with or without pre-release and build metadata."""
    pre = draw(st.lists(pre_release_ids, max_size=4))
    return _version(draw(releases), pre, draw(st.lists(build_ids, max_size=3)))


@st.composite
def pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Draw two versions: unrelated, or near misses that agree up to some point.

    Near misses share the release and leading pre-release identifiers, then each goes on with
    nothing, with an extension of a shared stem identifier ("alpha" | "alpha-" | "alpha1"), or
    with other identifiers; builds differ. That is where an encoding goes wrong if it is going to.
    """
    if draw(st.integers(0, 3)) == 0:
        return draw(versions()), draw(versions())
    release = draw(releases)
    common = draw(st.lists(pre_release_ids, max_size=2))
    stem = draw(alphanumeric_ids)

    def relative() -> str:
        shape = draw(st.integers(0, 9))
        if shape <= 5:  # the stem, often a prefix of the other side's: "" < "-" < "-a", "a" < "a-"
            extension = draw(st.sampled_from(["", "-", "a", "-a", "a-", "0"]))
            tail = [
                stem + extension,
                *draw(st.lists(alphanumeric_ids | pre_release_ids, max_size=1)),
            ]
        elif shape <= 7:
            tail = draw(st.lists(pre_release_ids, min_size=1, max_size=2))
        else:
            tail = []
        return _version(release, common + tail, draw(st.lists(build_ids, max_size=2)))

    return relative(), relative()


def _sign(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _without_build(version: str) -> str:
    return version.partition("+")[0]


# --- the sort key ------------------------------------------------------------------------------


@PRECEDENCE
@given(pairs())
def test_sort_key_order_is_semver_precedence(pair: tuple[str, str]) -> None:
    a, b = pair
    expected = _sign(semantic_version.Version(a), semantic_version.Version(b))
    assert _sign(sort_key(a), sort_key(b)) == expected


@PROPERTY
@given(numbers, numbers)
def test_numbers_compare_numerically_at_any_size(a: int, b: int) -> None:
    for template in ("{}.0.0", "0.{}.0", "0.0.{}", "0.0.0-{}", "0.0.0-x.{}"):
        assert _sign(sort_key(template.format(a)), sort_key(template.format(b))) == _sign(a, b)


@PROPERTY
@given(versions(), st.lists(build_ids, max_size=3))
def test_sort_key_is_compact_ascii_and_ignores_build(version: str, build: list[str]) -> None:
    key = sort_key(version)
    assert key.isascii()
    assert key.isprintable()
    assert not set(key) & {'"', "\\", " "}  # safe, unescaped, inside JSON documents
    assert len(key) <= 2.5 * len(_without_build(version))
    rebuilt = _without_build(version) + ("+" + ".".join(build) if build else "")
    assert sort_key(rebuilt) == key
    assert sort_key(semantic_version.Version(version)) == key


SPEC_ORDER = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
]


@pytest.mark.parametrize(
    "ascending",
    [
        SPEC_ORDER,
        ["1.9.0", "1.10.0", "1.11.0"],
        ["1.0.0-alpha.9", "1.0.0-alpha.10"],
        ["1.0.0", "2.0.0", "2.1.0", "2.1.1"],
        ["1.0.0-0", "1.0.0-1", "1.0.0--", "1.0.0-0a", "1.0.0-A", "1.0.0-a"],
        ["1.0.0-a", "1.0.0-a.0", "1.0.0-a.b", "1.0.0-a-1", "1.0.0-a1"],
        ["1.0.0-alpha", "1.0.0-alpha.z", "1.0.0-alpha-", "1.0.0-alpha1", "1.0.0-alphaa"],
        ["9.0.0", "10.0.0", "99.0.0", "100.0.0", f"{10**98}.0.0"],
    ],
    ids=["spec", "minor", "numeric-id", "release", "id-kinds", "prefixes", "longer-id", "big"],
)
def test_examples_sort_in_precedence_order(ascending: list[str]) -> None:
    keys = [sort_key(v) for v in ascending]
    assert all(a < b for a, b in itertools.pairwise(keys)), list(zip(ascending, keys, strict=True))


def test_versions_differing_only_in_build_share_a_key() -> None:
    assert sort_key("1.0.0-rc.1+build.5") == sort_key("1.0.0-rc.1") == sort_key("1.0.0-rc.1+x")
    assert sort_key("1.0.0+a") == sort_key("1.0.0")


def test_sort_key_encoding_matches_the_documented_sketch() -> None:
    assert sort_key("1.10.0-rc.1+build.5") == "0110210010-arc!#011!"
    assert sort_key("1.10.0") == "0110210010~"


def test_sort_key_completes_partial_versions() -> None:
    assert sort_key("1") == sort_key("1.0.0")


# --- parsing -----------------------------------------------------------------------------------


@PROPERTY
@given(versions())
def test_full_versions_are_kept_exactly_and_round_trip(version: str) -> None:
    parsed = parse_version(version)
    assert parsed == semantic_version.Version(version)
    assert normalize_version(version) == version
    assert parse_version(normalize_version(version)) == parsed


@PROPERTY
@given(st.integers(0, 10**MAX_DIGITS - 1), st.integers(0, 10**MAX_DIGITS - 1))
def test_partial_versions_are_completed_with_zeros(major: int, minor: int) -> None:
    assert normalize_version(f"{major}") == f"{major}.0.0"
    assert normalize_version(major) == f"{major}.0.0"
    assert normalize_version(f"{major}.{minor}") == f"{major}.{minor}.0"


# The grammar from semver.org, kept independent of the module's own spelling of it.
SEMVER_ORG = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
    re.ASCII,
)
PARTIAL = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?", re.ASCII)


@PROPERTY
@given(
    st.text(st.sampled_from("0123.-+aZ"), max_size=12)
    | st.text(st.characters(codec="utf-8"), max_size=20)
    | versions()
)
def test_keeps_semver_completes_partial_versions_and_stores_only_semver(text: str) -> None:
    """Valid SemVer is kept as is, "1"/"1.2" completed, and whatever is accepted is SemVer."""
    if SEMVER_ORG.fullmatch(text):
        assert normalize_version(text) == text
    elif PARTIAL.fullmatch(text):
        assert normalize_version(text) == text + (".0" if "." in text else ".0.0")
    try:
        normalized = normalize_version(text)
    except InvalidVersion as exc:
        message = str(exc)
        normalized = None
    if normalized is None:
        assert repr(text)[:40] in message
    else:
        assert SEMVER_ORG.fullmatch(normalized), normalized


@settings(PROPERTY, max_examples=60)
@given(versions(), st.sampled_from([" ", "\n", "\t", "v", "V", "=", "\u00a0"]))
def test_versions_with_a_leading_decoration_are_rejected(version: str, extra: str) -> None:
    with pytest.raises(InvalidVersion):
        parse_version(extra + version)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", "1.0.0"),
        ("1.2", "1.2.0"),
        ("0", "0.0.0"),
        ("1.2.3", "1.2.3"),
        ("1.2.3-rc.1+build.5", "1.2.3-rc.1+build.5"),
        ("1.0.0+001", "1.0.0+001"),
        ("1.0.0-0a.00a.-", "1.0.0-0a.00a.-"),
        (2, "2.0.0"),
        (0, "0.0.0"),
        (1.5, "1.5.0"),
        (2.0, "2.0.0"),
        # Glare's coercions (semantic_version's), recorded from Glare 5.0.1 (tests/compat).
        ("1-beta", "1.0.0-beta"),
        ("01.02.03", "1.2.3"),
        ("1.2.3-", "1.2.3"),
        ("1.0.0.0", "1.0.0+0"),
        ("1.2-rc.1", "1.2.0-rc.1"),
        ("1.0.0+build+2", "1.0.0+build.2"),
        ("1.0.0 ", "1.0.0"),
    ],
)
def test_coercion_examples(value: str | int | float, expected: str) -> None:
    assert normalize_version(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "\n",
        "abc",
        "v1.2",
        "v1.2.3",
        "V1",
        "=1.0.0",
        " 1.0.0",
        ".1",
        "1..2",
        "-1",
        "-1.0.0",
        "1.0.0-rc..1",
        "1.0.0-01",
        "1.0.0-rc.01",
        "*",
        "latest",
        f"{10**MAX_DIGITS}.0.0",
        f"1.0.0-rc.{10**MAX_DIGITS}",
        -1,
        -0.5,
        10**MAX_DIGITS,
        pytest.param(10**5000, id="int-of-5001-digits"),
        float("nan"),
        float("inf"),
        1e20,
        True,
        False,
        None,
        b"1.0.0",
        [1, 0, 0],
    ],
)
def test_rejects_what_is_not_a_version(value: Any) -> None:
    with pytest.raises(InvalidVersion, match="semantic version"):
        parse_version(value)


@pytest.mark.parametrize("value", ["abc", "v1.2", "1..2", "", -1, True])
def test_rejection_message_names_the_value(value: Any) -> None:
    with pytest.raises(InvalidVersion) as caught:
        parse_version(value)
    assert repr(value) in str(caught.value)


def test_rejection_message_of_huge_input_stays_short() -> None:
    with pytest.raises(InvalidVersion) as caught:
        parse_version("x" * 100_000)
    assert "'xxxx" in str(caught.value)
    assert len(str(caught.value)) < 300


def test_invalid_version_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'banana'"):
        normalize_version("banana")


def test_sort_key_rejects_what_parsing_rejects() -> None:
    with pytest.raises(InvalidVersion):
        sort_key("v1.0.0")
