"""Per-type expression indexes: derived from the declarations, matching the compiled queries."""

from __future__ import annotations

from sqlalchemy import select, text

from artifacts.db import type_indexes
from artifacts.db.models import ArtifactRow
from artifacts.db.repository import ListCompiler
from artifacts.db.session import Database
from artifacts.engine.registry import prepare_type
from tests.sample_types import Widget

FIELDS = prepare_type(Widget).fields


def test_one_index_per_sortable_type_field() -> None:
    indexes = type_indexes.type_indexes("widgets", FIELDS)

    assert [i.field for i in indexes] == ["colour", "size", "weight", "made_at", "api_version"]
    size = next(i for i in indexes if i.field == "size")
    assert size.name == "ix_t_widgets_size"
    assert size.ddl.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_widgets_size")
    expression = "(CAST(artifacts.properties ->> 'size' AS BIGINT))"
    assert size.ddl.endswith(f"ON artifacts (type_name, {expression}, created_at, id)")


def test_long_names_are_shortened_uniquely() -> None:
    first = type_indexes._index_name("t" * 40, "a" * 30)
    second = type_indexes._index_name("t" * 40, "a" * 29 + "b")

    assert len(first) == len(second) == 63
    assert first != second


def test_applied_indexes_serve_the_compiled_filter(database: Database) -> None:
    indexes = type_indexes.type_indexes("widgets", FIELDS)

    created = type_indexes.apply(database.engine, indexes)

    if database.dialect != "postgresql":
        assert created == []
        return
    assert type_indexes.apply(database.engine, indexes) == created  # IF NOT EXISTS
    compiler = ListCompiler("postgresql", FIELDS)
    query = (
        select(ArtifactRow.id)
        .where(ArtifactRow.type_name == "widgets", compiler.sort_expression("size") == 5)
        .order_by(ArtifactRow.created_at.desc(), ArtifactRow.id.desc())
        .limit(5)
    )
    with database.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
        for index in indexes:
            conn.exec_driver_sql(f"DROP INDEX {index.name}")
        conn.commit()
    assert "ix_t_widgets_size" in plan
