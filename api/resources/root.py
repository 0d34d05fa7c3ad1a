"""``/``: the API version document Glare clients negotiate with."""

from __future__ import annotations

import falcon

from api.media import write_json

API_VERSION = "1.1"
MIN_API_VERSION = "1.0"


class VersionsResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        base = req.prefix.rstrip("/")
        write_json(
            resp,
            {
                "versions": [
                    {
                        "id": f"v{API_VERSION}",
                        "status": "EXPERIMENTAL",
                        "version": API_VERSION,
                        "min_version": MIN_API_VERSION,
                        "links": [{"rel": "self", "href": f"{base}/"}],
                    }
                ]
            },
            status=300 if req.path == "/versions" else 200,
        )
