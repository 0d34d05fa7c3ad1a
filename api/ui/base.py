"""What every catalog resource shares: the services, the renderer, the visitor and error pages.

The catalog is a translation over the engine, like the JSON API: it calls the same services
with the visitor's context, and renders their results and their domain errors as HTML (the
status of an error page is the one the API would answer).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import falcon

from api.errors import STATUS_BY_KIND
from api.ui.session import CsrfRejected, Visitor, check_form, identify
from api.ui.templating import Renderer
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services
from artifacts.errors import ArtifactError, TooLarge, Unauthenticated, UnsupportedMediaType
from artifacts.model import text

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
#: A catalog form holds a few short fields; anything larger is not one of ours.
MAX_FORM_BYTES = 16 * 1024


@dataclass(frozen=True)
class Catalog:
    services: Services
    renderer: Renderer
    auth_mode: str

    @property
    def types(self) -> TypeRegistry:
        return self.services.types

    def visitor(self, req: falcon.Request, resp: falcon.Response) -> Visitor:
        return identify(req, resp, self.auth_mode, self.services.tokens)

    def page(
        self,
        resp: falcon.Response,
        visitor: Visitor,
        template: str,
        *,
        status: int = 200,
        **context: Any,
    ) -> None:
        self.renderer.render(
            resp,
            template,
            status=status,
            visitor=visitor,
            nav_types=[(t.name, display_name(t.cls.DISPLAY_NAME, t.name)) for t in self.types],
            **context,
        )


class CatalogResource:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.services = catalog.services


def html_errors(responder: Callable[..., None]) -> Callable[..., None]:
    """Resolve the visitor, call the responder, and render any domain error as an HTML page.

    The responder takes the visitor after ``req`` and ``resp``; falcon calls the wrapper with
    the route's own arguments.
    """

    @functools.wraps(responder)
    def wrapper(
        self: CatalogResource,
        req: falcon.Request,
        resp: falcon.Response,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        visitor = self.catalog.visitor(req, resp)
        try:
            responder(self, req, resp, visitor, *args, **kwargs)
        except ArtifactError as exc:
            error_page(self.catalog, req, resp, visitor, exc)

    return wrapper


def error_page(
    catalog: Catalog,
    req: falcon.Request,
    resp: falcon.Response,
    visitor: Visitor,
    exc: ArtifactError,
) -> None:
    status = status_of(exc)
    catalog.page(
        resp,
        visitor,
        "error.html",
        status=status,
        title=exc.title,
        message=exc.message,
        needs_sign_in=isinstance(exc, Unauthenticated) and visitor.can_sign_in,
        back=req.relative_uri,
    )


def status_of(exc: ArtifactError) -> int:
    if isinstance(exc, CsrfRejected):
        return 403
    return next((code for kind, code in STATUS_BY_KIND.items() if isinstance(exc, kind)), 500)


def read_form(req: falcon.Request, visitor: Visitor) -> dict[str, str]:
    """Parse a posted catalog form and check that it came from one of our pages."""
    if (req.content_type or "").split(";")[0].strip().lower() != FORM_MEDIA_TYPE:
        raise UnsupportedMediaType(f"Catalog forms are sent as {FORM_MEDIA_TYPE}.")
    length = req.content_length or 0
    if length > MAX_FORM_BYTES:
        raise TooLarge(f"A catalog form is at most {MAX_FORM_BYTES} bytes.")
    raw = req.bounded_stream.read(MAX_FORM_BYTES + 1)
    if len(raw) > MAX_FORM_BYTES:
        raise TooLarge(f"A catalog form is at most {MAX_FORM_BYTES} bytes.")
    form: dict[str, str] = {}
    for key, value in parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True):
        # The same rules as every other door's text (the form is bounded by its size).
        text.check_text(key, "A form field name", max_length=None)
        text.check_text(value, f"Form field {key[:64]!r}", max_length=None)
        form.setdefault(key, value)
    check_form(req, visitor, form)
    return form


def local_target(value: str | None, default: str) -> str:
    """A redirect target from a form: only a path of this catalog, never another site."""
    if (
        value
        and (value == "/ui" or value.startswith(("/ui/", "/ui?")))
        and value.isprintable()
        and not any(char in value for char in " \\")
    ):
        return value
    return default


def display_name(declared: str, type_name: str) -> str:
    return declared or type_name.replace("_", " ").capitalize()


def see_other(resp: falcon.Response, location: str) -> None:
    """Answer a form with a redirect, so reloading the next page never re-sends it."""
    resp.status = falcon.HTTP_303
    resp.location = location
    resp.set_header("Cache-Control", "no-store")
