"""Glance's version discovery and ``/v2/info``: what an Images v2 client asks first.

``/`` and ``/versions`` are shared with the Glare door: one document lists Glare's ``1.x``
versions and Glance's ``v2.x`` ones (see :func:`glance_versions`); each client family picks its
own entries (keystoneauth and openstacksdk by the ``v2.x`` ids, glareclient by the artifacts
media type). ``/v2`` redirects to ``/v2/`` as Glance's router does.
"""

from __future__ import annotations

from typing import Any

import falcon

from api.glance.output import write_json

#: Images API minor versions Glance 33 lists (v2.14 and v2.16 are not listed by Glance either).
SUPPORTED_MINORS = (15, 13, 12, 11, 10, 9, 8, 17, 7, 6, 5, 4, 3, 2, 1, 0)
CURRENT_MINOR = 17


def glance_versions(base: str) -> list[dict[str, Any]]:
    """Glance's entries of the version document, in Glance's order."""
    href = f"{base.rstrip('/')}/v2/"
    return [
        {
            "id": f"v2.{minor}",
            "status": "CURRENT" if minor == CURRENT_MINOR else "SUPPORTED",
            "links": [{"rel": "self", "href": href}],
        }
        for minor in SUPPORTED_MINORS
    ]


class V2Root:
    """``/v2``: Glance redirects to ``/v2/``, which is not a resource."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.status = falcon.HTTP_302
        resp.location = f"{req.prefix}/v2/"
        resp.content_type = "text/plain; charset=utf8"


class ImportInfo:
    """``/v2/info/import``: the interoperable import methods this server offers."""

    def __init__(self, methods: tuple[str, ...]) -> None:
        self._body = {
            "import-methods": {
                "description": "Import methods available.",
                "type": "array",
                "value": list(methods),
            }
        }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, self._body)


class StoresInfo:
    """``/v2/info/stores``: the configured blob stores, the default one marked."""

    def __init__(self, store_names: list[str], default: str) -> None:
        self._body = {
            "stores": [
                {"id": name, **({"default": "true"} if name == default else {})}
                for name in sorted(store_names, key=lambda n: (n != default, n))
            ]
        }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, self._body)
