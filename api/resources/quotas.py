"""Our quota extensions beside Glare's ``/quotas``: defaults, and a project's usage.

``/quotas/defaults`` holds the limits of every project without its own, and
``/quotas/projects/{project_id}`` a project's limits (as set and in effect) with its usage.
A PUT replaces the whole document (``{"limits": {...}, "types": {"<type>": {"limits":
{...}}}}``); DELETE on a project returns it to the defaults.
"""

from __future__ import annotations

import falcon

from api.media import read_json, write_json
from artifacts.engine.quotas import QuotaService


class QuotaDefaults:
    def __init__(self, service: QuotaService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, self._service.defaults(req.context.ctx))

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        write_json(resp, self._service.set_defaults(req.context.ctx, body))


class ProjectQuota:
    def __init__(self, service: QuotaService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        write_json(resp, self._service.show(req.context.ctx, project_id))

    def on_put(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        write_json(resp, self._service.set_project(req.context.ctx, project_id, body))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        self._service.clear_project(req.context.ctx, project_id)
        resp.status = falcon.HTTP_204
