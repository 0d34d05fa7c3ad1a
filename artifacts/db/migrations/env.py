"""Alembic environment: runs on the connection handed over by artifacts.db.migrate."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import text

from artifacts.db.models import EXTENSION, POSTGRESQL_ONLY, Base

connection = context.config.attributes["connection"]


def _installed(extension: str) -> bool:
    query = text("SELECT 1 FROM pg_extension WHERE extname = :name")
    return connection.execute(query, {"name": extension}).first() is not None


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Compare PostgreSQL-only indexes only where they can exist (see models.POSTGRESQL_ONLY)."""
    if kind != "index" or reflected or not obj.info.get(POSTGRESQL_ONLY):
        return True
    info = obj.info
    if connection.dialect.name != "postgresql":
        return False
    extension = info.get(EXTENSION)
    return extension is None or _installed(extension)


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
