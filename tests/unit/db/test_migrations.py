from __future__ import annotations

from sqlalchemy import Engine, inspect

from artifacts.db import migrate


def test_migrations_reach_head_and_match_the_models(migrated_engine: Engine) -> None:
    assert migrate.current_revision(migrated_engine) == migrate.head_revision()
    # Alembic's autogenerate diff between the models and the migrated schema must be empty.
    migrate.check(migrated_engine)


def test_upgrade_is_idempotent(migrated_engine: Engine) -> None:
    migrate.upgrade(migrated_engine)
    assert "artifacts" in inspect(migrated_engine).get_table_names()
