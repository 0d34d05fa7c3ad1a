"""Downloads of blob data for the visitor, the packaged static files, and HTML for unknown paths."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import falcon

from api.resources.blobs import BlobResource
from api.ui.base import Catalog, CatalogResource, html_errors
from api.ui.session import Visitor
from api.ui.templating import Asset
from artifacts.errors import NotFound


class Download(CatalogResource):
    """A blob's data, as the API serves it, for the visitor the sign-in cookie names.

    The API's blob resource does the serving (checksum headers, ranges, external redirects);
    this only supplies the visitor's identity and asks the browser to save the file under the
    artifact's name and version.
    """

    def __init__(self, catalog: Catalog, blobs: BlobResource) -> None:
        super().__init__(catalog)
        self._blobs = blobs

    @html_errors
    def on_get(
        self, req: falcon.Request, resp: falcon.Response, visitor: Visitor, **params: str
    ) -> None:
        artifact = self.services.artifacts.show(
            visitor.ctx, params["type_name"], params["artifact_id"]
        )
        req.context.ctx = visitor.ctx
        self._blobs.on_get(req, resp, **params)
        part = (params.get("key") or params["field"]).rsplit("/", 1)[-1] or params["field"]
        filename = f"{artifact['name']}-{artifact['version']}-{part}"
        resp.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(filename)}")
        resp.set_header("Cache-Control", "private, no-store")
        resp.set_header("X-Content-Type-Options", "nosniff")


class Static:
    """The catalog's own CSS, script and icons; URLs carry a content hash, so cache for good."""

    def __init__(self, assets: dict[str, Asset]) -> None:
        self._assets = assets

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        asset = self._assets.get(name)
        if asset is None:
            raise falcon.HTTPNotFound()
        resp.content_type = asset.content_type
        resp.data = asset.body
        resp.set_header("Cache-Control", "public, max-age=31536000, immutable")
        resp.set_header("X-Content-Type-Options", "nosniff")


class NotFoundPage(CatalogResource):
    """Any other path under ``/ui``: an HTML 404 rather than the API's JSON one."""

    @html_errors
    def __call__(
        self, req: falcon.Request, resp: falcon.Response, visitor: Visitor, **params: Any
    ) -> None:
        raise NotFound(f"There is no catalog page at {req.path}.")
