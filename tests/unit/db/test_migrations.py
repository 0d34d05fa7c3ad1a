from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from artifacts.db import migrate
from artifacts.db.session import build_engine


def test_migrations_reach_head_and_match_the_models(migrated_engine: Engine) -> None:
    assert migrate.current_revision(migrated_engine) == migrate.head_revision()
    # Alembic's autogenerate diff between the models and the migrated schema must be empty.
    migrate.check(migrated_engine)


def test_revisions_read_without_alembic_agree_with_alembic(
    migrated_engine: Engine, tmp_path: Path
) -> None:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(Path(migrate.__file__).with_name("migrations")))
    assert migrate.head_revision() == scripts.get_current_head()
    with migrated_engine.connect() as conn:
        assert migrate.current_revision(migrated_engine) == (
            MigrationContext.configure(conn).get_current_revision()
        )
    empty = build_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert migrate.current_revision(empty) is None
    empty.dispose()


def test_upgrade_is_idempotent(migrated_engine: Engine) -> None:
    migrate.upgrade(migrated_engine)
    assert "artifacts" in inspect(migrated_engine).get_table_names()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_nodes_migrating_at_once_take_turns(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every node's ``artifacts serve`` migrates at start; several starting together must not
    trip over each other's CREATE TABLEs (the advisory lock, or SQLite's write lock)."""
    if backend == "postgresql":
        url = request.getfixturevalue("pg_databases")()
    else:
        url = f"sqlite:///{tmp_path / 'nodes.db'}"
    engines = [build_engine(url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def start(engine: Engine) -> None:
        barrier.wait()
        try:
            migrate.upgrade(engine)
        except BaseException as exc:  # collected and reported by the test
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert failures == []
        assert migrate.current_revision(engines[0]) == migrate.head_revision()
    finally:
        for engine in engines:
            engine.dispose()
