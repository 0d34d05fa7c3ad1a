"""Readiness: can this node serve requests right now (database and every blob store reachable)?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from artifacts.db.session import Database
from artifacts.store.base import BlobStore, StoreError


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]


class HealthService:
    def __init__(self, db: Database, stores: Mapping[str, BlobStore]) -> None:
        self._db = db
        self._stores = stores

    def readiness(self) -> Readiness:
        """Check every dependency; report each one's state instead of stopping at the first."""
        checks: dict[str, str] = {}
        try:
            with self._db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except SQLAlchemyError as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        for name, store in sorted(self._stores.items()):
            try:
                store.check()
                checks[f"store:{name}"] = "ok"
            except StoreError as exc:
                checks[f"store:{name}"] = f"unavailable: {exc}"
        return Readiness(all(v == "ok" for v in checks.values()), checks)
