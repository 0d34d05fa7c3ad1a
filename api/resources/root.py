"""``/``: the API version document Glare clients negotiate with."""

from __future__ import annotations

import falcon

from api.media import write_json

#: (version, status) pairs served, oldest first; 1.1 adds blob DELETE to 1.0.
VERSIONS = (("1.0", "SUPPORTED"), ("1.1", "CURRENT"))
MIN_API_VERSION = VERSIONS[0][0]


class VersionsResource:
    """Answer ``/`` and ``/versions`` with 200, not Glare's 300: glareclient raises on a 300."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        base = req.prefix.rstrip("/")
        write_json(
            resp,
            {
                "versions": [
                    {
                        "id": f"v{version}",
                        "version": version,
                        "min_version": MIN_API_VERSION,
                        "status": status,
                        "media-type": f"application/vnd.openstack.artifacts-{version}",
                        "links": [{"rel": "self", "href": f"{base}/"}],
                    }
                    for version, status in VERSIONS
                ]
            },
        )
