"""Keep SQLite's query-planner statistics current as the data grows.

Without ``sqlite_stat1`` SQLite's planner assumes every index is equally selective, and prefers
the index that also yields the list's order: a list filtered by a name with ten rows walked
``(type_name, created_at, id)`` and tested every row of the type, so its cost grew with the
table (20 ms at 2,000 artifacts, 115 ms at 50,000). One ``ANALYZE`` tells it that a name
narrows to a handful of rows, and the same list becomes an index lookup plus a sort of those
rows, whatever the table's size. PostgreSQL's autovacuum does this on its own; SQLite has no
background process, so the service does it:

- When a pooled connection is handed out and its statistics were last checked more than
  ``interval`` seconds ago (or never), the artifact table's size is compared with the size the
  statistics were gathered at. Missing statistics (a new install that has reached
  ``min_rows``) or a table that has doubled since trigger an ``ANALYZE``, bounded by
  ``PRAGMA analysis_limit`` so that it reads a sample of each index (milliseconds on a million
  rows) instead of every entry. Doubling means a table that grows from nothing to a million
  rows is analyzed about a dozen times in its life.
- The connection then reloads the statistics (``ANALYZE sqlite_schema``, a fraction of a
  millisecond): SQLite reads them only when it loads the schema, so connections opened before
  another connection or process ran ``ANALYZE`` would keep planning with the old ones.

The ratios that decide plans (rows per name, per owner, per type) hardly change as a table
grows, so a sample taken at a few thousand rows already gives the plans a million rows need;
the doubling rule keeps the absolute counts in proportion too. A database the process may not
write (read-only file, another writer holding the lock past the busy timeout) keeps the
statistics it has: they are an optimisation, never a reason to fail a request.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

LOG = logging.getLogger(__name__)

#: Index entries ANALYZE reads per index: enough for the ratios the planner needs.
ANALYSIS_LIMIT = 2000
#: Below this many artifacts every plan is fast; leave the planner its defaults.
MIN_ROWS = 500
#: How often, per pooled connection, the statistics are checked and reloaded.
CHECK_INTERVAL_S = 60.0

_INFO_KEY = "artifacts_statistics_checked"


class SqliteStatistics:
    """Decide when to analyze and make each pooled connection plan with current statistics."""

    def __init__(
        self,
        *,
        table: str = "artifacts",
        min_rows: int = MIN_ROWS,
        interval: float = CHECK_INTERVAL_S,
        analysis_limit: int = ANALYSIS_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.min_rows = min_rows
        self.interval = interval
        self.analysis_limit = analysis_limit
        self.clock = clock

    def on_checkout(self, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        """Pool ``checkout`` hook: check at most once per ``interval`` per connection."""
        now = self.clock()
        checked = record.info.get(_INFO_KEY)
        if checked is not None and now - checked < self.interval:
            return
        record.info[_INFO_KEY] = now
        try:
            self.refresh(dbapi_conn)
        except sqlite3.OperationalError as exc:
            LOG.warning("could not refresh the SQLite planner statistics: %s", exc)

    def refresh(self, dbapi_conn: Any) -> bool:
        """Analyze if the statistics are missing or stale, then reload them; True if analyzed."""
        rows = self._rows(dbapi_conn)
        analyzed = self._analyzed_rows(dbapi_conn)
        stale = analyzed is None or rows >= 2 * analyzed
        ran = False
        if rows >= self.min_rows and stale:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute(f"PRAGMA analysis_limit={int(self.analysis_limit)}")
                cursor.execute("ANALYZE")
            finally:
                cursor.close()
            LOG.info("analyzed the database for the query planner (%d artifacts)", rows)
            ran = True
        if ran or analyzed is not None:
            dbapi_conn.execute("ANALYZE sqlite_schema")
        return ran

    def _rows(self, dbapi_conn: Any) -> int:
        exists = dbapi_conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (self.table,)
        ).fetchone()
        if not exists:
            return 0  # not migrated yet
        # The largest rowid is one B-tree descent, where count(*) reads a whole index; rows are
        # only ever appended, so it tracks growth (it does not shrink with deletions).
        found = dbapi_conn.execute(f"SELECT max(rowid) FROM {self.table}").fetchone()
        return int(found[0] or 0) if found else 0

    def _analyzed_rows(self, dbapi_conn: Any) -> int | None:
        """The table's size when it was last analyzed, or None if it never was."""
        exists = dbapi_conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).fetchone()
        if not exists:
            return None
        stats = dbapi_conn.execute(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = ?", (self.table,)
        ).fetchall()
        if not stats:
            return None
        return max(int(str(stat).split()[0]) for (stat,) in stats)
