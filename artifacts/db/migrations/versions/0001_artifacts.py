"""Create the artifacts table.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_SORT_KEY = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "artifacts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("type_name", sa.String(63), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("version_key", _SORT_KEY, nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("visibility", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", _JSON, nullable=False),
        sa.Column("metadata", _JSON, nullable=False),
        sa.Column("properties", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
        sa.UniqueConstraint(
            "type_name",
            "owner",
            "name",
            "version",
            name="uq_artifacts_type_name_owner_name_version",
        ),
    )
    op.create_index(
        "ix_artifacts_type_name_version", "artifacts", ["type_name", "name", "version_key", "id"]
    )
    op.create_index("ix_artifacts_type_created", "artifacts", ["type_name", "created_at", "id"])
    op.create_index("ix_artifacts_type_updated", "artifacts", ["type_name", "updated_at", "id"])
    op.create_index("ix_artifacts_owner", "artifacts", ["owner", "type_name"])
    op.create_index("ix_artifacts_visibility", "artifacts", ["visibility", "type_name"])
    op.create_index("ix_artifacts_created", "artifacts", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("artifacts")
