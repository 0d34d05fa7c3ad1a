"""Pages sorted by a type field and then another key, read one group of equal values at a time."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from artifacts.db import grouped_pages, rows, type_indexes
from artifacts.db.list_shapes import StatementCache
from artifacts.db.listing import ListCompiler
from artifacts.db.models import ArtifactRow
from artifacts.db.reads import ArtifactRecord
from artifacts.db.session import Database
from artifacts.engine.registry import prepare_type
from artifacts.model.query import ListQuery, SortKey, parse_filters, parse_sort
from tests.sample_types import Widget

FIELDS = prepare_type(Widget).fields
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
#: Sizes with large groups, a missing value (the smallest) and a group only p2 can see.
SIZES = [3, 3, 3, 3, 3, 2, 2, 2, 1, None, None, 3, 2, None, 7]
OWNERS = ["p1", "p2", "p1", "p3", "p1"]


def _insert(session: Session) -> None:
    for n, size in enumerate(SIZES):
        owner = "p2" if size == 7 else OWNERS[n % len(OWNERS)]
        values = {
            "id": str(uuid.uuid4()),
            # Names repeat, so the id decides between rows of equal size and name.
            "name": f"w{(n * 7) % 5}",
            "version": f"1.0.{n}",
            "owner": owner,
            "visibility": "public" if owner == "p3" else "private",
            "status": "drafted",
            "created_at": START + dt.timedelta(minutes=(n * 11) % 15),
            "updated_at": START,
            "colour": "red" if n % 3 else "blue",
        }
        if size is not None:
            values["size"] = size
        session.add(ArtifactRow(**rows.row_values("widgets", values, FIELDS), revision=1))
    session.flush()


def _query(sort: str, filters: str = "", *, limit: int, marker: str | None = None) -> ListQuery:
    pairs = [tuple(part.split("=", 1)) for part in filters.split("&") if part]
    return ListQuery(
        filters=parse_filters(pairs, FIELDS),
        sort=parse_sort(sort, FIELDS),
        limit=limit,
        marker=marker,
    )


def _walk(compiler: ListCompiler, session: Session, sort: str, filters: str, limit: int) -> list:
    """Every page from the first to the last, following markers as a client does."""
    walked: list[ArtifactRecord] = []
    marker = None
    while True:
        query = _query(sort, filters, limit=limit, marker=marker)
        page, more = compiler.select_page(
            session.connection(),
            type_names=["widgets"],
            query=query,
            project_id="p1",
            is_admin=False,
        )
        assert len(page) <= limit
        walked += page
        if not more:
            return walked
        marker = page[-1].id


def _expected(session: Session, sort: str, filters: str) -> list[str]:
    """The ids p1 may see, in the list's order, by the single ordered statement's rules."""
    everything = ListCompiler(session.get_bind().dialect.name, FIELDS)
    query = _query(sort, filters, limit=1000)
    order = [*query.sort]
    if order[-1].field != "id":
        order.append(SortKey("id", order[-1].descending))
    page, _ = everything.select_page(
        session.connection(), type_names=["widgets"], query=query, project_id="p1", is_admin=False
    )
    visible = [row for row in page if row.owner == "p1" or row.visibility == "public"]
    return [row.id for row in sorted(visible, key=functools.cmp_to_key(_comparer(order)))]


def _comparer(order: list[SortKey]) -> Any:
    def value(row: ArtifactRecord, field: str) -> Any:
        if field in ("name", "id", "created_at"):
            return getattr(row, field)
        return row.properties.get(field)

    def compare(a: ArtifactRecord, b: ArtifactRecord) -> int:
        for key in order:
            x, y = value(a, key.field), value(b, key.field)
            if x == y:
                continue
            # Missing values are the smallest, in either direction.
            smaller = x is None or (y is not None and x < y)
            return (1 if smaller else -1) if key.descending else (-1 if smaller else 1)
        return 0

    return compare


@pytest.fixture
def compiler(database: Database) -> ListCompiler:
    return ListCompiler(database.dialect, FIELDS, statements=StatementCache())


@pytest.mark.parametrize(
    "sort",
    [
        "size:desc,name:asc",
        "size:asc,name:desc",
        "size:desc,name:desc",
        "size:asc,name:asc",
        "size:desc,created_at:asc",
        "size:asc,id:desc",
        "colour:asc,size:desc,name:asc",
    ],
)
@pytest.mark.parametrize("limit", [1, 3, 4, 40])
def test_keyset_pages_across_groups_in_mixed_directions(
    database: Database, compiler: ListCompiler, sort: str, limit: int
) -> None:
    with database.write() as session:
        _insert(session)
        walked = _walk(compiler, session, sort, "", limit)
        expected = _expected(session, sort, "")

    assert [row.id for row in walked] == expected
    # p2's private rows, the whole size-7 group among them, are never listed.
    assert all(row.owner != "p2" for row in walked)


def test_filters_hold_in_every_group(database: Database, compiler: ListCompiler) -> None:
    with database.write() as session:
        _insert(session)
        walked = _walk(compiler, session, "size:desc,name:asc", "colour=red", 2)
        expected = _expected(session, "size:desc,name:asc", "colour=red")

    assert [row.id for row in walked] == expected
    assert {row.properties["colour"] for row in walked} == {"red"}


def test_a_page_over_many_groups_finishes_with_one_statement(
    database: Database, compiler: ListCompiler
) -> None:
    with database.write() as session:
        _insert(session)
        with _statements(database) as issued:
            page, more = compiler.select_page(
                session.connection(),
                type_names=["widgets"],
                query=_query("size:asc,name:desc", limit=40),
                project_id="p1",
                is_admin=False,
            )

    assert not more
    assert [row.id for row in page] == _expected_ids(database, "size:asc,name:desc")
    # Per group its rows and the next value; after MAX_GROUPS groups, one statement for the rest.
    assert len(issued) == 2 * grouped_pages.MAX_GROUPS


def _expected_ids(database: Database, sort: str) -> list[str]:
    with database.read() as session:
        return _expected(session, sort, "")


def test_the_statements_read_the_groups_index(database: Database, compiler: ListCompiler) -> None:
    indexes = type_indexes.type_indexes("widgets", FIELDS, database.dialect)
    # Other tests in the shared database may have left indexes of these names, built for
    # their own widgets type, whose expressions differ from this test's fields.
    _drop(database, indexes)
    type_indexes.apply(database.engine, indexes)
    try:
        with database.write() as session:
            _insert(session)
            with _statements(database) as issued:
                compiler.select_page(
                    session.connection(),
                    type_names=["widgets"],
                    query=_query("size:desc,name:asc", limit=2),
                    project_id="p1",
                    is_admin=False,
                )
        (value, rows_of_group) = issued[:2]
        sort = "TEMP B-TREE" if database.dialect == "sqlite" else "Sort"
        # The group's value: a walk of an index on the field (either serves), stopped at once.
        plan = _plan(database, *value)
        assert re.search("ix_[sn]_widgets_size", plan)
        assert sort not in plan
        # Its rows, by name: the group index, read in order.
        plan = _plan(database, *rows_of_group)
        assert "ix_n_widgets_size" in plan
        assert sort not in plan
    finally:
        _drop(database, indexes)


def _drop(database: Database, indexes: Sequence[type_indexes.TypeIndex]) -> None:
    with database.engine.begin() as conn:
        for index in indexes:
            conn.exec_driver_sql(f"DROP {index.sql_kind} IF EXISTS {index.name}")


def _plan(database: Database, statement: str, parameters: Any) -> str:
    """The database's plan of one issued statement, with its parameters.

    On PostgreSQL, whose planner prefers a sequential scan and a sort on a table this small,
    those are switched off: what is checked is that the index can serve the statement's
    conditions and order (its expression is the statement's), which a plan with no sort shows.
    On SQLite the same is had by planning without statistics: those of a table this small (the
    service gathers them as the shared test database fills) make any index on type_name look
    as good. They are dropped in this connection's transaction only, which is rolled back.
    """
    with database.engine.connect() as conn:
        if database.dialect == "sqlite":
            conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
            found = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(str(row[-1]) for row in found)
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            conn.exec_driver_sql(f"SET {setting} = off")
        found = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        return "\n".join(str(row[0]) for row in found)


@contextlib.contextmanager
def _statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Record the (statement, parameters) the engine sends while the block runs."""
    issued: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        issued.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield issued
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
