"""``artifacts db …``: the database schema (migrations, type indexes, stored type versions).

Also the guard every read-only command shares: opening a SQLite URL creates its file, so a
command that only reads refuses a missing database instead (:func:`require_database`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from artifacts.config import Settings
from artifacts.db import migrate, type_indexes
from artifacts.db.session import Database, build_engine
from artifacts.engine import versions
from artifacts.engine.registry import TypeRegistry
from artifacts.errors import ArtifactError


class NoDatabase(ArtifactError):
    """A read-only command found no database, and creates none."""

    code = "no_database"


def add_commands(commands: Any) -> None:
    db = commands.add_parser("db", help="database schema management")
    db_commands = db.add_subparsers(required=True, metavar="ACTION")
    db_commands.add_parser(
        "upgrade", help="migrate the schema to the latest revision"
    ).set_defaults(handler=upgrade_database)
    db_commands.add_parser("current", help="print the schema revision").set_defaults(
        handler=_db_current
    )
    indexes = db_commands.add_parser(
        "indexes",
        help="print (or --apply) the indexes for the sortable fields of the served types",
    )
    indexes.add_argument(
        "--apply",
        action="store_true",
        help="create the missing ones and rebuild stale ones (CONCURRENTLY)",
    )
    indexes.add_argument(
        "--check",
        action="store_true",
        help="report missing and stale ones (exit status 1 if any)",
    )
    indexes.set_defaults(handler=_db_indexes)
    migrate_types = db_commands.add_parser(
        "migrate-types",
        help="rewrite stored artifacts at their type's current schema version (online, batched)",
    )
    migrate_types.add_argument(
        "--type", action="append", dest="types", metavar="T", help="only this type (repeatable)"
    )
    migrate_types.add_argument(
        "--dry-run", action="store_true", help="run the migrations and report, write nothing"
    )
    migrate_types.add_argument(
        "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
    )
    migrate_types.set_defaults(handler=_db_migrate_types)


def require_database(settings: Settings) -> None:
    """Refuse, creating nothing, when the SQLite database file is not there.

    Opening a SQLite URL creates its file (and directory): a read-only command run in the
    wrong directory or without ``--config`` would leave an empty database behind.
    """
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if not Path(url.database).exists():
        raise NoDatabase(
            f"no database at {url.database} (is --config or ARTIFACTS_DATA_DIR right? "
            "'artifacts db upgrade' creates it)"
        )


def upgrade_database(settings: Settings, _args: argparse.Namespace) -> int:
    """``db upgrade``, which ``serve`` runs too: once, before any worker starts."""
    engine = build_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    print(f"database at revision {migrate.current_revision(engine)}")
    engine.dispose()
    return 0


def wanted_type_indexes(registry: TypeRegistry, dialect: str) -> list[type_indexes.TypeIndex]:
    """The indexes the served types want on this database: their sortable fields', and on
    SQLite the ``created_at`` index they share (``type_indexes.shared_indexes``)."""
    per_type = [
        index
        for artifact_type in registry
        for index in type_indexes.type_indexes(artifact_type.name, artifact_type.fields, dialect)
    ]
    served = [artifact_type.fields for artifact_type in registry]
    return per_type + type_indexes.shared_indexes(served, dialect)


def _db_current(settings: Settings, _args: argparse.Namespace) -> int:
    require_database(settings)
    engine = build_engine(settings.effective_database_url)
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    print(f"current: {current or 'empty'}; latest: {head}")
    engine.dispose()
    return 0 if current == head else 1


def _db_indexes(settings: Settings, args: argparse.Namespace) -> int:
    registry = TypeRegistry.from_entry_points(settings.enabled_types or None)
    engine = build_engine(settings.effective_database_url)
    try:
        wanted = wanted_type_indexes(registry, engine.dialect.name)
        if not (args.apply or args.check):
            for index in wanted:
                print(f"{index.ddl};")
            return 0
        if args.check:
            states = type_indexes.inspect(engine, wanted)
            for found in states:
                item = found.index
                print(f"{found.state}\t{item.name} ({item.kind} of {item.type_name}.{item.field})")
            return 0 if all(found.state == "ok" for found in states) else 1
        built = type_indexes.apply(engine, wanted)
        for index in built:
            print(f"built {index.name} ({index.kind} of {index.type_name}.{index.field})")
        print(f"{len(wanted) - len(built)} of {len(wanted)} were in place already")
    finally:
        engine.dispose()
    return 0


def _db_migrate_types(settings: Settings, args: argparse.Namespace) -> int:
    registry = TypeRegistry.from_entry_points(settings.enabled_types or None)
    database = Database(build_engine(settings.effective_database_url))
    try:
        reports = versions.migrate_types(
            database,
            registry,
            only=args.types,
            batch_size=args.batch_size,
            dry_run=args.dry_run,
        )
    finally:
        database.dispose()
    verb = "would upgrade" if args.dry_run else "upgraded"
    failed = 0
    for report in reports:
        found = ", ".join(f"{n} at {v}" for v, n in sorted(report.found.items())) or "none"
        print(
            f"{report.type_name} (version {report.version}): older or newer rows: {found}; "
            f"{verb} {report.upgraded}, failed {report.failed}, newer left alone {report.newer}"
        )
        for reason in report.reasons:
            print(f"  failed: {reason}")
        failed += report.failed
    return 1 if failed else 0
