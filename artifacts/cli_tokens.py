"""``artifacts token create|list|revoke``: the API tokens of the ``tokens`` auth mode."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import sys
from collections.abc import Iterator
from typing import Any

from artifacts.cli_db import require_database
from artifacts.config import TOKENS, Settings
from artifacts.db import migrate
from artifacts.db.session import Database, build_engine
from artifacts.engine.artifacts import utcnow
from artifacts.engine.tokens import TokenService


def add_commands(commands: Any) -> None:
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


_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _duration(raw: str) -> dt.timedelta:
    match = _DURATION.match(raw.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a duration like 90d, 12h or 30m")
    return dt.timedelta(**{_UNITS[match[2]]: int(match[1])})


@contextlib.contextmanager
def _token_service(settings: Settings, *, create: bool = False) -> Iterator[TokenService]:
    """The token service on a migrated database, whose connections close with the block.

    Only a command that writes (``create``) makes a missing database.
    """
    if not create:
        require_database(settings)
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
