"""Glance's error answers: JSON ``{"message", "code", "title"}``, or webob's HTML page.

Glance answers errors as JSON to a client that accepts it (openstacksdk), as plain text to one
that names no preference, and as HTML otherwise (python-glanceclient sends ``*/*``);
glanceclient shows the text of any of them.
"""

from __future__ import annotations

import html
import json
from http import HTTPStatus

import falcon


def write_fault(req: falcon.Request, resp: falcon.Response, status: int, message: str) -> None:
    """Render one error the way Glance's webob faults look."""
    phrase = HTTPStatus(status).phrase
    resp.status = status
    accept = req.get_header("Accept")
    if accept is None:
        # webob's choice for a client that states no preference.
        resp.content_type = "text/plain; charset=UTF-8"
        resp.text = f"{status} {phrase}\n\n{message}\n\n   "
        return
    if "json" in accept:
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
