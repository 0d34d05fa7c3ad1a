"""JSON answers of the Images v2 door: Glance names no charset on its JSON media type."""

from __future__ import annotations

from typing import Any

import falcon

from api.media import write_json as write_media_json


def write_json(resp: falcon.Response, body: Any, status: int = 200) -> None:
    write_media_json(resp, body, status, content_type=falcon.MEDIA_JSON)
