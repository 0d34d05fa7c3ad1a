"""Reading and writing API tokens (only their hashes are stored)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import TokenRow


def insert(session: Session, row: TokenRow) -> TokenRow:
    session.add(row)
    session.flush()
    return row


def by_hash(session: Session, secret_hash: str) -> TokenRow | None:
    return session.scalars(select(TokenRow).where(TokenRow.secret_hash == secret_hash)).first()


def get(session: Session, token_id: str) -> TokenRow | None:
    return session.get(TokenRow, token_id)


def listing(session: Session, project_id: str | None = None) -> list[TokenRow]:
    stmt = select(TokenRow).order_by(TokenRow.created_at, TokenRow.id)
    if project_id is not None:
        stmt = stmt.where(TokenRow.project_id == project_id)
    return list(session.scalars(stmt))
