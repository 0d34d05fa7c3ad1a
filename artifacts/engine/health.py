"""Readiness: can this node serve requests right now (database and every blob store reachable)?

The answer names each dependency and its state in a word, never an error message: a probe is
often reachable from outside, and driver messages carry host names, paths and user names. The
details go to the log instead, once per change of state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from artifacts.db import migrate
from artifacts.db.session import Database
from artifacts.errors import ArtifactError
from artifacts.store.base import BlobStore, StoreError

LOG = logging.getLogger(__name__)

OK = "ok"
UNAVAILABLE = "unavailable"
#: The schema is not the one this code was written for (not migrated, or migrated further).
WRONG_SCHEMA = "wrong schema revision"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]


class HealthService:
    def __init__(self, db: Database, stores: Mapping[str, BlobStore]) -> None:
        self._db = db
        self._stores = stores
        self._expected_revision = migrate.head_revision()
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def readiness(self) -> Readiness:
        """Check every dependency; report each one's state instead of stopping at the first."""
        checks: dict[str, str] = {}
        details: dict[str, str] = {}
        try:
            with self._db.translate_errors():
                revision = migrate.current_revision(self._db.engine)
            if revision == self._expected_revision:
                checks["database"] = OK
            else:
                checks["database"] = WRONG_SCHEMA
                expected = self._expected_revision
                details["database"] = f"at {revision or 'no schema'}, expected {expected}"
        except (ArtifactError, SQLAlchemyError) as exc:
            checks["database"] = UNAVAILABLE
            details["database"] = f"{type(exc).__name__}: {exc}"
        for name, store in sorted(self._stores.items()):
            try:
                store.check()
                checks[f"store:{name}"] = OK
            except StoreError as exc:
                checks[f"store:{name}"] = UNAVAILABLE
                details[f"store:{name}"] = str(exc)
        self._log_changes(checks, details)
        return Readiness(all(v == OK for v in checks.values()), checks)

    def _log_changes(self, checks: dict[str, str], details: dict[str, str]) -> None:
        """Log a dependency's state when it changes, not on every probe."""
        with self._lock:
            changed = {k: v for k, v in checks.items() if self._last.get(k, OK) != v}
            self._last = dict(checks)
        for name, state in sorted(changed.items()):
            if state == OK:
                LOG.warning("readiness: %s is %s again", name, state)
            else:
                LOG.warning("readiness: %s is %s: %s", name, state, details.get(name, ""))
