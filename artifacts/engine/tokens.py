"""API tokens for the ``tokens`` authentication mode: issue, list, revoke, authenticate.

A token reads ``art_<id>_<secret>``: the id is a public handle (listed, used to revoke), the
secret 256 random bits. Only the SHA-256 of the whole token is stored, so the table authenticates
nobody if it leaks; a fast hash is enough because the secret is random, not a password. The token
itself is shown once, when it is created.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from artifacts.db import tokens as token_rows
from artifacts.db.models import TokenRow
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.errors import InvalidInput, InvalidToken, TokenNotFound

PREFIX = "art_"
_TOKEN = re.compile(r"^art_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
#: Longest lifetime a token may be given; tokens that never expire are not offered.
MAX_LIFETIME = dt.timedelta(days=3650)


@dataclass(frozen=True)
class TokenInfo:
    """What is known about a token, never its secret."""

    id: str
    project_id: str
    user_id: str
    roles: tuple[str, ...]
    description: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


@dataclass(frozen=True)
class IssuedToken:
    info: TokenInfo
    #: The token to hand to the client; not stored anywhere.
    token: str


class TokenService:
    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], dt.datetime],
        random_hex: Callable[[int], str] = secrets.token_hex,
        random_secret: Callable[[int], str] = secrets.token_urlsafe,
    ) -> None:
        self._db = db
        self._clock = clock
        self._random_hex = random_hex
        self._random_secret = random_secret

    def create(
        self,
        *,
        project_id: str,
        user_id: str,
        roles: Iterable[str],
        lifetime: dt.timedelta,
        description: str | None = None,
    ) -> IssuedToken:
        """Issue a token bound to a project, a user and roles, valid for ``lifetime``."""
        project_id, user_id = project_id.strip(), user_id.strip()
        if not project_id or not user_id:
            raise InvalidInput("A token needs a project and a user.")
        if not dt.timedelta(0) < lifetime <= MAX_LIFETIME:
            raise InvalidInput(f"A token's lifetime must be positive and at most {MAX_LIFETIME}.")
        token_id = self._random_hex(8)
        token = f"{PREFIX}{token_id}_{self._random_secret(32)}"
        now = self._clock()
        row = TokenRow(
            id=token_id,
            secret_hash=_hash(token),
            project_id=project_id,
            user_id=user_id,
            roles=sorted({role.strip().lower() for role in roles if role.strip()}),
            description=description,
            created_at=now,
            expires_at=now + lifetime,
            revoked_at=None,
        )
        with self._db.write() as session:
            token_rows.insert(session, row)
            return IssuedToken(info=_info(row), token=token)

    def list(self, project_id: str | None = None) -> list[TokenInfo]:
        with self._db.read() as session:
            return [_info(row) for row in token_rows.listing(session, project_id)]

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke a token for good; revoking it again changes nothing."""
        with self._db.write() as session:
            row = token_rows.get(session, token_id)
            if row is None:
                raise TokenNotFound(f"Token {token_id} not found.")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
                session.flush()
            return _info(row)

    def authenticate(self, token: str, request_id: str = "") -> RequestContext:
        """Return who presents ``token``, or raise if it is unknown, expired or revoked.

        One message for every failure: a caller probing tokens learns nothing from it.
        """
        if _TOKEN.match(token) is None:
            raise InvalidToken("The token is invalid, expired or revoked.")
        with self._db.read() as session:
            row = token_rows.by_hash(session, _hash(token))
            if row is None:
                raise InvalidToken("The token is invalid, expired or revoked.")
            info = _info(row)
        if info.state(self._clock()) != "active":
            raise InvalidToken("The token is invalid, expired or revoked.")
        return RequestContext(
            project_id=info.project_id,
            user_id=info.user_id,
            roles=frozenset(info.roles),
            request_id=request_id,
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        project_id=row.project_id,
        user_id=row.user_id,
        roles=tuple(row.roles),
        description=row.description,
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at),
        revoked_at=_aware(row.revoked_at) if row.revoked_at is not None else None,
    )
