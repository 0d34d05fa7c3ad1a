"""SQL for SemVer queries: version ranges as key intervals, and ``latest`` per name.

Versions compare by their sort keys (``artifacts.model.semver.sort_key``), whose byte order is
SemVer precedence, so a range is plain range conditions an index on the key can serve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, false, literal, not_, or_, select
from sqlalchemy.sql.util import ClauseAdapter

from artifacts.model import ranges, semver

from .models import ArtifactRow


def no_higher_version(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """No other row of its type matching ``conditions`` has the same name and a higher version.

    As in Glare, every row at the highest precedence stays: the builds of the top version
    (``1.0.0+b1`` and ``1.0.0+b2``) and the same version from two owners are all listed. The
    conditions are re-applied to the competing row, so "highest" means among what the caller
    sees and the filters keep, and the answer is the same on every page. Names are compared
    within a type (Glare compares across the types of ``all``: deviation ``latest-per-type``).
    """
    newer = ArtifactRow.__table__.alias("newer")
    adapt = ClauseAdapter(newer).traverse
    mine, theirs = ArtifactRow, newer.c
    higher = theirs.version_key > mine.version_key
    competitors = (
        select(literal(1))
        .select_from(newer)
        .where(
            theirs.type_name == mine.type_name,
            theirs.name == mine.name,
            higher,
            *(adapt(condition) for condition in conditions),
        )
    )
    return not_(competitors.exists())


def in_version_set(
    key: SQLColumnExpression[Any], versions: ranges.VersionSet
) -> ColumnElement[bool]:
    """Condition on a version sort key: the key lies in the set's release or pre-release part.

    Intervals common to both parts need no test of the kind of version; the rest are tested
    with ``LIKE '%~'`` (release keys end with "~") after the index has narrowed the range.
    """
    common = ranges.intersect(versions.releases, versions.prereleases)
    only_releases = ranges.difference(versions.releases, versions.prereleases)
    only_prereleases = ranges.difference(versions.prereleases, versions.releases)
    is_release = key.like("%" + semver.RELEASE_MARK)
    parts = [
        *(_in_interval(key, interval) for interval in common),
        *(and_(_in_interval(key, i), is_release) for i in only_releases),
        *(and_(_in_interval(key, i), not_(is_release)) for i in only_prereleases),
    ]
    return or_(*parts) if parts else false()


def _in_interval(
    key: SQLColumnExpression[Any], interval: ranges.KeyInterval
) -> ColumnElement[bool]:
    if interval.low is not None and interval.low == interval.high:
        return key == interval.low
    bounds: list[ColumnElement[bool]] = []
    if interval.low is not None:
        bounds.append(key >= interval.low if interval.low_inclusive else key > interval.low)
    if interval.high is not None:
        bounds.append(key <= interval.high if interval.high_inclusive else key < interval.high)
    return and_(*bounds) if bounds else key.is_not(None)
