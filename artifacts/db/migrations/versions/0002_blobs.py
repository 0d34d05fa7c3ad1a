"""Blob records and the orphan table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("artifact_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(63), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("md5", sa.String(32), nullable=True),
        sa.Column("sha1", sa.String(40), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("content_type", sa.String(255), nullable=True),
        sa.Column("store", sa.String(63), nullable=True),
        sa.Column("location", sa.String(1024), nullable=True),
        sa.Column("external_url", sa.Text(), nullable=True),
        sa.Column("pending_upload_id", sa.String(36), nullable=True),
        sa.Column("pending_store", sa.String(63), nullable=True),
        sa.Column("pending_location", sa.String(1024), nullable=True),
        sa.Column("pending_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name="fk_blobs_artifact_id_artifacts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("artifact_id", "field", "key", name="pk_blobs"),
    )
    op.create_index("ix_blobs_pending_started_at", "blobs", ["pending_started_at"])
    op.create_table(
        "orphans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("store", sa.String(63), nullable=False),
        sa.Column("location", sa.String(1024), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orphans"),
    )


def downgrade() -> None:
    op.drop_table("orphans")
    op.drop_table("blobs")
