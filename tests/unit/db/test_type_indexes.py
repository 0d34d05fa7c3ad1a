"""Per-type expression indexes: derived from the declarations, matching the compiled queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from artifacts import plugin as p
from artifacts.db import migrate, rows, type_indexes
from artifacts.db.listing import ListCompiler
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database, build_engine
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy
from artifacts.engine.registry import TypeRegistry, prepare_type
from tests.sample_types import Widget

FIELDS = prepare_type(Widget).fields


def test_indexes_and_statistics_per_sortable_type_field() -> None:
    indexes = type_indexes.type_indexes("widgets", FIELDS)

    assert [i.field for i in indexes[::4]] == ["colour", "size", "weight", "made_at", "api_version"]
    size = {i.kind: i for i in indexes if i.field == "size"}
    expression = "(CAST(artifacts.properties ->> 'size' AS BIGINT))"
    assert size["filter"].ddl == (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_widgets_size ON artifacts "
        f"(type_name, {expression}, created_at, id)"
    )
    assert size["sort"].ddl == (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_s_widgets_size ON artifacts "
        f"(type_name, {expression} NULLS FIRST, id)"
    )
    assert size["group"].ddl == (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_n_widgets_size ON artifacts "
        f"(type_name, {expression} NULLS FIRST, name, id)"
    )
    assert size["statistics"].ddl == (
        "CREATE STATISTICS IF NOT EXISTS st_t_widgets_size (dependencies, mcv) "
        f"ON type_name, {expression} FROM artifacts"
    )


def test_long_names_are_shortened_uniquely() -> None:
    first = type_indexes._name("ix_t_", "t" * 40, "a" * 30)
    second = type_indexes._name("ix_t_", "t" * 40, "a" * 29 + "b")

    assert len(first) == len(second) == 63
    assert first != second


def test_sqlite_indexes_are_on_the_compiled_json_extract_expression() -> None:
    indexes = type_indexes.type_indexes("widgets", FIELDS, "sqlite")

    size = {i.kind: i for i in indexes if i.field == "size"}
    assert set(size) == {"filter", "sort", "group"}  # SQLite has no extended statistics
    expression = "CAST(CAST(JSON_EXTRACT(properties, '$.\"size\"') AS VARCHAR) AS BIGINT)"
    row_tests = "owner, visibility, tags"
    assert size["filter"].ddl == (
        "CREATE INDEX IF NOT EXISTS ix_t_widgets_size ON artifacts "
        f"(type_name, {expression}, created_at, id, {row_tests})"
    )
    assert size["sort"].ddl == (
        "CREATE INDEX IF NOT EXISTS ix_s_widgets_size ON artifacts "
        f"(type_name, {expression}, id, {row_tests})"
    )
    assert size["group"].ddl == (
        "CREATE INDEX IF NOT EXISTS ix_n_widgets_size ON artifacts "
        f"(type_name, {expression}, name, id, {row_tests})"
    )


def test_sqlite_indexes_carry_what_a_list_tests_of_each_row() -> None:
    # The caller's visibility, the tags and the fields that hide rows from lists: a list
    # walking the index rejects rows without reading them from the table.
    fields = dict(FIELDS, hidden=p.Boolean(hides_from_lists=True))

    indexes = type_indexes.type_indexes("widgets", fields, "sqlite")

    hidden = "CAST(JSON_EXTRACT(properties, '$.\"hidden\"') AS BOOLEAN)"
    assert {i.kind for i in indexes} == {"filter", "sort", "group"}
    for index in indexes:
        assert index.ddl.endswith(f", owner, visibility, tags, {hidden})"), index.ddl


def test_sqlite_shares_one_created_index_carrying_every_types_row_tests() -> None:
    hiding = dict(FIELDS, hidden=p.Boolean(hides_from_lists=True))

    (index,) = type_indexes.shared_indexes([FIELDS, hiding, hiding], "sqlite")

    hidden = "CAST(JSON_EXTRACT(properties, '$.\"hidden\"') AS BOOLEAN)"
    assert index.name == "ix_artifacts_type_created"  # the migration's narrow index, widened
    assert index.ddl == (
        "CREATE INDEX IF NOT EXISTS ix_artifacts_type_created ON artifacts "
        f"(type_name, created_at, id, owner, visibility, tags, {hidden})"
    )
    assert type_indexes.shared_indexes([FIELDS], "postgresql") == []


def test_a_sqlite_tag_list_and_its_count_walk_the_shared_index(tmp_path: Path) -> None:
    database = _sqlite_widgets(
        tmp_path / "tags.db",
        lambda n: {
            "owner": "p1" if n % 3 else "p2",
            "visibility": "public" if n % 2 else "private",
            "status": "active",
            "tags": ["x"] if n % 10 == 0 else ["y"],
        },
    )
    shared = type_indexes.shared_indexes([FIELDS], "sqlite")
    assert [s.state for s in type_indexes.inspect(database.engine, shared)] == ["stale"]
    assert type_indexes.apply(database.engine, shared) == shared
    service = ArtifactService(database, TypeRegistry([Widget]), Policy())
    statements: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        ctx = RequestContext(project_id="p1")
        page = service.list(ctx, "widgets", [("tags", "x"), ("limit", "5")], count=True)
    finally:
        event.remove(database.engine, "before_cursor_execute", note)

    # Tagged: every 10th row; of those, p1's own (n % 3 != 0) or public (none: n is even).
    assert page.total_count == len([n for n in range(0, 600, 10) if n % 3])
    assert [item["name"] for item in page.items] == ["w590", "w580", "w560", "w550", "w530"]
    page_sql, count_sql = (s for s in statements if "artifacts" in s[0] and "blobs" not in s[0])
    with database.engine.connect() as conn:
        for statement, parameters in (page_sql, count_sql):
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            assert "INDEX ix_artifacts_type_created (type_name=?)" in str(plan), plan
    database.dispose()


def test_applied_indexes_serve_the_compiled_filter(database: Database) -> None:
    indexes = type_indexes.type_indexes("widgets", FIELDS, database.dialect)

    created = type_indexes.apply(database.engine, indexes)

    if database.dialect == "sqlite":
        try:
            assert created == indexes
            assert type_indexes.apply(database.engine, indexes) == []  # all in place now
        finally:
            _drop(database, indexes)
        return
    try:
        assert created == indexes
        assert type_indexes.apply(database.engine, indexes) == []  # all in place now
        compiler = ListCompiler("postgresql", FIELDS)
        query = (
            select(ArtifactRow.id)
            .where(ArtifactRow.type_name == "widgets", compiler.sort_expression("size") == 5)
            .order_by(ArtifactRow.created_at.desc(), ArtifactRow.id.desc())
            .limit(5)
        )
        with database.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
        assert "ix_t_widgets_size" in plan
    finally:
        with database.engine.begin() as conn:
            for index in indexes:
                kind = "STATISTICS" if index.kind == "statistics" else "INDEX"
                conn.exec_driver_sql(f"DROP {kind} IF EXISTS {index.name}")


def test_sqlite_plans_use_the_indexes_once_analyzed(tmp_path: Path) -> None:
    database = _sqlite_widgets(
        tmp_path / "plans.db",
        lambda n: {"size": n % 30, "owner": "p1", "visibility": "private", "status": "drafted"},
    )

    type_indexes.apply(database.engine, type_indexes.type_indexes("widgets", FIELDS, "sqlite"))

    assert _sqlite_plan(database, "size", 5, order="created_at") == (
        "SEARCH artifacts USING INDEX ix_t_widgets_size (type_name=? AND <expr>=?)"
    )
    assert "ix_s_widgets_size" in _sqlite_plan(database, "size", None, order="size")
    database.dispose()


def test_a_sqlite_index_whose_field_changed_kind_is_stale_and_rebuilt(
    database: Database,
) -> None:
    if database.dialect != "sqlite":
        return
    retyped = dict(FIELDS, size=p.String(sortable=True))
    before, after = (
        [i for i in type_indexes.type_indexes("widgets", fields, "sqlite") if i.field == "size"]
        for fields in (FIELDS, retyped)
    )
    try:
        type_indexes.apply(database.engine, before)
        assert [s.state for s in type_indexes.inspect(database.engine, after)] == ["stale"] * 3
        assert type_indexes.apply(database.engine, after) == after
        assert {s.state for s in type_indexes.inspect(database.engine, after)} == {"ok"}
    finally:
        _drop(database, before)


def test_an_index_whose_field_changed_kind_is_stale_and_rebuilt(database: Database) -> None:
    if database.dialect != "postgresql":
        return
    before = [i for i in type_indexes.type_indexes("widgets", FIELDS) if i.field == "size"]
    retyped = dict(FIELDS, size=p.String(sortable=True))
    after = [i for i in type_indexes.type_indexes("widgets", retyped) if i.field == "size"]
    assert [i.name for i in before] == [i.name for i in after]
    try:
        type_indexes.apply(database.engine, before)
        states = type_indexes.inspect(database.engine, after)
        assert [s.state for s in states] == ["stale"] * 4
        assert type_indexes.apply(database.engine, after) == after
        assert {s.state for s in type_indexes.inspect(database.engine, after)} == {"ok"}
        with database.engine.connect() as conn:
            definition = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_t_widgets_size'"
            ).scalar_one()
        assert "BIGINT" not in definition.upper()
    finally:
        _drop(database, before)


def test_an_index_without_a_fingerprint_counts_as_stale(database: Database) -> None:
    if database.dialect != "postgresql":
        return
    (filter_index, *_) = type_indexes.type_indexes("widgets", FIELDS)
    try:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(filter_index.ddl)
        (state,) = type_indexes.inspect(database.engine, [filter_index])
        assert state.state == "stale"
    finally:
        _drop(database, [filter_index])


def _sqlite_widgets(path: Path, values_of: Callable[[int], dict[str, Any]]) -> Database:
    """A migrated SQLite database of 600 widgets, one a second, with ``values_of(n)`` each."""
    database = Database(build_engine(f"sqlite:///{path}"))
    migrate.upgrade(database.engine)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with database.write() as session:
        for n in range(600):
            values = {
                "id": str(uuid.uuid4()),
                "name": f"w{n}",
                "version": "1.0.0",
                "created_at": now + dt.timedelta(seconds=n),
                "updated_at": now,
                **values_of(n),
            }
            session.add(ArtifactRow(**rows.row_values("widgets", values, FIELDS), revision=1))
    return database


def _drop(database: Database, indexes: list[type_indexes.TypeIndex]) -> None:
    with database.engine.begin() as conn:
        for index in indexes:
            conn.exec_driver_sql(f"DROP {index.sql_kind} IF EXISTS {index.name}")


def _sqlite_plan(database: Database, field: str, value: object, *, order: str) -> str:
    """SQLite's plan for the compiled filter on ``field`` (or none), ordered by ``order``."""
    compiler = ListCompiler("sqlite", FIELDS)
    conditions = [ArtifactRow.type_name == "widgets"]
    if value is not None:
        conditions.append(compiler.sort_expression(field) == value)
    key = compiler.sort_expression(order)
    query = select(ArtifactRow.id).where(*conditions).order_by(key.desc(), ArtifactRow.id.desc())
    with database.engine.connect() as conn:
        compiled = query.limit(5).compile(conn, compile_kwargs={"literal_binds": True})
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return "\n".join(str(row[-1]) for row in rows)
