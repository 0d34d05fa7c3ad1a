"""SemVer order and version ranges in SQL, against semantic-version, on SQLite and PostgreSQL.

Each example inserts random versions (as ``version`` and as a type's Version field), asks the
database to sort or filter them, and compares with what semantic-version says. The rows live in
a transaction that is rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator

import pytest
import semantic_version
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from artifacts.db import listing
from artifacts.db import rows as row_mapping
from artifacts.db import visibility as rule
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.registry import prepare_type
from artifacts.model.query import RANGE_OP, Filter, ListQuery
from artifacts.model.ranges import InvalidVersionRange, parse_range
from tests.sample_types import Widget
from tests.strategies import ranges, versions

FIELDS = prepare_type(Widget).fields
DB_PROPERTY = settings(
    max_examples=120,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
version_lists = st.lists(versions(), min_size=1, max_size=25, unique=True)


@pytest.fixture
def rollback_session(database: Database) -> Iterator[Session]:
    with Session(database.engine) as session:
        yield session


def _insert(session: Session, version_texts: list[str]) -> dict[str, str]:
    """Insert one widget per version (also as its api_version); return version by id."""
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    by_id: dict[str, str] = {}
    for text in version_texts:
        artifact_id = str(uuid.uuid4())
        values = {
            "id": artifact_id,
            "name": "w",
            "version": text,
            "api_version": text,
            "owner": "p1",
            "visibility": "private",
            "status": "drafted",
            "created_at": now,
            "updated_at": now,
        }
        session.add(ArtifactRow(**row_mapping.row_values("widgets", values, FIELDS), revision=1))
        by_id[artifact_id] = text
    session.flush()
    return by_id


Check = Callable[[dict[str, str], listing.ListCompiler], None]


def _run(session: Session, database: Database, version_texts: list[str], check: Check) -> None:
    transaction = session.begin()
    try:
        check(_insert(session, version_texts), listing.ListCompiler(database.dialect, FIELDS))
    finally:
        transaction.rollback()


@DB_PROPERTY
@given(version_lists, st.sampled_from(["version", "api_version"]), st.booleans())
def test_sql_order_is_semver_precedence(
    rollback_session: Session,
    database: Database,
    version_texts: list[str],
    field: str,
    descending: bool,
) -> None:
    def check(by_id: dict[str, str], compiler: listing.ListCompiler) -> None:
        key = compiler.sort_expression(field)
        stmt = select(ArtifactRow.id).order_by(key.desc() if descending else key.asc())
        ordered = [semantic_version.Version(by_id[i]) for i in rollback_session.scalars(stmt)]
        expected = sorted(ordered, reverse=descending)
        # Versions equal in precedence (differing in build only) may come in either order.
        assert [v.precedence_key for v in ordered] == [v.precedence_key for v in expected]

    _run(rollback_session, database, version_texts, check)


@DB_PROPERTY
@given(ranges, version_lists, st.sampled_from(["version", "api_version"]))
def test_sql_range_filter_is_the_library_match(
    rollback_session: Session,
    database: Database,
    expression: str,
    version_texts: list[str],
    field: str,
) -> None:
    try:
        parsed = parse_range(expression)
    except InvalidVersionRange:
        return  # refusals are compared with the library's in tests/unit/model/test_ranges.py
    spec = (
        semantic_version.NpmSpec(expression)
        if parsed.syntax == "npm"
        else semantic_version.SimpleSpec(expression)
    )

    def check(by_id: dict[str, str], compiler: listing.ListCompiler) -> None:
        condition = compiler.filter_condition(Filter(field, RANGE_OP, parsed.versions))
        found = set(rollback_session.scalars(select(ArtifactRow.id).where(condition)))
        expected = {i for i, v in by_id.items() if spec.match(semantic_version.Version(v))}
        assert found == expected, sorted(by_id[i] for i in found ^ expected)

    _run(rollback_session, database, version_texts, check)


callers = st.sampled_from([("p1", False), ("p2", False), (None, False), ("admin", True)])
rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        versions(),
        st.sampled_from(["p1", "p2"]),
        st.sampled_from(["private", "public"]),
        st.integers(0, 3),  # creation second: often equal, so ties need the later rules
    ),
    min_size=1,
    max_size=20,
    unique_by=lambda row: (row[0], row[1], row[2]),
)


@DB_PROPERTY
@given(rows, callers, st.none() | ranges)
def test_latest_is_the_highest_visible_matching_version_per_name(
    rollback_session: Session,
    database: Database,
    drawn: list[tuple[str, str, str, str, int]],
    caller: tuple[str | None, bool],
    expression: str | None,
) -> None:
    filters: tuple[Filter, ...] = ()
    spec = None
    if expression is not None:
        try:
            parsed = parse_range(expression)
        except InvalidVersionRange:
            return
        filters = (Filter("version", RANGE_OP, parsed.versions),)
        spec = (
            semantic_version.NpmSpec(expression)
            if parsed.syntax == "npm"
            else semantic_version.SimpleSpec(expression)
        )
    project, is_admin = caller
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    transaction = rollback_session.begin()
    try:
        inserted: list[ArtifactRow] = []
        for name, version, owner, visibility, second in drawn:
            created = start + dt.timedelta(seconds=second)
            values = {
                "id": str(uuid.uuid4()),
                "name": name,
                "version": version,
                "owner": owner,
                "visibility": visibility,
                "status": "active",
                "created_at": created,
                "updated_at": created,
            }
            row = ArtifactRow(**row_mapping.row_values("widgets", values, FIELDS), revision=1)
            rollback_session.add(row)
            inserted.append(row)
        rollback_session.flush()
        compiler = listing.ListCompiler(database.dialect, FIELDS)
        query = ListQuery(filters=filters, latest=True, limit=100)
        found, _ = compiler.select_page(
            rollback_session.connection(),
            type_names=["widgets"],
            query=query,
            project_id=project,
            is_admin=is_admin,
        )
        candidates = [
            row
            for row in inserted
            if rule.is_visible(rollback_session, row, project, is_admin)
            and (spec is None or spec.match(semantic_version.Version(row.version)))
        ]

        def rank(row: ArtifactRow) -> tuple[object, ...]:
            # Precedence ignores build metadata; ties go to the newest, then the highest id.
            precedence = semantic_version.Version(row.version).truncate("prerelease")
            return (precedence.precedence_key, row_mapping.aware(row.created_at), row.id)

        best: dict[str, ArtifactRow] = {}
        for row in candidates:
            if row.name not in best or rank(row) > rank(best[row.name]):
                best[row.name] = row
        assert {row.id for row in found} == {row.id for row in best.values()}
    finally:
        transaction.rollback()


# Every precedence rule of SemVer 2.0 section 11, with numbers far beyond 64 bits, in order.
SPEC_ORDER = [
    "0.9.0",
    "1.0.0-0",
    "1.0.0-9",
    "1.0.0-10",
    "1.0.0-" + "9" * 30,
    "1.0.0-" + "1" + "0" * 30,
    "1.0.0--",
    "1.0.0-A",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.9",
    "1.0.0-alpha.10",
    "1.0.0-alpha.beta",
    "1.0.0-alpha-1",
    "1.0.0-alpha1",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.9.0",
    "1.10.0",
    "1." + "9" * 40 + ".0",
    "2.0.0",
    "10.0.0",
    "9" * 99 + ".0.0",
]


@pytest.mark.parametrize("field", ["version", "api_version"])
def test_sql_order_follows_every_precedence_rule(
    rollback_session: Session, database: Database, field: str
) -> None:
    shuffled = list(SPEC_ORDER)
    random.Random(5).shuffle(shuffled)
    assert [str(v) for v in sorted(semantic_version.Version(v) for v in SPEC_ORDER)] == SPEC_ORDER

    def check(by_id: dict[str, str], compiler: listing.ListCompiler) -> None:
        key = compiler.sort_expression(field)
        ascending = [
            by_id[i] for i in rollback_session.scalars(select(ArtifactRow.id).order_by(key))
        ]
        descending = [
            by_id[i] for i in rollback_session.scalars(select(ArtifactRow.id).order_by(key.desc()))
        ]
        assert ascending == SPEC_ORDER
        assert descending == SPEC_ORDER[::-1]

    _run(rollback_session, database, shuffled, check)
