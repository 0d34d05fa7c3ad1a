"""Tables of the database blob store driver.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_objects",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("committed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_stored_objects"),
    )
    op.create_table(
        "stored_chunks",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key"],
            ["stored_objects.key"],
            name="fk_stored_chunks_key_stored_objects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "seq", name="pk_stored_chunks"),
    )


def downgrade() -> None:
    op.drop_table("stored_chunks")
    op.drop_table("stored_objects")
