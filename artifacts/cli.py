"""Server administration: run the service and manage its database and tokens.

These are the server's commands of the ``artifacts`` command line, whose client package finds
them through the ``artifacts.cli`` entry point (:func:`command_summaries` and :func:`main`);
``python -m artifacts.cli`` runs them without it. This module parses them and runs ``serve`` and
``types``; each other group lives in a module of its own: ``cli_db`` (``db``), ``cli_worker``,
``cli_gc`` (``scrub``, ``gc``), ``cli_quotas`` and ``cli_tokens`` (``token``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from artifacts.cli_cors import add_commands as add_cors_commands
from artifacts.cli_db import add_commands as add_db_commands
from artifacts.cli_db import upgrade_database, wanted_type_indexes
from artifacts.cli_gc import add_commands as add_gc_commands
from artifacts.cli_quotas import add_commands as add_quota_commands
from artifacts.cli_tokens import add_commands as add_token_commands
from artifacts.cli_worker import add_commands as add_worker_commands
from artifacts.config import (
    CONFIG_ENV,
    GUNICORN_WORKER_CLASSES,
    THREADED_WORKER_CLASSES,
    ConfigError,
    Settings,
    check_bind,
    load_settings,
)
from artifacts.db import faults, type_indexes
from artifacts.db.session import Database, build_engine
from artifacts.engine import versions
from artifacts.engine.registry import TypeRegistry
from artifacts.errors import ArtifactError, TypeRegistrationError

#: The WSGI factory gunicorn loads; named as a string so the core never imports the HTTP layer.
WSGI_TARGET = "api.wsgi:create_wsgi_app()"
#: gunicorn hooks (metrics of dead workers), also named rather than imported.
GUNICORN_HOOKS = "python:api.gunicorn_hooks"
#: Where prometheus-client's multi-process mode keeps each worker's metric files.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


#: What ``--help`` says of the server commands, in plain text (no markup).
DESCRIPTION = "Server administration: run the service, manage its database and API tokens."


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

    add_db_commands(commands)

    types = commands.add_parser("types", help="list the artifact types that would be served")
    types.set_defaults(handler=_types)

    add_worker_commands(commands)
    add_gc_commands(commands)
    add_quota_commands(commands)
    add_cors_commands(commands)
    add_token_commands(commands)
    return parser


def _types(settings: Settings, _args: argparse.Namespace) -> int:
    registry = TypeRegistry.from_entry_points(settings.enabled_types or None)
    for artifact_type in registry:
        print(f"{artifact_type.name}\t{artifact_type.version}\t{artifact_type.cls.__module__}")
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    # Fail fast, in this process, on broken plugins or an unreachable database, then migrate once
    # here rather than racing migrations in every worker.
    bind = args.bind or settings.bind
    check_bind(settings, bind)
    registry = TypeRegistry.from_entry_points(settings.enabled_types or None)
    upgrade_database(settings, args)
    database = Database(build_engine(settings.effective_database_url))
    try:
        versions.check_stored_versions(database, registry)
        if database.dialect == "sqlite":
            # The embedded default has no administrator to run `artifacts db indexes`.
            wanted = wanted_type_indexes(registry, "sqlite")
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
