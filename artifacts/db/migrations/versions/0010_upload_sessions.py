"""Add resumable upload sessions (the tus protocol's upload resources).

A new table only, so the previous release keeps working during a rolling upgrade: it never
reads it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "upload_sessions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("type_name", sa.String(63), nullable=False),
        sa.Column("artifact_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(63), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("project", sa.String(255), nullable=True),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("store", sa.String(63), nullable=False),
        sa.Column("location", sa.String(1024), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("upload_metadata", sa.Text(), nullable=True),
        sa.Column("patch_token", sa.String(36), nullable=True),
        sa.Column("patch_renewed_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name="fk_upload_sessions_artifact_id_artifacts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_upload_sessions"),
    )
    op.create_index("ix_upload_sessions_expires_at", "upload_sessions", ["expires_at"])
    op.create_index("ix_upload_sessions_artifact_id", "upload_sessions", ["artifact_id"])


def downgrade() -> None:
    op.drop_index("ix_upload_sessions_artifact_id", table_name="upload_sessions")
    op.drop_index("ix_upload_sessions_expires_at", table_name="upload_sessions")
    op.drop_table("upload_sessions")
