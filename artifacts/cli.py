"""Server administration: run the service and manage its database and tokens.

These are the server's commands of the ``artifacts`` command line, whose client package finds
them through the ``artifacts.cli`` entry point (:func:`command_summaries` and :func:`main`);
``python -m artifacts.cli`` runs them without it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import logging
import os
import re
import shutil
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from artifacts.cli_cors import add_commands as add_cors_commands
from artifacts.cli_gc import add_commands as add_gc_commands
from artifacts.cli_quotas import add_commands as add_quota_commands
from artifacts.config import (
    CONFIG_ENV,
    GUNICORN_WORKER_CLASSES,
    THREADED_WORKER_CLASSES,
    TOKENS,
    ConfigError,
    Settings,
    check_bind,
    load_settings,
)
from artifacts.db import faults, migrate, type_indexes
from artifacts.db.session import Database, build_engine
from artifacts.engine import versions
from artifacts.engine.artifacts import utcnow
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import build_services
from artifacts.engine.tokens import TokenService
from artifacts.errors import ArtifactError, TypeRegistrationError

#: The WSGI factory gunicorn loads; named as a string so the core never imports the HTTP layer.
WSGI_TARGET = "api.wsgi:create_wsgi_app()"
#: gunicorn hooks (metrics of dead workers), also named rather than imported.
GUNICORN_HOOKS = "python:api.gunicorn_hooks"
#: Where prometheus-client's multi-process mode keeps each worker's metric files.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


#: What ``--help`` says of the server commands, in plain text (no markup).
DESCRIPTION = "Server administration: run the service, manage its database and API tokens."


class NoDatabase(ArtifactError):
    """A read-only command found no database, and creates none."""

    code = "no_database"


def command_summaries() -> dict[str, str]:
    """Each server command's name and one-line help, for the client's ``--help``."""
    for action in _parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        return int(args.handler(settings, args) or 0)
    except (ConfigError, TypeRegistrationError) as exc:
        print(f"artifacts: {exc}", file=sys.stderr)
        return 2
    except ArtifactError as exc:
        print(f"artifacts: {exc.message}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        # The database is down or refuses us: say which, without a traceback.
        print(f"artifacts: the database cannot be used: {faults.describe(exc)}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artifacts", description=DESCRIPTION)
    parser.add_argument("--config", help=f"TOML configuration file (or ${CONFIG_ENV})")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API under gunicorn")
    serve.add_argument("--bind", help="address:port to listen on (default from config)")
    serve.add_argument("--workers", type=int, help="number of worker processes")
    serve.add_argument("--threads", type=int, help="threads per worker (threaded workers)")
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="database schema management")
    db_commands = db.add_subparsers(required=True, metavar="ACTION")
    db_commands.add_parser(
        "upgrade", help="migrate the schema to the latest revision"
    ).set_defaults(handler=_db_upgrade)
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

    types = commands.add_parser("types", help="list the artifact types that would be served")
    types.set_defaults(handler=_types)

    worker = commands.add_parser(
        "worker", help="run background tasks (image imports) claimed from the database"
    )
    worker.add_argument(
        "--once", action="store_true", help="run the tasks that are due now, then exit"
    )
    worker.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        help="seconds to wait when no task is due (default 1)",
    )
    worker.set_defaults(handler=_worker)

    scrub = commands.add_parser(
        "scrub", help="abandon stale uploads and delete blob data nothing references any more"
    )
    scrub.set_defaults(handler=_scrub)
    add_gc_commands(commands)
    add_quota_commands(commands)
    add_cors_commands(commands)

    token = commands.add_parser("token", help="API tokens of the 'tokens' auth mode")
    token_commands = token.add_subparsers(required=True, metavar="ACTION")
    create = token_commands.add_parser(
        "create", help="issue a token; prints it once, on stdout (only its hash is stored)"
    )
    create.add_argument("--project", required=True, help="project the token acts for")
    create.add_argument("--user", required=True, help="user the token acts as")
    create.add_argument("--roles", default="", help="comma-separated roles (e.g. admin)")
    create.add_argument(
        "--expires-in",
        default="30d",
        type=_duration,
        help="lifetime: a number with s, m, h or d (default 30d)",
    )
    create.add_argument("--description", help="what the token is for")
    create.set_defaults(handler=_token_create)
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--project", help="only this project's tokens")
    listing.set_defaults(handler=_token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", help="the id shown by 'token create' and 'token list'")
    revoke.set_defaults(handler=_token_revoke)
    return parser


_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _duration(raw: str) -> dt.timedelta:
    match = _DURATION.match(raw.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a duration like 90d, 12h or 30m")
    return dt.timedelta(**{_UNITS[match[2]]: int(match[1])})


def _require_database(settings: Settings) -> None:
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


@contextlib.contextmanager
def _token_service(settings: Settings, *, create: bool = False) -> Iterator[TokenService]:
    """The token service on a migrated database, whose connections close with the block.

    Only a command that writes (``create``) makes a missing database.
    """
    if not create:
        _require_database(settings)
    engine = build_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    database = Database(engine)
    try:
        yield TokenService(database, clock=utcnow)
    finally:
        database.dispose()


def _token_create(settings: Settings, args: argparse.Namespace) -> int:
    with _token_service(settings, create=True) as tokens:
        issued = tokens.create(
            project_id=args.project,
            user_id=args.user,
            roles=args.roles.split(","),
            lifetime=args.expires_in,
            description=args.description,
        )
    info = issued.info
    print(issued.token)
    print(
        f"token {info.id} for project {info.project_id}, user {info.user_id}, roles "
        f"[{','.join(info.roles)}], expires {info.expires_at.isoformat()}; it is shown only once",
        file=sys.stderr,
    )
    if settings.auth_mode != TOKENS:
        print(
            f"note: auth mode is {settings.auth_mode!r}; tokens work only in 'tokens' mode",
            file=sys.stderr,
        )
    return 0


def _token_list(settings: Settings, args: argparse.Namespace) -> int:
    with _token_service(settings) as tokens:
        found = tokens.list(args.project)
    now = utcnow()
    print("id\tproject\tuser\troles\tstate\texpires\tdescription")
    for info in found:
        print(
            f"{info.id}\t{info.project_id}\t{info.user_id}\t{','.join(info.roles)}\t"
            f"{info.state(now)}\t{info.expires_at.isoformat()}\t{info.description or ''}"
        )
    return 0


def _token_revoke(settings: Settings, args: argparse.Namespace) -> int:
    with _token_service(settings) as tokens:
        info = tokens.revoke(args.token_id)
    print(f"token {info.id} revoked")
    return 0


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    engine = build_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    print(f"database at revision {migrate.current_revision(engine)}")
    engine.dispose()
    return 0


def _db_current(settings: Settings, _args: argparse.Namespace) -> int:
    _require_database(settings)
    engine = build_engine(settings.effective_database_url)
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    print(f"current: {current or 'empty'}; latest: {head}")
    engine.dispose()
    return 0 if current == head else 1


def _wanted_type_indexes(registry: TypeRegistry, dialect: str) -> list[type_indexes.TypeIndex]:
    return [
        index
        for artifact_type in registry
        for index in type_indexes.type_indexes(artifact_type.name, artifact_type.fields, dialect)
    ]


def _db_indexes(settings: Settings, args: argparse.Namespace) -> int:
    registry = TypeRegistry.from_entry_points(settings.enabled_types or None)
    engine = build_engine(settings.effective_database_url)
    try:
        wanted = _wanted_type_indexes(registry, engine.dialect.name)
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


def _types(settings: Settings, _args: argparse.Namespace) -> int:
    registry = TypeRegistry.from_entry_points(settings.enabled_types or None)
    for artifact_type in registry:
        print(f"{artifact_type.name}\t{artifact_type.version}\t{artifact_type.cls.__module__}")
    return 0


def _scrub(settings: Settings, _args: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        abandoned = services.blobs.sweep_stale_uploads()
        removed, failing = services.remover.scrub()
        swept = 0
        for store in services.stores.values():
            sweep = getattr(store, "sweep_temporary", None)
            if sweep is not None:
                # Abandoned uploads' partial files went with their orphaned keys above; this
                # catches what no record names, once older than any request may run.
                swept += sweep(dt.timedelta(seconds=settings.timeout))
    finally:
        services.close()
    print(
        f"abandoned uploads: {abandoned}; orphaned data removed: {removed}, "
        f"still failing: {failing}; temporary files removed: {swept}"
    )
    return 0 if failing == 0 else 1


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    services = build_services(settings, upgrade_schema=True)
    try:
        with _single_sqlite_worker(settings, services.database.dialect):
            worker = services.worker(poll_interval=args.poll_interval)
            if args.once:
                ran = worker.run_pending()
                print(f"tasks run: {ran}")
                return 0
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda _signo, _frame: worker.stop())
            worker.run_forever()
    finally:
        services.close()
    return 0


@contextlib.contextmanager
def _single_sqlite_worker(settings: Settings, dialect: str) -> Iterator[None]:
    """On SQLite, one worker at a time: a second one is told so instead of contending."""
    if dialect != "sqlite":
        yield
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "worker.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                "another worker is running on this SQLite database; run one per data directory "
                "(several workers need PostgreSQL)"
            ) from None
        yield


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    # Fail fast, in this process, on broken plugins or an unreachable database, then migrate once
    # here rather than racing migrations in every worker.
    bind = args.bind or settings.bind
    check_bind(settings, bind)
    registry = TypeRegistry.from_entry_points(settings.enabled_types or None)
    _db_upgrade(settings, args)
    database = Database(build_engine(settings.effective_database_url))
    try:
        versions.check_stored_versions(database, registry)
        if database.dialect == "sqlite":
            # The embedded default has no administrator to run `artifacts db indexes`.
            wanted = _wanted_type_indexes(registry, "sqlite")
            for index in type_indexes.apply(database.engine, wanted):
                print(f"artifacts: built {index.name} ({index.type_name}.{index.field})")
    finally:
        database.dispose()
    workers = args.workers or settings.workers
    threads = args.threads or settings.threads
    env = dict(os.environ)
    if args.config:
        env[CONFIG_ENV] = os.path.abspath(args.config)
    env["ARTIFACTS_DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.database_url:
        env["ARTIFACTS_DATABASE_URL"] = settings.database_url
    env[MULTIPROC_ENV] = str(_fresh_metrics_dir(settings.data_dir, bind))
    print(f"artifacts: serving on http://{bind}/ (data in {settings.data_dir.resolve()})")
    sys.stdout.flush()
    os.execvpe(sys.executable, _gunicorn_command(settings, bind, workers, threads), env)
    return 0  # pragma: no cover - execvpe does not return


def _gunicorn_command(settings: Settings, bind: str, workers: int, threads: int) -> list[str]:
    """gunicorn's command line from the settings (etc/gunicorn.conf.py explains each choice)."""
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", GUNICORN_HOOKS,
        "--bind", bind,
        "--worker-class", GUNICORN_WORKER_CLASSES[settings.worker_class],
        "--workers", str(workers),
        "--timeout", str(settings.timeout),
        "--graceful-timeout", str(settings.graceful_timeout),
        "--keep-alive", str(settings.keepalive),
        "--max-requests", str(settings.max_requests),
        "--max-requests-jitter", str(settings.max_requests_jitter),
        "--log-level", settings.log_level,
    ]  # fmt: skip
    if settings.worker_class in THREADED_WORKER_CLASSES:
        command += ["--threads", str(threads)]
    return [*command, WSGI_TARGET]


def _fresh_metrics_dir(data_dir: Path, bind: str) -> Path:
    """An empty directory for this server's metric files, emptied at every start.

    Files left by a previous run would add its counts to ours. The name carries host and bind
    address, so two servers sharing a data directory never empty each other's.
    """
    label = f"{socket.gethostname()}-{bind}".replace("/", "_").replace(":", "_")
    directory = data_dir.resolve() / "metrics" / label
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


if __name__ == "__main__":
    sys.exit(main())
