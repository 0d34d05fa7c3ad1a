"""SemVer order and version ranges in SQL, against semantic-version, on SQLite and PostgreSQL.

Each example inserts random versions (as ``version`` and as a type's Version field), asks the
database to sort or filter them, and compares with what semantic-version says. The rows live in
a transaction that is rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import pytest
import semantic_version
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from artifacts.db import repository as repo
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.registry import prepare_type
from artifacts.model.query import RANGE_OP, Filter
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
        session.add(ArtifactRow(**repo.row_values("widgets", values, FIELDS), revision=1))
        by_id[artifact_id] = text
    session.flush()
    return by_id


Check = Callable[[dict[str, str], repo.ListCompiler], None]


def _run(session: Session, database: Database, version_texts: list[str], check: Check) -> None:
    transaction = session.begin()
    try:
        check(_insert(session, version_texts), repo.ListCompiler(database.dialect, FIELDS))
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
    def check(by_id: dict[str, str], compiler: repo.ListCompiler) -> None:
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

    def check(by_id: dict[str, str], compiler: repo.ListCompiler) -> None:
        condition = compiler.filter_condition(Filter(field, RANGE_OP, parsed.versions))
        found = set(rollback_session.scalars(select(ArtifactRow.id).where(condition)))
        expected = {i for i, v in by_id.items() if spec.match(semantic_version.Version(v))}
        assert found == expected, sorted(by_id[i] for i in found ^ expected)

    _run(rollback_session, database, version_texts, check)
