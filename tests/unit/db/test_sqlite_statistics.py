"""SQLite's planner statistics are gathered, refreshed as the table grows, and used by every
connection, so a list filtered by name is an index lookup at any table size."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Table, insert

from artifacts.db import migrate
from artifacts.db.models import ArtifactRow
from artifacts.db.session import build_engine
from artifacts.db.sqlite_statistics import SqliteStatistics

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# The shape of a name-filtered list page in the default order (newest first).
NAME_LIST = (
    "SELECT id FROM artifacts WHERE type_name = 'images' AND name = 'n-3' "
    "ORDER BY created_at DESC, id DESC LIMIT 26"
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Record:
    """What the pool hands the checkout hook: a per-connection ``info`` dict."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}


def _rows(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"id-{n:07d}",
            "type_name": "images",
            "name": f"n-{n // 10}",
            "version": f"1.0.{n % 10}",
            "version_key": f"{n % 10:04d}",
            "owner": f"p{n % 7}",
            "visibility": "private",
            "status": "active",
            "tags": [],
            "metadata": {},
            "properties": {},
            "created_at": NOW + dt.timedelta(seconds=n),
            "updated_at": NOW,
            "revision": 1,
        }
        for n in range(start, start + count)
    ]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "stats.db"
    engine = build_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _add(path: Path, start: int, count: int) -> None:
    # An engine of its own: the tests below watch raw connections, not this one.
    engine = build_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(insert(cast(Table, ArtifactRow.__table__)), _rows(start, count))
    engine.dispose()


def _plan(conn: sqlite3.Connection) -> str:
    return " / ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + NAME_LIST))


def _stat_rows(conn: sqlite3.Connection) -> int | None:
    """Rows of the artifacts table as the last ANALYZE counted them, None if never analyzed."""
    if not conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'").fetchone():
        return None
    stats = conn.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'artifacts'").fetchall()
    return max((int(stat.split()[0]) for (stat,) in stats), default=None)


def test_a_table_past_min_rows_is_analyzed_and_a_name_list_uses_the_name_index(
    db_path: Path,
) -> None:
    _add(db_path, 0, 3000)
    conn = sqlite3.connect(db_path, isolation_level=None)
    assert "ix_artifacts_type_created" in _plan(conn)  # no statistics: the order's index

    assert SqliteStatistics(min_rows=500).refresh(conn) is True

    assert "ix_artifacts_type_name_version" in _plan(conn)
    assert _stat_rows(conn) is not None


def test_a_small_table_is_left_to_the_planner_defaults(db_path: Path) -> None:
    _add(db_path, 0, 100)
    conn = sqlite3.connect(db_path, isolation_level=None)

    assert SqliteStatistics(min_rows=500).refresh(conn) is False
    assert _stat_rows(conn) is None


def test_statistics_are_refreshed_once_the_table_has_doubled(db_path: Path) -> None:
    _add(db_path, 0, 1000)
    conn = sqlite3.connect(db_path, isolation_level=None)
    statistics = SqliteStatistics(min_rows=500)
    assert statistics.refresh(conn) is True
    first = _stat_rows(conn)

    _add(db_path, 1000, 500)  # grown by half: still proportionate
    assert statistics.refresh(conn) is False
    assert _stat_rows(conn) == first

    _add(db_path, 1500, 1000)  # 2,500 rows: more than twice the analyzed size
    assert statistics.refresh(conn) is True
    assert (_stat_rows(conn) or 0) > (first or 0)


def test_a_connection_opened_earlier_plans_with_new_statistics_after_its_interval(
    db_path: Path,
) -> None:
    _add(db_path, 0, 3000)
    clock = Clock()
    statistics = SqliteStatistics(min_rows=10_000, interval=60, clock=clock)
    early, early_record = sqlite3.connect(db_path, isolation_level=None), Record()
    statistics.on_checkout(early, early_record, None)  # too small for this threshold
    assert "ix_artifacts_type_created" in _plan(early)

    # Another process analyzes the database; SQLite would not tell this connection.
    other = sqlite3.connect(db_path, isolation_level=None)
    SqliteStatistics(min_rows=500).refresh(other)
    clock.now = 30
    statistics.on_checkout(early, early_record, None)
    assert "ix_artifacts_type_created" in _plan(early)  # checked 30 s ago: not yet

    clock.now = 61
    statistics.on_checkout(early, early_record, None)
    assert "ix_artifacts_type_name_version" in _plan(early)


def test_the_service_engine_analyzes_on_checkout(db_path: Path) -> None:
    _add(db_path, 0, 3000)
    engine = build_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + NAME_LIST)
        plan = " / ".join(str(row[-1]) for row in rows)
    engine.dispose()
    assert "ix_artifacts_type_name_version" in plan


def test_a_read_only_database_keeps_serving_without_statistics(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _add(db_path, 0, 3000)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)

    SqliteStatistics(min_rows=500).on_checkout(conn, Record(), None)

    assert "could not refresh the SQLite planner statistics" in caplog.text
    assert conn.execute("SELECT count(*) FROM artifacts").fetchone() == (3000,)
