"""Cross-origin requests from browsers, for the origins an operator names, and no others.

A page served from another origin (a web front end, or a page that uploads a blob straight to
S3 through ``/direct-uploads``) may call this API only if the answers say so. With
``[cors] allowed_origins`` set, a preflight (``OPTIONS`` with ``Access-Control-Request-Method``)
from a listed origin is answered here, before identification, because browsers send it
without credentials; every other answer to a listed origin, errors included, names the origin
and the headers its script may read (``ETag``, ``Location``, tus's ``Upload-Offset``, …).
An origin not listed gets answers without CORS headers, which its browser refuses to show to
the script. Credentials travel in headers (``X-Auth-Token``, ``Authorization``), never in
cookies, so ``Access-Control-Allow-Credentials`` is never sent.
"""

from __future__ import annotations

from typing import Any

import falcon

ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
#: Request headers the API reads (besides those browsers always allow).
ALLOW_HEADERS = ", ".join(
    (
        "Authorization",
        "Content-Type",
        "Content-Range",
        "If-Match",
        "If-None-Match",
        "If-Range",
        "OpenStack-API-Version",
        "Range",
        "Tus-Resumable",
        "Upload-Defer-Length",
        "Upload-Length",
        "Upload-Metadata",
        "Upload-Offset",
        "Want-Repr-Digest",
        "X-Auth-Token",
        "X-Request-Id",
    )
)
#: Response headers a script on another origin may read.
EXPOSE_HEADERS = ", ".join(
    (
        "Accept-Ranges",
        "Content-Disposition",
        "Content-Range",
        "ETag",
        "Location",
        "OpenStack-API-Version",
        "Repr-Digest",
        "Tus-Extension",
        "Tus-Max-Size",
        "Tus-Resumable",
        "Tus-Version",
        "Upload-Expires",
        "Upload-Length",
        "Upload-Offset",
        "X-OpenStack-Request-Id",
        "X-Request-Id",
    )
)
ANY_ORIGIN = "*"


class CorsMiddleware:
    """Answer preflights from allowed origins and mark every answer to them."""

    def __init__(self, origins: tuple[str, ...], max_age: int) -> None:
        self._any = ANY_ORIGIN in origins
        self._origins = frozenset(origin.lower() for origin in origins)
        self._max_age = str(max_age)

    def _allowed(self, req: falcon.Request) -> str | None:
        origin = req.get_header("Origin")
        if origin and (self._any or origin.lower() in self._origins):
            return origin
        return None

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.method != "OPTIONS" or not req.get_header("Access-Control-Request-Method"):
            return
        if self._allowed(req) is None:
            return  # answered as any OPTIONS is, without CORS headers: the browser refuses
        resp.status = falcon.HTTP_204
        resp.set_header("Access-Control-Allow-Methods", ALLOW_METHODS)
        resp.set_header("Access-Control-Allow-Headers", ALLOW_HEADERS)
        resp.set_header("Access-Control-Max-Age", self._max_age)
        resp.complete = True  # no identification, no responder: a preflight carries no credentials

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        if not self._any:
            resp.append_header("Vary", "Origin")  # the answer depends on it: caches must know
        origin = self._allowed(req)
        if origin is None:
            return
        resp.set_header("Access-Control-Allow-Origin", ANY_ORIGIN if self._any else origin)
        resp.set_header("Access-Control-Expose-Headers", EXPOSE_HEADERS)
