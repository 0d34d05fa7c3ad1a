"""Schema migrations, run programmatically (``artifacts db upgrade`` and on first start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from artifacts.db.session import WRITE_TRANSACTION

_SCRIPTS = Path(__file__).with_name("migrations")

#: PostgreSQL advisory lock key held while migrating ("artifact" in ASCII, as a bigint).
MIGRATION_LOCK_KEY = 0x6172746966616374


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there.

    Several nodes may start at once, each running this: on PostgreSQL a transaction-scoped
    advisory lock makes them take turns, so the first migrates and the others find the schema
    at head (SQLite's ``BEGIN IMMEDIATE`` does the same within one host).
    """
    with engine.connect() as connection, connection.execution_options(**WRITE_TRANSACTION).begin():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        command.upgrade(_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(_SCRIPTS)).get_current_head()


def check(engine: Engine) -> None:
    """Raise if the models and the migrated schema disagree (Alembic's autogenerate diff)."""
    with engine.begin() as connection:
        command.check(_config(connection))
