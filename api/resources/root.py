"""``/`` and ``/versions``: the API version document Glare clients negotiate with."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import falcon

from api.microversion import SUPPORTED_VERSIONS

#: Where each version points for documentation; Glare names the OpenStack docs site.
DOCS_LINK = {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}


class VersionsResource:
    """Answer every method on ``/`` and ``/versions`` with 300 Multiple Choices, as Glare does.

    Glare's version-negotiation layer answers these paths before routing, whatever the method or
    caller, so a client probing the endpoint gets the same document however it asks.

    Other front doors add their own entries (``more_versions(base_url)``): Glance's ``v2.x``
    ids, which keystoneauth and openstacksdk look for, while glareclient only lists them.
    """

    def __init__(self, more_versions: Callable[[str], list[dict[str, Any]]] | None = None) -> None:
        self._more_versions = more_versions
        self._glare: list[dict[str, Any]] = [
            {
                "version": version,
                "status": status,
                "links": [DOCS_LINK],
                "media-type": f"application/vnd.openstack.artifacts-{version}",
            }
            for version, status in SUPPORTED_VERSIONS
        ]
        self._body = json.dumps({"versions": self._glare})

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.status = falcon.HTTP_300
        resp.content_type = falcon.MEDIA_JSON
        if self._more_versions is None:
            resp.text = self._body
            return
        # The other doors' entries first: python-glanceclient reads the first entry's "id",
        # which Glare's entries do not have.
        resp.text = json.dumps({"versions": [*self._more_versions(req.prefix), *self._glare]})

    on_post = on_put = on_patch = on_delete = on_head = on_get
