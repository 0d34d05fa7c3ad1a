"""Glance's error answers: JSON ``{"message", "code", "title"}`` or webob's HTML page.

Glance answers errors as HTML unless the client accepts JSON (python-glanceclient and
openstacksdk do), and glanceclient shows the text of either; both forms are rendered here.
"""

from __future__ import annotations

import html
import json
from http import HTTPStatus

import falcon

#: A Glance-wide rule the engine has no notion of is still a protocol fact: these are the
#: statuses Glance gives the engine's error kinds where they differ from the Glare door's.
PREFIX = "/v2"


def write_fault(req: falcon.Request, resp: falcon.Response, status: int, message: str) -> None:
    """Render one error the way Glance's webob faults look."""
    phrase = HTTPStatus(status).phrase
    resp.status = status
    if "json" in (req.get_header("Accept") or ""):
        resp.content_type = falcon.MEDIA_JSON
        resp.text = json.dumps(
            {
                "message": f"{message}<br /><br />\n\n\n",
                "code": f"{status} {phrase}",
                "title": phrase,
            }
        )
        return
    resp.content_type = "text/html; charset=UTF-8"
    resp.text = (
        f"<html>\n <head>\n  <title>{status} {phrase}</title>\n </head>\n <body>\n"
        f"  <h1>{status} {phrase}</h1>\n  {html.escape(message)}<br /><br />\n\n\n\n"
        " </body>\n</html>"
    )
