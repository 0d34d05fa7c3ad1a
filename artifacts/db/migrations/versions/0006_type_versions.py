"""Record the schema version of each artifact's type-specific fields, and a backport.

Adds nullable columns and an index only, so the previous release keeps working during a rolling
upgrade: it neither reads nor writes them, and a row it writes has ``type_version`` NULL, which
this release reads as the type's first version (what every row was written with before).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.add_column(sa.Column("type_version", sa.String(16), nullable=True))
        batch.add_column(sa.Column("backport_version", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("backport", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True)
        )
    # On a large table, create it beforehand with CREATE INDEX CONCURRENTLY under this name
    # (building it here blocks writes while it builds); it is then found and kept.
    op.create_index(
        "ix_artifacts_type_version",
        "artifacts",
        ["type_name", "type_version", "backport_version"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_artifacts_type_version", table_name="artifacts")
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_column("backport")
        batch.drop_column("backport_version")
        batch.drop_column("type_version")
