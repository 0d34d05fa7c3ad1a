"""``/v2/images``, ``/v2/images/{id}``, its tags and actions: Glance's image calls on the engine.

Each call becomes the artifact service's create, show, list, update (JSON patch) or delete on
the ``images`` type; everything it decides (visibility, policy, lifecycle, validation) it
decides for the Glare door alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import falcon
import jsonschema

from api.glance import listing, wire
from api.glance.output import write_json
from api.media import media_type, read_json
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.imports import ImportService
from artifacts.errors import (
    ArtifactIdTaken,
    Forbidden,
    InvalidInput,
    InvalidValue,
    MarkerNotFound,
    NotFound,
)
from artifacts.model import fields as f

PATCH_MEDIA_TYPES = (wire.PATCH_MEDIA_TYPE, wire.PATCH_MEDIA_TYPE_V20)


class ImageCollection:
    def __init__(
        self,
        service: ArtifactService,
        imports: ImportService,
        declared: Mapping[str, f.Field],
        max_json_body: int,
        image_schema: Mapping[str, Any],
    ) -> None:
        self._service = service
        self._imports = imports
        self._declared = declared
        self._max_json_body = max_json_body
        # Glance validates a new image against its image schema (JSON Schema draft 4), so a
        # value of the wrong type is a 400 here too, not coerced as the Glare door does.
        self._schema = jsonschema.Draft4Validator(image_schema)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = parse_qsl(req.query_string, keep_blank_values=True)
        translated = listing.translate(params, self._declared)
        body: dict[str, Any] = {
            "images": [],
            "first": listing.first_link(params),
            "schema": "/v2/schemas/images",
        }
        if not translated.nothing:
            try:
                page = self._service.list(req.context.ctx, wire.TYPE_NAME, translated.params)
            except MarkerNotFound as exc:
                # Glance's word for a marker it cannot find is 400 (Glare's, 404).
                raise InvalidInput(exc.message) from None
            body["images"] = render(self._imports, page.items)
            if page.next_marker is not None:
                body["next"] = listing.next_link(params, page.next_marker)
        write_json(resp, body)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        if not isinstance(body, dict):
            raise InvalidInput("Request body must be a JSON object of image attributes.")
        # Glance refuses unwritable attributes (403) before it validates values (400).
        for attribute in body:
            if attribute != "id":
                wire.refuse_unwritable(attribute)
        error = jsonschema.exceptions.best_match(self._schema.iter_errors(body))
        if error is not None:
            raise InvalidValue(f"Provided object does not match schema 'image': {error.message}")
        attributes = dict(body)
        image_id = attributes.pop("id", None)
        visibility = attributes.pop("visibility", None) or wire.DEFAULT_VISIBILITY
        fields = wire.create_body(attributes, self._declared)
        try:
            created = self._service.create(
                req.context.ctx,
                wire.TYPE_NAME,
                fields,
                artifact_id=image_id,
                visibility=visibility,
            )
        except ArtifactIdTaken as exc:
            # Glance's words; another conflict (a name already used) keeps its own.
            raise ArtifactIdTaken(f"Image ID {image_id} already exists!") from exc
        image = wire.to_image(created)
        resp.location = f"{req.prefix}{image['self']}"
        # What Glance announces on a new image: clients (openstacksdk) import only if the
        # method is listed here.
        if self._imports.methods:
            resp.set_header("OpenStack-image-import-methods", ",".join(self._imports.methods))
        resp.set_header("OpenStack-image-store-ids", ",".join(self._imports.store_names))
        write_json(resp, image, status=201)


class ImageItem:
    def __init__(
        self,
        service: ArtifactService,
        imports: ImportService,
        declared: Mapping[str, f.Field],
        max_json_body: int,
    ) -> None:
        self._service = service
        self._imports = imports
        self._declared = declared
        self._max_json_body = max_json_body

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        write_json(resp, show(self._service, req, image_id, self._imports))

    def on_patch(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        operations = read_json(req, max_bytes=self._max_json_body, accept=PATCH_MEDIA_TYPES)
        if media_type(req) == wire.PATCH_MEDIA_TYPE_V20:
            operations = wire.from_draft_10(operations)
        current = show(self._service, req, image_id)
        patch = wire.artifact_patch(operations, current, self._declared)
        updated = self._service.update(
            req.context.ctx, wire.TYPE_NAME, image_id, patch, drafts_may_share=True
        )
        write_json(resp, render(self._imports, [updated])[0])

    def on_delete(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        self._service.delete(req.context.ctx, wire.TYPE_NAME, image_id)
        resp.status = falcon.HTTP_204


class ImageTag:
    """``PUT``/``DELETE /v2/images/{id}/tags/{tag}``: add (idempotently) or remove one tag."""

    def __init__(self, service: ArtifactService) -> None:
        self._service = service

    def on_put(self, req: falcon.Request, resp: falcon.Response, image_id: str, tag: str) -> None:
        tags = show(self._service, req, image_id)["tags"]
        if tag not in tags:
            patch = [{"op": "add", "path": "/tags/-", "value": tag}]
            self._service.update(req.context.ctx, wire.TYPE_NAME, image_id, patch)
        resp.status = falcon.HTTP_204

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, image_id: str, tag: str
    ) -> None:
        tags = show(self._service, req, image_id)["tags"]
        if tag not in tags:
            raise NotFound(f"Tag {tag} not found on image {image_id}.")
        index = tags.index(tag)
        # The test makes the removal safe against a concurrent change of the tag list.
        patch = [
            {"op": "test", "path": f"/tags/{index}", "value": tag},
            {"op": "remove", "path": f"/tags/{index}"},
        ]
        self._service.update(req.context.ctx, wire.TYPE_NAME, image_id, patch)
        resp.status = falcon.HTTP_204


class ImageAction:
    """``POST /v2/images/{id}/actions/deactivate|reactivate``: the status transitions.

    Either action is taken from ``active`` or ``deactivated`` only (the one it leads to is a
    no-op); an image without data cannot be deactivated, nor activated by a "reactivate".
    """

    TARGETS: Mapping[str, str] = {"deactivate": "deactivated", "reactivate": "active"}
    FROM = ("active", "deactivated")

    def __init__(self, service: ArtifactService) -> None:
        self._service = service

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, image_id: str, action: str
    ) -> None:
        target = self.TARGETS.get(action)
        if target is None:
            raise falcon.HTTPNotFound()
        status = show(self._service, req, image_id)["status"]
        if status not in self.FROM:
            raise Forbidden(f"Not allowed to {action} image in status '{status}'")
        patch = [{"op": "replace", "path": "/status", "value": target}]
        self._service.update(req.context.ctx, wire.TYPE_NAME, image_id, patch)
        resp.status = falcon.HTTP_204


def show(
    service: ArtifactService,
    req: falcon.Request,
    image_id: str,
    imports: ImportService | None = None,
) -> dict[str, Any]:
    """The image as Glance shows it (a caller who may not see it gets "not found")."""
    artifact = service.show(req.context.ctx, wire.TYPE_NAME, image_id)
    if imports is None:
        return wire.to_image(artifact)
    return render(imports, [artifact])[0]


def render(imports: ImportService, artifacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Images as Glance shows them, with what the import service knows of each.

    With one store only a drafted image can have an import state, and the ``stores``
    attribute is not shown (as in Glance): a page of active images then costs no query beyond
    the list's own.
    """
    stores: dict[str, list[str]] = {}
    if imports.multiple_stores:
        # An active image may be being copied into another store (copy-image).
        states = imports.states([a["id"] for a in artifacts])
        stores = imports.stores_of([a["id"] for a in artifacts if a["status"] != "drafted"])
    else:
        drafted = [a["id"] for a in artifacts if a["status"] == "drafted"]
        states = imports.states(drafted) if drafted else {}
    return [wire.to_image(a, states.get(a["id"]), stores.get(a["id"])) for a in artifacts]
