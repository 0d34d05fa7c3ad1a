"""Direct uploads: an upload session may be a presigned multipart upload to S3.

New nullable columns (and ``kind`` with a server default), so the previous release keeps
working during a rolling upgrade: it never reads them, and its sessions are all ``tus``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upload_sessions") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="tus"))
        batch.add_column(sa.Column("remote_id", sa.String(1024), nullable=True))
        batch.add_column(sa.Column("part_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upload_sessions") as batch:
        batch.drop_column("sha256")
        batch.drop_column("part_size")
        batch.drop_column("remote_id")
        batch.drop_column("kind")
