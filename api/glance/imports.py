"""``PUT /v2/images/{id}/stage`` and ``POST /v2/images/{id}/import``: interoperable import.

Staging streams the body into the engine's staging area (the image turns ``uploading``); the
import call names a method (``glance-direct`` for staged data, ``web-download`` with a
``uri``) and queues the engine's import task, which ``artifacts worker`` runs (the image is
``importing`` meanwhile). Glance answers 202 with no body; the task is found through
``/v2/images/{id}/tasks``.
"""

from __future__ import annotations

from typing import Any

import falcon

from api.glance import wire
from api.media import body_stream, read_json
from artifacts.engine.blobs import BlobRef
from artifacts.engine.imports import ImportService
from artifacts.errors import InvalidInput, UnsupportedMediaType

DATA_MEDIA_TYPE = "application/octet-stream"


class ImageStage:
    def __init__(self, imports: ImportService) -> None:
        self._imports = imports

    def on_put(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        if (req.content_type or "").split(";")[0].strip().lower() != DATA_MEDIA_TYPE:
            raise UnsupportedMediaType(f"Image data must be sent as {DATA_MEDIA_TYPE}.")
        req.context.blob_upload = True
        self._imports.stage(
            req.context.ctx,
            BlobRef(wire.TYPE_NAME, image_id, wire.BLOB_FIELD),
            body_stream(req),
            content_length=req.content_length,
        )
        resp.status = falcon.HTTP_204


class ImageImport:
    def __init__(self, imports: ImportService, max_json_body: int) -> None:
        self._imports = imports
        self._max_json_body = max_json_body

    def on_post(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        method, options = _request(body)
        self._imports.start(
            req.context.ctx, BlobRef(wire.TYPE_NAME, image_id, wire.BLOB_FIELD), method, **options
        )
        resp.status = falcon.HTTP_202
        # No body, and not labelled JSON (clients parse a JSON label's empty body and fail).
        resp.content_type = "text/html; charset=UTF-8"


def _request(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The method and options of an import request, checked as Glance checks them."""
    if not isinstance(body, dict):
        raise InvalidInput("Request body must be a JSON object.")
    method = body.get("method")
    if not isinstance(method, dict):
        raise InvalidInput("Import request requires a 'method' field.")
    if "name" not in method:
        raise InvalidInput("Import request requires a 'name' field.")
    options: dict[str, Any] = {}
    for flag, default in (("all_stores_must_succeed", True), ("all_stores", False)):
        value = body.get(flag, default)
        if not isinstance(value, bool):
            raise InvalidInput(f"'{flag}' must be boolean value only")
        options[flag] = value
    stores = body.get("stores")
    if stores is not None:
        if not isinstance(stores, list) or not all(isinstance(s, str) for s in stores):
            raise InvalidInput("The 'stores' of an import request must be a list of store names.")
        options["stores"] = stores
    return dict(method), options
