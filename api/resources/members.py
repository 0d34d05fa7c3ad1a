"""``/artifacts/{type}/{id}/members[/{project_id}]``: thin adapters onto the member service.

The bodies follow Glance's image members API, which sharing clients already know:
``POST {"member": "<project>"}`` shares, ``PUT {"status": "accepted"}`` answers.
"""

from __future__ import annotations

import falcon

from api.media import read_json, write_json
from artifacts.engine.members import MemberService


class MemberCollection:
    def __init__(self, service: MemberService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, type_name: str, artifact_id: str
    ) -> None:
        members = self._service.list(req.context.ctx, type_name, artifact_id)
        write_json(resp, {"members": members})

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, type_name: str, artifact_id: str
    ) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        member = self._service.add(req.context.ctx, type_name, artifact_id, body)
        resp.location = f"/artifacts/{type_name}/{artifact_id}/members/{member['member_id']}"
        write_json(resp, member, status=201)


class MemberItem:
    def __init__(self, service: MemberService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        type_name: str,
        artifact_id: str,
        project_id: str,
    ) -> None:
        write_json(resp, self._service.show(req.context.ctx, type_name, artifact_id, project_id))

    def on_put(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        type_name: str,
        artifact_id: str,
        project_id: str,
    ) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        member = self._service.update(req.context.ctx, type_name, artifact_id, project_id, body)
        write_json(resp, member)

    def on_delete(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        type_name: str,
        artifact_id: str,
        project_id: str,
    ) -> None:
        self._service.delete(req.context.ctx, type_name, artifact_id, project_id)
        resp.status = falcon.HTTP_204
