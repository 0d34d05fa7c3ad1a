"""Indexes for the query language on PostgreSQL: JSON containment and name search.

GIN (jsonb_path_ops) indexes on ``tags``, ``metadata`` and ``properties`` serve the containment
conditions that tag, dict-value and type-field equality filters compile to (``@>``), for every
type at once, without per-type DDL. A trigram index on ``name`` serves ``name=like:%…%``; it
needs the pg_trgm extension, which is created here when the server offers it (it is a trusted
extension, so a database owner may create it) and skipped otherwise. SQLite gets none of these:
the embedded default is not meant for catalogs where they would matter.

Creating a GIN index over a large existing table takes a while and blocks writes to it; on a
big deployment create them beforehand with ``CREATE INDEX CONCURRENTLY`` under the same names,
and this migration will find them and do nothing.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON_INDEXES = {
    "ix_artifacts_tags_gin": "tags",
    "ix_artifacts_metadata_gin": "metadata",
    "ix_artifacts_properties_gin": "properties",
}
TRIGRAM_INDEX = "ix_artifacts_name_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name, column in _JSON_INDEXES.items():
        op.create_index(
            name,
            "artifacts",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "jsonb_path_ops"},
            if_not_exists=True,
        )
    if _trigram_available(bind):
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            TRIGRAM_INDEX,
            "artifacts",
            ["name"],
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
            if_not_exists=True,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(TRIGRAM_INDEX, table_name="artifacts", if_exists=True)
    for name in _JSON_INDEXES:
        op.drop_index(name, table_name="artifacts")


def _trigram_available(bind: sa.Connection) -> bool:
    query = sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    return bind.execute(query).first() is not None
