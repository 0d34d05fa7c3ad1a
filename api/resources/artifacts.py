"""``/artifacts/{type}`` and ``/artifacts/{type}/{id}``: thin adapters onto the artifact service."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import falcon

from api.media import JSON_PATCH, read_json, write_json
from artifacts.engine.artifacts import ArtifactService, Page
from artifacts.engine.registry import ALL_TYPES
from artifacts.errors import InvalidInput


class ArtifactCollection:
    def __init__(self, service: ArtifactService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(self, req: falcon.Request, resp: falcon.Response, type_name: str) -> None:
        params = parse_qsl(req.query_string, keep_blank_values=True)
        page = self._service.list(req.context.ctx, type_name, params)
        write_json(resp, _list_body(type_name, page, params))

    def on_post(self, req: falcon.Request, resp: falcon.Response, type_name: str) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        if not isinstance(body, dict):
            raise InvalidInput("The request body must be a JSON object of field values.")
        created = self._service.create(req.context.ctx, type_name, body)
        resp.location = f"/artifacts/{type_name}/{created['id']}"
        write_json(resp, created, status=201)


class ArtifactItem:
    def __init__(self, service: ArtifactService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, type_name: str, artifact_id: str
    ) -> None:
        write_json(resp, self._service.show(req.context.ctx, type_name, artifact_id))

    def on_patch(
        self, req: falcon.Request, resp: falcon.Response, type_name: str, artifact_id: str
    ) -> None:
        patch = read_json(req, max_bytes=self._max_json_body, accept=(JSON_PATCH,))
        updated = self._service.update(req.context.ctx, type_name, artifact_id, patch)
        write_json(resp, updated)

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, type_name: str, artifact_id: str
    ) -> None:
        self._service.delete(req.context.ctx, type_name, artifact_id)
        resp.status = falcon.HTTP_204


class AllArtifactsCollection:
    """``/artifacts/all``: a read-only listing across every type (common fields only)."""

    def __init__(self, service: ArtifactService) -> None:
        self._service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = parse_qsl(req.query_string, keep_blank_values=True)
        page = self._service.list(req.context.ctx, ALL_TYPES, params)
        write_json(resp, _list_body(ALL_TYPES, page, params))


class AllArtifactsItem:
    """``/artifacts/all/{id}``: show any artifact without knowing its type."""

    def __init__(self, service: ArtifactService) -> None:
        self._service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response, artifact_id: str) -> None:
        write_json(resp, self._service.show(req.context.ctx, ALL_TYPES, artifact_id))


def _list_body(type_name: str, page: Page, params: list[tuple[str, str]]) -> dict[str, object]:
    first = f"/artifacts/{type_name}"
    kept = [(k, v) for k, v in params if k != "marker"]
    # glareclient reads the items under the type's name (Glare's newer "artifacts" key would
    # double the payload to serve no client we know of).
    body: dict[str, object] = {
        "type_name": type_name,
        type_name: page.items,
        "first": f"{first}?{urlencode(kept)}" if kept else first,
        "schema": f"/schemas/{type_name}",
    }
    if page.total_count is not None:
        # Asked for with total_count=true: counting costs a query over every page.
        body["total_count"] = page.total_count
    if page.next_marker is not None:
        following = [*kept, ("marker", page.next_marker)]
        if not any(k == "limit" for k, _ in kept):
            following.append(("limit", str(page.query.limit)))
        body["next"] = f"{first}?{urlencode(following)}"
    return body
