"""Who is browsing, and whether a form really came from our own page.

Identity: the shared identity middleware has already resolved headers (a gateway's, Keystone's,
or an API token). A browser cannot send an API token on every request, so in the ``tokens`` mode
the catalog offers a sign-in form that keeps the token in a cookie (``Secure``, ``HttpOnly``,
``SameSite=Lax``, path ``/ui``); the cookie is checked by the same token service as the header,
on every request. The cookie never reaches the API paths, so the API keeps no ambient authority
that a forged cross-site request could borrow.

CSRF: every page sets a random per-browser secret in a ``SameSite=Strict`` cookie, and every form
carries an HMAC of the session token keyed by that secret. A cross-site page can read neither
cookie, so it cannot produce the field; the HMAC ties the form to the current sign-in, and a
browser that reports the request as cross-site (``Sec-Fetch-Site``) is refused outright.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import falcon

from artifacts.config import TOKENS
from artifacts.engine.context import RequestContext
from artifacts.engine.tokens import TokenService
from artifacts.errors import ArtifactError, Unauthenticated

SESSION_COOKIE = "artifacts_ui_session"
CSRF_COOKIE = "artifacts_ui_csrf"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/ui"
#: How long a browser keeps a sign-in; the token's own expiry and revocation still apply.
SESSION_MAX_AGE = 7 * 24 * 3600
_CROSS_SITE = frozenset({"cross-site", "same-site"})


class CsrfRejected(ArtifactError):
    """A form arrived without the token of a page we served to this browser."""

    code = "csrf_rejected"
    title = "Forbidden"


@dataclass(frozen=True)
class Visitor:
    """The caller of one catalog request."""

    ctx: RequestContext
    #: The API token held in the sign-in cookie, when that is where the identity came from.
    session_token: str | None
    #: Whether this deployment signs people in with tokens (the ``tokens`` auth mode).
    can_sign_in: bool
    #: The browser's CSRF secret (new ones are set on the response by :func:`identify`).
    csrf_secret: str

    @property
    def signed_in(self) -> bool:
        return not self.ctx.is_anonymous

    @property
    def csrf_token(self) -> str:
        return _csrf_token(self.csrf_secret, self.session_token)


def identify(
    req: falcon.Request, resp: falcon.Response, auth_mode: str, tokens: TokenService
) -> Visitor:
    """Resolve the visitor: the middleware's identity, else the sign-in cookie's token."""
    ctx: RequestContext = req.context.ctx
    can_sign_in = auth_mode == TOKENS
    session_token = None
    cookie = _cookie(req, SESSION_COOKIE)
    if can_sign_in and ctx.is_anonymous and cookie:
        try:
            ctx = tokens.authenticate(cookie, req.context.request_id)
            session_token = cookie
        except Unauthenticated:
            # Expired or revoked since sign-in: browse anonymously and forget the cookie.
            forget_session(resp)
    secret = _cookie(req, CSRF_COOKIE)
    if not secret:
        secret = secrets.token_urlsafe(32)
        resp.set_cookie(
            CSRF_COOKIE,
            secret,
            path=COOKIE_PATH,
            secure=True,
            http_only=True,
            same_site="Strict",
        )
    return Visitor(ctx, session_token, can_sign_in, secret)


def check_form(req: falcon.Request, visitor: Visitor, form: dict[str, str]) -> None:
    """Raise :class:`CsrfRejected` unless ``form`` was posted from one of our pages."""
    if req.get_header("Sec-Fetch-Site") in _CROSS_SITE:
        raise CsrfRejected("This form was sent from another site; it was not accepted.")
    given = form.get(CSRF_FIELD, "")
    if not hmac.compare_digest(given.encode(), visitor.csrf_token.encode()):
        raise CsrfRejected(
            "This form has expired or did not come from this catalog; reload the page and "
            "try again."
        )


def remember_session(resp: falcon.Response, token: str) -> None:
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE,
        path=COOKIE_PATH,
        secure=True,
        http_only=True,
        same_site="Lax",
    )


def forget_session(resp: falcon.Response) -> None:
    resp.unset_cookie(SESSION_COOKIE, path=COOKIE_PATH, same_site="Lax")


def _cookie(req: falcon.Request, name: str) -> str | None:
    values = req.get_cookie_values(name)
    return values[0] if values else None


def _csrf_token(secret: str, session_token: str | None) -> str:
    message = f"artifacts-ui-form\0{session_token or ''}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
