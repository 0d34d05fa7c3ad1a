"""``/v2/images/{id}/file``: upload the image data, then activate; stream it back.

An upload is the blob service's upload into the ``image`` blob followed by the artifact
service's activation (Glance's ``queued → saving → active``); a download is the blob service's
download, with Glance's headers (``Content-MD5`` as a hex digest, ranges as 206).
"""

from __future__ import annotations

from collections.abc import Mapping

import falcon

from api.glance import wire
from api.media import blob_stream, refuse_partial_upload
from api.resources.blobs import send_data, validator_headers
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.blobs import BlobRef, BlobService
from artifacts.engine.imports import ImportService
from artifacts.errors import (
    Conflict,
    InvalidValue,
    NotFound,
    UnsupportedMediaType,
)
from artifacts.model import fields as f

DATA_MEDIA_TYPE = "application/octet-stream"
#: Statuses whose data is fixed: Glance answers an upload with a 409 status conflict.
FROZEN_STATUSES = ("active", "deactivated")


class ImageData:
    def __init__(
        self,
        artifacts: ArtifactService,
        blobs: BlobService,
        imports: ImportService,
        declared: Mapping[str, f.Field],
    ) -> None:
        self._artifacts = artifacts
        self._imports = imports
        self._blobs = blobs
        self._required = [name for name, fld in declared.items() if fld.required_on_activate]

    def on_put(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        if (req.content_type or "").split(";")[0].strip().lower() != DATA_MEDIA_TYPE:
            raise UnsupportedMediaType(f"Image data must be sent as {DATA_MEDIA_TYPE}.")
        refuse_partial_upload(req)
        # The upload activates the image, so what activation needs is asked for before any
        # byte is stored (Glance: disk_format and container_format first).
        current = self._artifacts.show(req.context.ctx, wire.TYPE_NAME, image_id)
        if current["status"] in FROZEN_STATUSES:
            # The engine refuses the write (403); Glance calls it a status conflict.
            raise Conflict(
                f"Image status transition from {current['status']} to saving is not allowed"
            )
        self._imports.check_direct_upload(current, wire.BLOB_FIELD)
        missing = [name for name in self._required if current.get(name) is None]
        if missing:
            raise InvalidValue(f"Properties {', '.join(missing)} must be set prior to saving data.")
        ref = BlobRef(wire.TYPE_NAME, image_id, wire.BLOB_FIELD)
        req.context.blob_upload = True
        self._blobs.upload(
            req.context.ctx,
            ref,
            blob_stream(req),
            content_length=req.content_length,
            content_type=DATA_MEDIA_TYPE,
        )
        activate = [{"op": "replace", "path": "/status", "value": "active"}]
        self._artifacts.update(req.context.ctx, wire.TYPE_NAME, image_id, activate)
        resp.status = falcon.HTTP_204

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        ref = BlobRef(wire.TYPE_NAME, image_id, wire.BLOB_FIELD)
        try:
            download = self._blobs.download(req.context.ctx, ref)
        except NotFound as exc:
            if exc.code != "not_found":
                raise
            # An image without data: Glance answers 204 No Content.
            resp.status = falcon.HTTP_204
            return
        if download.info.md5:
            resp.set_header("Content-MD5", download.info.md5)
        if download.redirect is not None:
            if req.method == "GET":  # a HEAD sends nobody anywhere: no download hooks
                download.notify()
            resp.status = falcon.HTTP_302
            resp.location = download.redirect
            return
        validator_headers(resp, download)
        send_data(req, resp, download, DATA_MEDIA_TYPE)

    def on_head(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        """GET's status and headers without the data."""
        self.on_get(req, resp, image_id)
