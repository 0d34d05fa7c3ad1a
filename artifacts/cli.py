"""The ``artifacts`` command: run the service and manage its database."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from artifacts.config import CONFIG_ENV, ConfigError, Settings, load_settings
from artifacts.db import migrate
from artifacts.db.session import build_engine
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import build_services
from artifacts.errors import TypeRegistrationError

#: The WSGI factory gunicorn loads; named as a string so the core never imports the HTTP layer.
WSGI_TARGET = "api.wsgi:create_wsgi_app()"
#: gunicorn hooks (metrics of dead workers), also named rather than imported.
GUNICORN_HOOKS = "python:api.gunicorn_hooks"
#: Where prometheus-client's multi-process mode keeps each worker's metric files.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        return int(args.handler(settings, args) or 0)
    except (ConfigError, TypeRegistrationError) as exc:
        print(f"artifacts: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artifacts", description=__doc__)
    parser.add_argument("--config", help=f"TOML configuration file (or ${CONFIG_ENV})")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API under gunicorn")
    serve.add_argument("--bind", help="address:port to listen on (default from config)")
    serve.add_argument("--workers", type=int, help="number of worker processes")
    serve.add_argument("--threads", type=int, help="threads per worker (gthread workers)")
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="database schema management")
    db_commands = db.add_subparsers(required=True, metavar="ACTION")
    db_commands.add_parser(
        "upgrade", help="migrate the schema to the latest revision"
    ).set_defaults(handler=_db_upgrade)
    db_commands.add_parser("current", help="print the schema revision").set_defaults(
        handler=_db_current
    )

    types = commands.add_parser("types", help="list the artifact types that would be served")
    types.set_defaults(handler=_types)

    scrub = commands.add_parser(
        "scrub", help="abandon stale uploads and delete blob data nothing references any more"
    )
    scrub.set_defaults(handler=_scrub)
    return parser


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    engine = build_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    print(f"database at revision {migrate.current_revision(engine)}")
    engine.dispose()
    return 0


def _db_current(settings: Settings, _args: argparse.Namespace) -> int:
    engine = build_engine(settings.effective_database_url)
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    print(f"current: {current or 'empty'}; latest: {head}")
    engine.dispose()
    return 0 if current == head else 1


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
                swept += sweep(dt.timedelta(seconds=settings.upload_timeout))
    finally:
        services.close()
    print(
        f"abandoned uploads: {abandoned}; orphaned data removed: {removed}, "
        f"still failing: {failing}; temporary files removed: {swept}"
    )
    return 0 if failing == 0 else 1


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    # Fail fast, in this process, on broken plugins or an unreachable database, then migrate once
    # here rather than racing migrations in every worker.
    TypeRegistry.from_entry_points(settings.enabled_types or None)
    _db_upgrade(settings, args)
    bind = args.bind or settings.bind
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
        "--worker-class", settings.worker_class,
        "--workers", str(workers),
        "--timeout", str(settings.timeout),
        "--graceful-timeout", str(settings.graceful_timeout),
        "--keep-alive", str(settings.keepalive),
        "--max-requests", str(settings.max_requests),
        "--max-requests-jitter", str(settings.max_requests_jitter),
        "--log-level", settings.log_level,
    ]  # fmt: skip
    if settings.worker_class == "gthread":
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
