"""Per-type expression indexes on PostgreSQL for the sortable fields plugins declare.

Type-specific fields live in the ``properties`` document (ADR 0001), so no migration can know
them. A field a type declares ``sortable`` is one its users are expected to sort and filter on
("images in qcow2, newest first", "images by min_ram"); for each, this module derives three
B-tree indexes and the statistics the planner needs to choose them::

    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_images_disk_format ON artifacts
        (type_name, (properties ->> 'disk_format'), created_at, id)
    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_s_images_disk_format ON artifacts
        (type_name, (properties ->> 'disk_format') NULLS FIRST, id)
    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_n_images_disk_format ON artifacts
        (type_name, (properties ->> 'disk_format') NULLS FIRST, name, id)
    CREATE STATISTICS IF NOT EXISTS st_t_images_disk_format (dependencies, mcv)
        ON type_name, (properties ->> 'disk_format') FROM artifacts

The indexed expression is compiled from :class:`ListCompiler`'s own, so it is the expression
list queries use, which PostgreSQL requires to match an index. (The DDL is built as text rather
than as an ``Index`` of the model's table, which would become part of the models.) The first
index serves a filter on the field in the default order (and its keyset pages); the second,
ordering by the field in either direction (missing values first, as the compiler sorts them;
the id tie-breaker follows the direction); the third, the rows of one value by name in
either direction, so that a sort by the field and then by name (``sort=min_ram:desc,name:asc``)
reads each group of equal values in order, whatever the two directions (:mod:`.grouped_pages`;
by the field and then ``created_at``, the first index does the same).

The indexes are not partial (``WHERE type_name = …``), although only one type's rows matter to
them: PostgreSQL ignores the expression statistics of partial indexes when it estimates a
condition, guesses 0.5 % for any value, and prefers worse plans. For the same reason each field
comes with extended statistics on ``(type_name, expression)``: a type field's value depends
entirely on the type (other types' rows have none), which the planner, assuming independence,
would underestimate, and again choose a bitmap plan over the index's ordered scan.

``artifacts db indexes`` prints, checks or applies them; building concurrently never blocks
writers. Each object carries a fingerprint of its DDL in its comment, so a check also notices an
index whose expression no longer matches its field (a plugin release that changed the field's
kind keeps the index name but needs a new expression): ``--apply`` creates what is missing and
rebuilds what is stale, so re-running after a plugin upgrade is cheap and always right. An
object without a fingerprint (created before fingerprints, or by hand) counts as stale.

On SQLite the same three indexes exist per field, on the ``json_extract`` expression the compiler
issues there (``CAST(JSON_EXTRACT(properties, '$."disk_format"') AS VARCHAR)``); SQLite has no
``NULLS FIRST`` in an index (NULL is its smallest value anyway), no extended statistics (its
``ANALYZE`` samples expression indexes like any other) and no comments, so an index is stale
when the definition SQLite stored differs from the one derived. There each index also ends
with the columns a list tests of every row (:func:`_sqlite_row_tests`), so that the rows a
filtered list rejects are rejected from the index alone; and the ``(type_name, created_at,
id)`` index every type's newest-first lists walk is widened in place with the row tests of
all served types (:func:`shared_indexes`). ``artifacts serve`` applies them on SQLite at every
start (:func:`apply`; the embedded default has no administrator to run
``artifacts db indexes``): nothing to do once they are in place, a few seconds per index when
a type is new on a table of a million rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite

from artifacts.model import fields as f

from .list_filters import indexed_type_field
from .listing import ListCompiler
from .sqlite_statistics import ANALYSIS_LIMIT

_MAX_NAME = 63  # PostgreSQL's identifier limit
#: The columns of every type's row tests on SQLite: the caller's visibility and the tags.
_CALLER_TESTS = ("owner", "visibility", "tags")


@dataclass(frozen=True)
class TypeIndex:
    """One object serving a sortable field: an index or the planner statistics for it."""

    type_name: str
    field: str
    #: "filter" (the field, newest first), "sort" (ordered by the field), "group" (ordered by
    #: the field, then by name: :mod:`.grouped_pages`) or "statistics"; "created" for the
    #: index every type shares (:func:`shared_indexes`, type name ``*``).
    kind: str
    name: str
    ddl: str

    @property
    def fingerprint(self) -> str:
        """What the object's comment records: changes whenever its definition does."""
        digest = hashlib.sha256(self.ddl.encode()).hexdigest()[:16]
        return f"artifacts type index {digest}"

    @property
    def sql_kind(self) -> str:
        return "STATISTICS" if self.kind == "statistics" else "INDEX"


@dataclass(frozen=True)
class IndexState:
    index: TypeIndex
    #: "ok", "missing", or "stale" (present, but defined differently from the field).
    state: str


def type_indexes(
    type_name: str, fields: dict[str, f.Field], dialect: str = "postgresql"
) -> list[TypeIndex]:
    """Return the indexes (and on PostgreSQL statistics) of each sortable type field of a type."""
    if dialect == "sqlite":
        return _sqlite_indexes(type_name, fields)
    compiler = ListCompiler("postgresql", fields)
    out: list[TypeIndex] = []
    for field_name in _indexed_fields(fields):
        expression = _sql(compiler.sort_expression(field_name))
        create = "CREATE INDEX CONCURRENTLY IF NOT EXISTS"
        filter_name = _name("ix_t_", type_name, field_name)
        sort_name = _name("ix_s_", type_name, field_name)
        group_name = _name("ix_n_", type_name, field_name)
        statistics_name = _name("st_t_", type_name, field_name)
        out += [
            TypeIndex(
                type_name,
                field_name,
                "filter",
                filter_name,
                f"{create} {filter_name} ON artifacts (type_name, ({expression}), created_at, id)",
            ),
            TypeIndex(
                type_name,
                field_name,
                "sort",
                sort_name,
                f"{create} {sort_name} ON artifacts (type_name, ({expression}) NULLS FIRST, id)",
            ),
            TypeIndex(
                type_name,
                field_name,
                "group",
                group_name,
                f"{create} {group_name} ON artifacts "
                f"(type_name, ({expression}) NULLS FIRST, name, id)",
            ),
            TypeIndex(
                type_name,
                field_name,
                "statistics",
                statistics_name,
                f"CREATE STATISTICS IF NOT EXISTS {statistics_name} (dependencies, mcv) "
                f"ON type_name, ({expression}) FROM artifacts",
            ),
        ]
    return out


def _indexed_fields(fields: dict[str, f.Field]) -> list[str]:
    return [name for name in fields if indexed_type_field(fields, name)]


def _sqlite_indexes(type_name: str, fields: dict[str, f.Field]) -> list[TypeIndex]:
    compiler = ListCompiler("sqlite", fields)
    row_tests = ", ".join(_sqlite_row_tests(compiler, fields))
    out: list[TypeIndex] = []
    for field_name in _indexed_fields(fields):
        expression = _sql(compiler.sort_expression(field_name), "sqlite")
        create = "CREATE INDEX IF NOT EXISTS"
        filter_name = _name("ix_t_", type_name, field_name)
        sort_name = _name("ix_s_", type_name, field_name)
        group_name = _name("ix_n_", type_name, field_name)
        out += [
            TypeIndex(
                type_name,
                field_name,
                "filter",
                filter_name,
                f"{create} {filter_name} ON artifacts "
                f"(type_name, {expression}, created_at, id, {row_tests})",
            ),
            TypeIndex(
                type_name,
                field_name,
                "sort",
                sort_name,
                f"{create} {sort_name} ON artifacts (type_name, {expression}, id, {row_tests})",
            ),
            TypeIndex(
                type_name,
                field_name,
                "group",
                group_name,
                f"{create} {group_name} ON artifacts "
                f"(type_name, {expression}, name, id, {row_tests})",
            ),
        ]
    return out


def shared_indexes(types_fields: Iterable[dict[str, f.Field]], dialect: str) -> list[TypeIndex]:
    """On SQLite, the ``created_at`` index of every type's lists, with every type's row tests.

    The lists of a type newest first (the default order, and every bounded count of a list
    with a tag filter, :meth:`ListCompiler.count`) walk ``(type_name, created_at, id)``. On
    SQLite that index, made narrow by the first migration, is rebuilt here under the same name
    with the row tests of :func:`_sqlite_row_tests` for all the types served (each type's
    hiding fields are NULL in the other types' rows), so that a tag page rejects the rows it
    walks from the index. Its name is kept so that no narrower index with the same leading
    columns remains for the planner to prefer. PostgreSQL keeps the narrow index: its GIN
    index serves the tags, and its planner weighs what an index holds.
    """
    if dialect != "sqlite":
        return []
    hiding = {
        test
        for fields in types_fields
        for test in _hiding_tests(ListCompiler("sqlite", fields), fields)
    }
    row_tests = ", ".join([*_CALLER_TESTS, *sorted(hiding)])
    name = "ix_artifacts_type_created"
    ddl = f"CREATE INDEX IF NOT EXISTS {name} ON artifacts (type_name, created_at, id, {row_tests})"
    return [TypeIndex("*", "created_at", "created", name, ddl)]


def _sqlite_row_tests(compiler: ListCompiler, fields: dict[str, f.Field]) -> list[str]:
    """What a list tests of each row it walks, as the trailing columns of every index.

    SQLite reads a row's columns from the index it walks as long as the index has them, and
    seeks the row in the table only for the first column it lacks. With the caller's
    visibility (``owner``, ``visibility``), the tags and the fields that hide rows from lists
    (``os_hidden``) in the index, the rows a page or a bounded count rejects are never read
    from the table, which is a random read each (``disk_format=qcow2&tags=ubuntu`` rejects
    ~99 % of the images it walks). All three indexes of a field carry them: with the same
    leading columns, SQLite's planner takes the narrowest index for a count, and a narrow one
    would read every row again.
    """
    return [*_CALLER_TESTS, *_hiding_tests(compiler, fields)]


def _hiding_tests(compiler: ListCompiler, fields: dict[str, f.Field]) -> list[str]:
    """The expressions of the fields that hide a type's rows from lists (``os_hidden``)."""
    return [
        _sql(compiler.sort_expression(name), "sqlite")
        for name, field in fields.items()
        if isinstance(field, f.Boolean) and field.hides_from_lists
    ]


def inspect(engine: Engine, wanted: Iterable[TypeIndex]) -> list[IndexState]:
    """Say of each wanted object whether it is in place, missing, or stale."""
    if engine.dialect.name not in ("postgresql", "sqlite"):
        return []
    with engine.connect() as conn:
        sqlite_db = engine.dialect.name == "sqlite"
        found = _sqlite_definitions(conn) if sqlite_db else _comments(conn)
    states = []
    for item in wanted:
        if item.name not in found:
            state = "missing"
        elif found[item.name] != _recorded(item, engine.dialect.name):
            state = "stale"
        else:
            state = "ok"
        states.append(IndexState(item, state))
    return states


def _recorded(item: TypeIndex, dialect: str) -> str:
    """What the database keeps of an object in place: its comment, or SQLite its definition."""
    if dialect == "sqlite":
        return item.ddl.replace(" IF NOT EXISTS", "", 1)
    return item.fingerprint


def apply(engine: Engine, wanted: Iterable[TypeIndex]) -> list[TypeIndex]:
    """Create what is missing and rebuild what is stale (concurrently); return what was built.

    New statistics are filled by an ``ANALYZE artifacts`` (a sample, seconds on a million rows)
    so the planner uses the new indexes at once rather than after the next autovacuum.
    """
    states = inspect(engine, wanted)
    if engine.dialect.name == "sqlite":
        # SQLite's DDL is transactional: one transaction, so a failed build leaves none.
        with engine.begin() as conn:
            return _build(conn, states, sqlite_db=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return _build(conn, states, sqlite_db=False)


def _build(conn: Connection, states: Iterable[IndexState], *, sqlite_db: bool) -> list[TypeIndex]:
    built: list[TypeIndex] = []
    for found in states:
        item = found.index
        if found.state == "ok":
            continue
        if found.state == "stale":
            concurrently = " CONCURRENTLY" if item.sql_kind == "INDEX" and not sqlite_db else ""
            conn.exec_driver_sql(f"DROP {item.sql_kind}{concurrently} IF EXISTS {item.name}")
        conn.exec_driver_sql(item.ddl)
        if not sqlite_db:
            comment = f"COMMENT ON {item.sql_kind} {item.name} IS '{item.fingerprint}'"
            conn.exec_driver_sql(comment)
        built.append(item)
    if built and sqlite_db:
        # A sample per index, as the service's own statistics keeper takes it.
        conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
    elif built:
        conn.exec_driver_sql("ANALYZE artifacts")
    return built


def _sqlite_definitions(conn: Connection) -> dict[str, str | None]:
    """Every index of ``artifacts`` on SQLite, with the definition SQLite stored."""
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'artifacts'"
    )
    return {str(name): sql for name, sql in rows}


def _comments(conn: Connection) -> dict[str, str | None]:
    """Every index of ``artifacts`` and every extended statistics object, with its comment."""
    rows = conn.exec_driver_sql(
        "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = 'artifacts'::regclass "
        "UNION ALL SELECT stxname, obj_description(oid, 'pg_statistic_ext') FROM pg_statistic_ext"
    )
    return {str(name): comment for name, comment in rows}


def _sql(expression: Any, dialect_name: str = "postgresql") -> str:
    """The text of an expression with its values inlined (field names and type names).

    SQLite refuses a column qualified by its table in an index expression, so there the
    column is written alone (the same column to its planner as the query's qualified one).
    """
    if dialect_name == "sqlite":
        kwargs = {"literal_binds": True, "include_table": False}
        return str(expression.compile(dialect=cast(Any, sqlite).dialect(), compile_kwargs=kwargs))
    dialect = cast(Any, postgresql).dialect()
    return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _name(prefix: str, type_name: str, field_name: str) -> str:
    name = f"{prefix}{type_name}_{field_name}"
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{name[: _MAX_NAME - 9]}_{digest}"
