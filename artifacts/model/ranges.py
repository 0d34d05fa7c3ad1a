"""Version ranges ("^1.2.0", ">=1.0.0,<2.0.0", "1.x || >=2.5.0 <3.0.0") as sort-key intervals.

semantic-version parses a range into a tree of clauses (any-of, all-of, and ranges such as
``>=1.2.0`` with a pre-release policy). This module turns that tree into the set of versions it
matches, written in the terms the database can search: intervals of
:func:`artifacts.model.semver.sort_key` values. Because a pre-release policy treats pre-releases
differently from releases (npm's ``>=1.0.0 <2.0.0`` admits 1.5.0 but not 1.5.0-rc.1), a set is
kept as two interval unions, one for the releases and one for the pre-releases it contains::

    "^1.2.0" (npm)   releases     [k(1.2.0), k(2.0.0))
                     pre-releases (none: no comparator names a pre-release)
    ">=1.0.0,<2.0.0" releases     [k(1.0.0), k(2.0.0))
    (simple)         pre-releases [k(1.0.0), k(2.0.0-*))   "<2.0.0" excludes 2.0.0's own ones

Every operation is exact, so the database answers what ``spec.match(version)`` would, which the
property tests check. Build metadata takes no part in precedence, so it cannot be part of a
range either: a range that would select by build (``==1.0.0+b5``) is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import semantic_version
from semantic_version import base as sv

from artifacts.model import semver

__all__ = [
    "InvalidVersionRange",
    "KeyInterval",
    "VersionSet",
    "parse_range",
]

_SHOWN_CHARS = 80
#: Operators only semantic-version's "simple" syntax has; npm's has none of them.
_SIMPLE_ONLY = ("==", "!=", "~=", ",")


class InvalidVersionRange(ValueError):
    """The text is not a version range in a syntax semantic-version understands."""


@dataclass(frozen=True, order=True)
class KeyInterval:
    """Sort keys between ``low`` and ``high``; None is unbounded on that side."""

    low: str | None = None
    high: str | None = None
    low_inclusive: bool = True
    high_inclusive: bool = False

    def is_empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        if self.low == self.high:
            return not (self.low_inclusive and self.high_inclusive)
        return self.low > self.high

    def contains(self, key: str) -> bool:
        if self.low is not None and (
            key < self.low or (key == self.low and not self.low_inclusive)
        ):
            return False
        return self.high is None or key < self.high or (key == self.high and self.high_inclusive)

    def intersect(self, other: KeyInterval) -> KeyInterval:
        low, low_inclusive = _tighter(
            (self.low, self.low_inclusive), (other.low, other.low_inclusive), lower=True
        )
        high, high_inclusive = _tighter(
            (self.high, self.high_inclusive), (other.high, other.high_inclusive), lower=False
        )
        return KeyInterval(low, high, low_inclusive, high_inclusive)


Bound = tuple[str | None, bool]


def _tighter(a: Bound, b: Bound, *, lower: bool) -> Bound:
    """Return the more restrictive of two lower (or upper) bounds."""
    if a[0] is None:
        return b
    if b[0] is None:
        return a
    if a[0] == b[0]:
        return a[0], a[1] and b[1]
    if lower:
        return a if a[0] > b[0] else b
    return a if a[0] < b[0] else b


KeySet = tuple[KeyInterval, ...]
EVERYTHING: KeySet = (KeyInterval(),)
NOTHING: KeySet = ()


def _normalize(intervals: Iterable[KeyInterval]) -> KeySet:
    """Sort, drop empty intervals and merge those that overlap or touch."""

    def low_order(i: KeyInterval) -> tuple[int, str, int]:
        return (0, "", 0) if i.low is None else (1, i.low, 0 if i.low_inclusive else 1)

    merged: list[KeyInterval] = []
    for interval in sorted((i for i in intervals if not i.is_empty()), key=low_order):
        if merged and _meets(merged[-1], interval):
            last = merged[-1]
            high, high_inclusive = _looser_high(last, interval)
            merged[-1] = KeyInterval(last.low, high, last.low_inclusive, high_inclusive)
        else:
            merged.append(interval)
    return tuple(merged)


def _meets(first: KeyInterval, second: KeyInterval) -> bool:
    """Whether ``second`` (starting no earlier than ``first``) overlaps or touches it."""
    if first.high is None or second.low is None:
        return True
    if second.low < first.high:
        return True
    return second.low == first.high and (first.high_inclusive or second.low_inclusive)


def _looser_high(a: KeyInterval, b: KeyInterval) -> Bound:
    if a.high is None or b.high is None:
        return None, False
    if a.high == b.high:
        return a.high, a.high_inclusive or b.high_inclusive
    return (a.high, a.high_inclusive) if a.high > b.high else (b.high, b.high_inclusive)


def union(a: KeySet, b: KeySet) -> KeySet:
    return _normalize((*a, *b))


def intersect(a: KeySet, b: KeySet) -> KeySet:
    return _normalize(x.intersect(y) for x in a for y in b)


def complement(a: KeySet) -> KeySet:
    """Return the keys outside a normalized set."""
    gaps: list[KeyInterval] = []
    low: str | None = None
    low_inclusive = True
    for interval in a:
        if interval.low is not None:
            gaps.append(KeyInterval(low, interval.low, low_inclusive, not interval.low_inclusive))
        if interval.high is None:
            return _normalize(gaps)
        low, low_inclusive = interval.high, not interval.high_inclusive
    gaps.append(KeyInterval(low, None, low_inclusive, False))
    return _normalize(gaps)


def difference(a: KeySet, b: KeySet) -> KeySet:
    return intersect(a, complement(b))


@dataclass(frozen=True)
class VersionSet:
    """The versions a range matches: sort-key intervals for releases and for pre-releases."""

    releases: KeySet
    prereleases: KeySet

    def __and__(self, other: VersionSet) -> VersionSet:
        return VersionSet(
            intersect(self.releases, other.releases),
            intersect(self.prereleases, other.prereleases),
        )

    def __or__(self, other: VersionSet) -> VersionSet:
        return VersionSet(
            union(self.releases, other.releases), union(self.prereleases, other.prereleases)
        )

    def contains(self, version: str) -> bool:
        """Whether the set holds ``version`` (the Python twin of the SQL condition)."""
        key = semver.sort_key(version)
        intervals = self.prereleases if semver.is_prerelease_key(key) else self.releases
        return any(interval.contains(key) for interval in intervals)


ALL_VERSIONS = VersionSet(EVERYTHING, EVERYTHING)
NO_VERSIONS = VersionSet(NOTHING, NOTHING)


@dataclass(frozen=True)
class VersionRange:
    """A parsed range: the text the user wrote, the syntax it was read in, and what it matches."""

    expression: str
    syntax: str
    versions: VersionSet


def parse_range(expression: str) -> VersionRange:
    """Parse a range the way semantic-version does, and return the versions it matches.

    Expressions with a comma or an operator only the "simple" syntax has (``==``, ``!=``,
    ``~=``) are read as ``semantic_version.SimpleSpec``; everything else as
    ``semantic_version.NpmSpec``. The two differ in pre-releases, and each keeps its library's
    rule: npm admits a pre-release only when a comparator of the same group names a pre-release
    of the same major.minor.patch; the simple syntax admits pre-releases inside the range, except
    that ``<X.Y.Z`` (and ``!=X.Y.Z``) for a release excludes X.Y.Z's own pre-releases.

    Raise InvalidVersionRange, saying what is wrong, when the text is not a range.
    """
    shown = _shown(expression)
    if not expression.strip():
        raise InvalidVersionRange("an empty version range")
    spec: sv.BaseSpec
    syntax = "simple" if any(token in expression for token in _SIMPLE_ONLY) else "npm"
    try:
        if syntax == "simple":
            spec = semantic_version.SimpleSpec(expression)
        else:
            spec = semantic_version.NpmSpec(expression)
    except (ValueError, AttributeError) as exc:
        # semantic-version 2.10 fails with AttributeError on some malformed hyphen ranges.
        reason = str(exc) if isinstance(exc, ValueError) else "malformed hyphen range"
        raise InvalidVersionRange(
            f"{shown} is not a version range in {syntax} syntax ({reason})"
        ) from None
    try:
        versions = _clause_versions(spec.clause)
    except semver.InvalidVersion as exc:
        raise InvalidVersionRange(f"{shown} is not a supported version range: {exc}") from None
    return VersionRange(expression, syntax, versions)


def _clause_versions(clause: sv.Clause) -> VersionSet:
    if isinstance(clause, sv.Always):
        return ALL_VERSIONS
    if isinstance(clause, sv.Never):
        return NO_VERSIONS
    if isinstance(clause, sv.AllOf):
        result = ALL_VERSIONS
        for sub in clause.clauses:
            result &= _clause_versions(sub)
        return result
    if isinstance(clause, sv.AnyOf):
        result = NO_VERSIONS
        for sub in clause.clauses:
            result |= _clause_versions(sub)
        return result
    if isinstance(clause, sv.Range):
        return _range_versions(clause)
    raise InvalidVersionRange(f"unsupported range clause {clause!r}")


def _range_versions(clause: sv.Range) -> VersionSet:
    """Mirror ``semantic_version.base.Range.match`` as key intervals."""
    if clause.build_policy == sv.Range.BUILD_STRICT:
        raise InvalidVersionRange(
            f"'{clause}' selects by build metadata, which takes no part in version precedence"
        )
    target = clause.target
    key = semver.sort_key(str(target))
    base: KeySet
    if clause.operator == sv.Range.OP_EQ:
        base = (KeyInterval(key, key, True, True),)
    elif clause.operator == sv.Range.OP_GT:
        base = (KeyInterval(key, None, False),)
    elif clause.operator == sv.Range.OP_GTE:
        base = (KeyInterval(key, None, True),)
    elif clause.operator == sv.Range.OP_LT:
        base = (KeyInterval(None, key, True, False),)
    elif clause.operator == sv.Range.OP_LTE:
        base = (KeyInterval(None, key, True, True),)
    else:  # OP_NEQ
        base = (KeyInterval(None, key, True, False), KeyInterval(key, None, False))
    releases: KeySet = base
    prereleases: KeySet = base
    own_prereleases = _prereleases_of(target)
    if clause.prerelease_policy == sv.Range.PRERELEASE_SAMEPATCH:
        prereleases = intersect(prereleases, own_prereleases)
    elif (
        clause.prerelease_policy == sv.Range.PRERELEASE_NATURAL
        and clause.operator in (sv.Range.OP_LT, sv.Range.OP_NEQ)
        and not target.prerelease
    ):
        prereleases = difference(prereleases, own_prereleases)
    return VersionSet(releases, prereleases)


def _prereleases_of(target: semantic_version.Version) -> KeySet:
    """The keys of every pre-release of the target's major.minor.patch."""
    prefix = semver.release_prefix(str(target))
    return (KeyInterval(prefix + semver.PRERELEASE_MARK, prefix + semver.RELEASE_MARK),)


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."
