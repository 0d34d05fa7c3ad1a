"""``/openapi.json`` and ``/docs``: the document, and Swagger UI served from its package.

The viewer's files come from the swagger-ui-bundle package, served under ``/docs/static``:
the page works without reaching any other host.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import falcon
from swagger_ui_bundle import swagger_ui_path

from api.openapi.document import ALL_TYPES, build
from artifacts.config import Settings
from artifacts.engine.registry import TypeRegistry
from artifacts.model.base import ALL_TYPE_FIELDS
from artifacts.model.schema import common_schema

STATIC_PREFIX = "/docs/static"

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>artifact-repo API</title>
  <link rel="stylesheet" href="{static}/swagger-ui.css">
</head>
<body>
  <div id="api"></div>
  <script src="{static}/swagger-ui-bundle.js"></script>
  <script src="{static}/swagger-ui-standalone-preset.js"></script>
  <script src="{static}/docs.js"></script>
</body>
</html>
"""

_SCRIPT = """window.ui = SwaggerUIBundle({
  url: document.location.pathname.replace(/\\/docs\\/?$/, "/openapi.json"),
  dom_id: "#api",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout"
});
"""


def _version() -> str:
    try:
        return version("artifact-repo")
    except PackageNotFoundError:
        return "0"


def document(types: TypeRegistry, settings: Settings) -> dict[str, Any]:
    schemas = {t.name: t.schema for t in types}
    schemas[ALL_TYPES] = common_schema(ALL_TYPES, ALL_TYPE_FIELDS)
    return build(schemas, max_list_limit=settings.max_list_limit, version=_version())


class OpenAPIResource:
    def __init__(self, body: dict[str, Any]) -> None:
        self._text = json.dumps(body, separators=(",", ":"))

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.text = self._text


class DocsResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = _PAGE.format(static=req.root_path.rstrip("/") + STATIC_PREFIX)

    def on_get_script(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JS
        resp.text = _SCRIPT


def add_routes(
    app: falcon.App[falcon.Request, falcon.Response], types: TypeRegistry, settings: Settings
) -> None:
    app.add_route("/openapi.json", OpenAPIResource(document(types, settings)))
    docs = DocsResource()
    app.add_route("/docs", docs)
    app.add_route(STATIC_PREFIX + "/docs.js", docs, suffix="script")
    app.add_static_route(STATIC_PREFIX, swagger_ui_path)
