"""Content-addressed blob data: one ``contents`` row per stored object, with its references.

Every blob location already stored gets its row (one reference per blob naming it); nothing
already stored is merged, so the previous release keeps working during a rolling upgrade (it
deletes a blob's data when the blob goes, which is right while no data is shared). Sharing
starts with uploads made once every node runs this release: see ``[blobs] deduplicate``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)

_BACKFILL = """
INSERT INTO contents (store, location, sha256, size, refs, created_at, unreferenced_at)
SELECT store, location, MIN(sha256), MIN(size), COUNT(*), MIN(created_at), NULL
FROM blobs
WHERE store IS NOT NULL AND location IS NOT NULL AND sha256 IS NOT NULL AND size IS NOT NULL
GROUP BY store, location
"""


def upgrade() -> None:
    op.create_table(
        "contents",
        sa.Column("store", sa.String(63), nullable=False),
        sa.Column("location", sa.String(1024), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("refs", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("unreferenced_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("store", "location", name="pk_contents"),
    )
    op.create_index("ix_contents_store_sha256", "contents", ["store", "sha256", "size"])
    op.create_index("ix_contents_unreferenced_at", "contents", ["unreferenced_at"])
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_table("contents")
