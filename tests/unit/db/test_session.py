"""Engine settings that belong to every connection the service opens."""

from __future__ import annotations

from sqlalchemy import text

from artifacts.db.session import build_engine


def test_postgresql_connections_run_without_jit(pg_url: str) -> None:
    # JIT compiles a LIMITed list whose estimate is large, costing far more than the rows read.
    engine = build_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"
    engine.dispose()
