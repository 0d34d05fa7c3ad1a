"""Per-type expression indexes on PostgreSQL for the sortable fields plugins declare.

Type-specific fields live in the ``properties`` document (ADR 0001), so no migration can know
them. A field a type declares ``sortable`` is one its users are expected to sort and filter on
("images in qcow2, newest first"); for each, this module derives a B-tree index::

    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_images_disk_format ON artifacts
        (type_name, (properties ->> 'disk_format'), created_at, id)

The indexed expression is compiled from :class:`ListCompiler`'s own, so it is the expression
list queries use, which PostgreSQL requires to match an index. (The DDL is built as text rather
than as an ``Index`` of the model's table, which would become part of the models.) The
trailing ``created_at, id`` serve the default order (and its keyset pages) under a filter on the
field. The index is not partial (``WHERE type_name = …``), although only one type's rows
matter to it: PostgreSQL ignores the expression statistics of partial indexes when it estimates
a condition, and without them it guesses 0.5 % for any value and prefers worse plans.
``artifacts db indexes`` prints or applies them; building concurrently never blocks
writers, and ``IF NOT EXISTS`` makes re-running after a plugin upgrade cheap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql

from artifacts.model import fields as f
from artifacts.model.base import COMMON_FIELDS

from .repository import ListCompiler

_PREFIX = "ix_t_"
_MAX_NAME = 63  # PostgreSQL's identifier limit
_INDEXABLE = (f.String, f.Integer, f.Float, f.Boolean, f.DateTime, f.Version, f.Link)


@dataclass(frozen=True)
class TypeIndex:
    type_name: str
    field: str
    name: str
    ddl: str


def type_indexes(type_name: str, fields: dict[str, f.Field]) -> list[TypeIndex]:
    """Return the index of each sortable type-specific field of one type."""
    compiler = ListCompiler("postgresql", fields)
    out: list[TypeIndex] = []
    for field_name, field in fields.items():
        if field_name in COMMON_FIELDS or not field.sortable:
            continue
        if not isinstance(field, _INDEXABLE):
            continue
        name = _index_name(type_name, field_name)
        expression = _sql(compiler.sort_expression(field_name))
        ddl = (
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON artifacts "
            f"(type_name, ({expression}), created_at, id)"
        )
        out.append(TypeIndex(type_name, field_name, name, ddl))
    return out


def apply(engine: Engine, indexes: Iterable[TypeIndex]) -> list[TypeIndex]:
    """Create the indexes that are missing (concurrently, outside a transaction)."""
    if engine.dialect.name != "postgresql":
        return []
    created: list[TypeIndex] = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for index in indexes:
            conn.exec_driver_sql(index.ddl)
            created.append(index)
    return created


def _sql(expression: Any) -> str:
    """PostgreSQL text of an expression with its values inlined (field names and type names)."""
    dialect = cast(Any, postgresql).dialect()
    return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _index_name(type_name: str, field_name: str) -> str:
    name = f"{_PREFIX}{type_name}_{field_name}"
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{name[: _MAX_NAME - 9]}_{digest}"
