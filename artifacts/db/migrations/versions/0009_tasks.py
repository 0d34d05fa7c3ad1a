"""Add the task queue of ``artifacts worker``, the staging area of ``glance-direct`` and the
further copies of blob data that ``copy-image`` makes in other stores.

New tables only, so the previous release keeps working during a rolling upgrade: it never
reads them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("roles", _JSON, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("type_name", sa.String(63), nullable=True),
        sa.Column("artifact_id", sa.String(36), nullable=True),
        sa.Column("input", _JSON, nullable=False),
        sa.Column("result", _JSON, nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("progress", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", _TIME, nullable=False),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
    )
    op.create_index("ix_tasks_status_run_after", "tasks", ["status", "run_after"])
    op.create_index("ix_tasks_artifact_id", "tasks", ["artifact_id", "created_at"])
    op.create_index("ix_tasks_owner_created", "tasks", ["owner", "created_at", "id"])
    op.create_table(
        "staged_data",
        sa.Column("artifact_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(63), nullable=False),
        sa.Column("store", sa.String(63), nullable=False),
        sa.Column("location", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name="fk_staged_data_artifact_id_artifacts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("artifact_id", "field", name="pk_staged_data"),
    )
    op.create_table(
        "blob_copies",
        sa.Column("artifact_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(63), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("store", sa.String(63), nullable=False),
        sa.Column("location", sa.String(1024), nullable=False),
        sa.Column("source_location", sa.String(1024), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name="fk_blob_copies_artifact_id_artifacts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("artifact_id", "field", "key", "store", name="pk_blob_copies"),
    )


def downgrade() -> None:
    op.drop_table("blob_copies")
    op.drop_table("staged_data")
    op.drop_index("ix_tasks_owner_created", table_name="tasks")
    op.drop_index("ix_tasks_artifact_id", table_name="tasks")
    op.drop_index("ix_tasks_status_run_after", table_name="tasks")
    op.drop_table("tasks")
