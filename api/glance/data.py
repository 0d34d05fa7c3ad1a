"""``/v2/images/{id}/file``: upload the image data, then activate; stream it back.

An upload is the blob service's upload into the ``image`` blob followed by the artifact
service's activation (Glance's ``queued → saving → active``); a download is the blob service's
download, with Glance's headers (``Content-MD5`` as a hex digest, ranges as 206).
"""

from __future__ import annotations

from collections.abc import Mapping

import falcon

from api.glance import wire
from api.media import body_stream
from api.resources.blobs import requested_range, write_data
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.blobs import BlobRef, BlobService
from artifacts.errors import InvalidValue, NotFound, UnsupportedMediaType
from artifacts.model import fields as f

DATA_MEDIA_TYPE = "application/octet-stream"


class ImageData:
    def __init__(
        self, artifacts: ArtifactService, blobs: BlobService, declared: Mapping[str, f.Field]
    ) -> None:
        self._artifacts = artifacts
        self._blobs = blobs
        self._required = [name for name, fld in declared.items() if fld.required_on_activate]

    def on_put(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        if (req.content_type or "").split(";")[0].strip().lower() != DATA_MEDIA_TYPE:
            raise UnsupportedMediaType(f"Image data must be sent as {DATA_MEDIA_TYPE}.")
        # The upload activates the image, so what activation needs is asked for before any
        # byte is stored (Glance: disk_format and container_format first).
        current = self._artifacts.show(req.context.ctx, wire.TYPE_NAME, image_id)
        missing = [name for name in self._required if current.get(name) is None]
        if missing:
            raise InvalidValue(f"Properties {', '.join(missing)} must be set prior to saving data.")
        ref = BlobRef(wire.TYPE_NAME, image_id, wire.BLOB_FIELD)
        req.context.blob_upload = True
        self._blobs.upload(
            req.context.ctx,
            ref,
            body_stream(req),
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
            resp.status = falcon.HTTP_302
            resp.location = download.redirect
            return
        byte_range = requested_range(req, download)
        handle = download.open(byte_range)
        resp.content_type = DATA_MEDIA_TYPE
        write_data(resp, handle, byte_range)
