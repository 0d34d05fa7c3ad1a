"""``/v2/images/{id}/members[/{member_id}]``: Glance's image sharing on the member service.

The member service already speaks Glance's model (``pending``/``accepted``/``rejected``, the
owner adds and removes, the member answers); this door renames ``artifact_id`` to ``image_id``
and adds the schema links.
"""

from __future__ import annotations

from typing import Any

import falcon

from api.glance import wire
from api.glance.output import write_json
from api.media import read_json
from artifacts.engine.members import MemberService


def to_member(member: dict[str, Any]) -> dict[str, Any]:
    return {
        "member_id": member["member_id"],
        "image_id": member["artifact_id"],
        "status": member["status"],
        "created_at": wire.glance_time(member["created_at"]),
        "updated_at": wire.glance_time(member["updated_at"]),
        "schema": "/v2/schemas/member",
    }


class MemberCollection:
    def __init__(self, service: MemberService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        members = self._service.list(req.context.ctx, wire.TYPE_NAME, image_id)
        write_json(
            resp,
            {"members": [to_member(m) for m in members], "schema": "/v2/schemas/members"},
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        member = self._service.add(req.context.ctx, wire.TYPE_NAME, image_id, body)
        write_json(resp, to_member(member))


class MemberItem:
    def __init__(self, service: MemberService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, image_id: str, member_id: str
    ) -> None:
        member = self._service.show(req.context.ctx, wire.TYPE_NAME, image_id, member_id)
        write_json(resp, to_member(member))

    def on_put(
        self, req: falcon.Request, resp: falcon.Response, image_id: str, member_id: str
    ) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        member = self._service.update(req.context.ctx, wire.TYPE_NAME, image_id, member_id, body)
        write_json(resp, to_member(member))

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, image_id: str, member_id: str
    ) -> None:
        self._service.delete(req.context.ctx, wire.TYPE_NAME, image_id, member_id)
        resp.status = falcon.HTTP_204
