"""``artifacts worker [--once]``: run the background tasks (image imports) the API queues."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import signal
from collections.abc import Iterator
from typing import Any

from artifacts.config import ConfigError, Settings
from artifacts.engine.services import build_services


def add_commands(commands: Any) -> None:
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
