"""``/artifacts/{type}`` and ``/artifacts/{type}/{id}``: thin adapters onto the artifact service.

``all`` is served by the same resources: the engine reads it across every type and refuses to
write through it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import falcon

from api.media import JSON_PATCH, read_json, write_json
from artifacts.engine.artifacts import ArtifactService, Page
from artifacts.errors import InvalidInput

#: Glare refuses a body on its reads and deletes (see api.middleware.BodylessMethodsMiddleware).
READS = frozenset({"GET"})
READS_AND_DELETES = frozenset({"GET", "DELETE"})


class ArtifactCollection:
    bodyless_methods = READS

    def __init__(self, service: ArtifactService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(self, req: falcon.Request, resp: falcon.Response, type_name: str) -> None:
        params = parse_qsl(req.query_string, keep_blank_values=True)
        page = self._service.list(req.context.ctx, type_name, params, count=True)
        write_json(resp, _list_body(type_name, page, params))

    def on_post(self, req: falcon.Request, resp: falcon.Response, type_name: str) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        if not isinstance(body, dict):
            raise InvalidInput("The request body must be a JSON object of field values.")
        created = self._service.create(req.context.ctx, type_name, body)
        resp.location = f"/artifacts/{type_name}/{created['id']}"
        write_json(resp, created, status=201)


class ArtifactItem:
    bodyless_methods = READS_AND_DELETES

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


def _list_body(type_name: str, page: Page, params: list[tuple[str, str]]) -> dict[str, object]:
    """Glare's list envelope, links included, built as Glare builds them.

    ``first`` and ``next`` carry the query as a plain mapping (the last value of a repeated
    parameter wins, in the place of its first appearance) without the marker; ``next`` appends
    the last item's id as the marker and is there whenever the page is full, as in Glare.
    """
    query = dict(params)
    query.pop("marker", None)
    first = f"/artifacts/{type_name}"
    body: dict[str, object] = {
        "type_name": type_name,
        "artifacts": page.items,
        "first": f"{first}?{urlencode(query)}" if query else first,
        "schema": f"/schemas/{type_name}",
        "total_count": page.total_count,
    }
    if page.total_count_limited:
        body["total_count_limited"] = True
    if page.items and len(page.items) == page.query.limit:
        body["next"] = f"{first}?{urlencode({**query, 'marker': page.items[-1]['id']})}"
    return body
