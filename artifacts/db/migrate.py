"""Schema migrations, run programmatically (``artifacts db upgrade`` and on first start).

Alembic (with Mako and Pygments, which it imports) is loaded only to migrate or compare: a
server worker asks only which revision the database is at and which is the newest, and both are
answered here without it, which keeps ~11 MB and ~150 modules out of every worker.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from artifacts.db.session import WRITE_TRANSACTION

if TYPE_CHECKING:
    from alembic.config import Config

_SCRIPTS = Path(__file__).with_name("migrations")
_VERSION_TABLE = "alembic_version"

#: PostgreSQL advisory lock key held while migrating ("artifact" in ASCII, as a bigint).
MIGRATION_LOCK_KEY = 0x6172746966616374


def _config(connection: object) -> Config:
    from alembic.config import Config

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
    from alembic import command

    with engine.connect() as connection, connection.execution_options(**WRITE_TRANSACTION).begin():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        command.upgrade(_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(_VERSION_TABLE):
            return None
        found = connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).first()
    return None if found is None else str(found[0])


def head_revision() -> str | None:
    """Return the newest revision: the one no other revision names as its ``down_revision``.

    Read from the scripts' module-level assignments rather than by importing them (they import
    Alembic's ``op``); the history is linear, so there is one head, or none without scripts.
    """
    revisions: dict[str, str | None] = {}
    for script in sorted((_SCRIPTS / "versions").glob("*.py")):
        assigned = _assignments(script)
        revisions[str(assigned["revision"])] = assigned.get("down_revision")
    heads = set(revisions) - set(revisions.values())
    if len(heads) > 1:
        raise RuntimeError(f"migrations have several heads: {sorted(heads)}")
    return heads.pop() if heads else None


def check(engine: Engine) -> None:
    """Raise if the models and the migrated schema disagree (Alembic's autogenerate diff)."""
    from alembic import command

    with engine.begin() as connection:
        command.check(_config(connection))


def _assignments(script: Path) -> dict[str, str | None]:
    """The script's module-level ``name = "constant"`` assignments (plain or annotated)."""
    values: dict[str, str | None] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
            constant = value.value
            values[target.id] = None if constant is None else str(constant)
    return values
