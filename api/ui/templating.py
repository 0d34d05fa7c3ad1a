"""Rendering: the Jinja2 environment, the packaged static assets and the headers of every page."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import falcon

from api.ui.query import label_of

if TYPE_CHECKING:
    import jinja2

#: Pages load nothing from elsewhere: no CDN, no inline script, no framing by other sites.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    #: A content hash, appended to the asset's URL so browsers may cache it for good.
    version: str


def load_assets() -> dict[str, Asset]:
    """Read the packaged static files once, at start-up."""
    assets = {}
    for entry in resources.files("api.ui").joinpath("static").iterdir():
        if entry.is_file():
            body = entry.read_bytes()
            content_type = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            assets[entry.name] = Asset(body, content_type, hashlib.sha256(body).hexdigest()[:12])
    return assets


class Renderer:
    """Render templates into responses with the catalog's security and caching headers.

    The Jinja2 environment is built at the first page a worker renders, not at start: a
    worker that only answers the APIs never imports Jinja2 (~2 MB per worker).
    """

    def __init__(self, assets: dict[str, Asset]) -> None:
        self._assets = assets
        self._env: jinja2.Environment | None = None
        self._env_lock = threading.Lock()

    def _environment(self) -> jinja2.Environment:
        with self._env_lock:
            if self._env is None:
                import jinja2

                env = jinja2.Environment(
                    loader=jinja2.PackageLoader("api.ui", "templates"),
                    autoescape=True,
                    undefined=jinja2.StrictUndefined,
                    trim_blocks=True,
                    lstrip_blocks=True,
                )
                env.filters.update(filesize=filesize, when=when, day=day, label=label_of)
                env.globals.update(static=self.static_url)
                self._env = env
            return self._env

    def static_url(self, name: str) -> str:
        return f"/ui/static/{name}?v={self._assets[name].version}"

    def render(
        self, resp: falcon.Response, template: str, *, status: int = 200, **context: Any
    ) -> None:
        resp.status = status
        resp.content_type = "text/html; charset=utf-8"
        resp.text = self._environment().get_template(template).render(**context)
        page_headers(resp)


def page_headers(resp: falcon.Response) -> None:
    """Pages depend on who asks: never cached by a shared cache, never framed, never sniffed."""
    resp.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    resp.set_header("X-Content-Type-Options", "nosniff")
    resp.set_header("Referrer-Policy", "same-origin")
    resp.set_header("Cache-Control", "no-store")


def filesize(size: int | None) -> str:
    """``1536`` → ``1.5 KiB (1,536 bytes)``: readable, and exact for comparing with a file."""
    if size is None:
        return "—"
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{size:,} B" if unit == "B" else f"{value:.1f} {unit} ({size:,} bytes)"
        value /= 1024
    raise AssertionError("unreachable")


def when(value: str | None) -> str:
    """An API timestamp as a short UTC date and time (``2026-01-01 12:00 UTC``)."""
    if not value:
        return "—"
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(value: str | None) -> str:
    """An API timestamp's UTC date, for listings (``2026-01-01``)."""
    return when(value)[:10] if value else "—"
