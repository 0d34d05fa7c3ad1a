"""Quotas: administrators' limits, each project's usage, and uploads' reservations.

New tables and one nullable column, so the previous release keeps working during a rolling
upgrade; it does not maintain ``quota_usage`` though, so run ``artifacts quotas check
--repair`` once the last node runs this release (it recomputes usage from what is stored).
The usage of the data already stored is computed here, from the same rows that check reads.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)

#: Usage of the data present at upgrade time: per (owner, type), then per owner as "" .
_BACKFILL = """
INSERT INTO quota_usage (project_id, type_name, artifacts, bytes, reserved)
SELECT a.owner, a.type_name, COUNT(*), COALESCE(SUM(b.total), 0), 0
FROM artifacts a
LEFT JOIN (
    SELECT artifact_id, SUM(size) AS total FROM blobs
    WHERE location IS NOT NULL AND size IS NOT NULL GROUP BY artifact_id
) b ON b.artifact_id = a.id
GROUP BY a.owner, a.type_name
"""
_TOTALS = """
INSERT INTO quota_usage (project_id, type_name, artifacts, bytes, reserved)
SELECT project_id, '', SUM(artifacts), SUM(bytes), 0 FROM quota_usage
GROUP BY project_id
"""


def upgrade() -> None:
    op.create_table(
        "quotas",
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("type_name", sa.String(63), nullable=False),
        sa.Column("max_artifacts", sa.BigInteger(), nullable=True),
        sa.Column("max_bytes", sa.BigInteger(), nullable=True),
        sa.Column("max_blob_size", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("project_id", "type_name", name="pk_quotas"),
    )
    op.create_table(
        "quota_usage",
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("type_name", sa.String(63), nullable=False),
        sa.Column("artifacts", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "type_name", name="pk_quota_usage"),
    )
    with op.batch_alter_table("blobs") as batch:
        batch.add_column(sa.Column("pending_reserved", sa.BigInteger(), nullable=True))
    op.execute(_BACKFILL)
    op.execute(_TOTALS)


def downgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        batch.drop_column("pending_reserved")
    op.drop_table("quota_usage")
    op.drop_table("quotas")
