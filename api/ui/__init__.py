"""The web catalog at ``/ui``: server-rendered pages over the same engine services as the API.

A front door like the JSON API (DESIGN.md §10): it translates forms and links into engine
calls, and engine results and domain errors into HTML. Visibility, lifecycle and sharing rules
are the engine's, so a page never shows what the API would hide. See docs/ui.md.
"""

from __future__ import annotations

import falcon

from api.resources.blobs import BlobResource
from api.ui.assets import Download, NotFoundPage, Static
from api.ui.base import Catalog
from api.ui.forms import AnswerForm, MembersForm, SignIn, SignOut, StatusForm, VisibilityForm
from api.ui.pages import ArtifactPage, HomePage, SharesPage, TypePage
from api.ui.templating import Renderer, load_assets
from artifacts.config import Settings
from artifacts.engine.services import Services

PREFIX = "/ui"


def install(
    app: falcon.App[falcon.Request, falcon.Response], settings: Settings, services: Services
) -> None:
    """Add the catalog's routes to ``app``."""
    assets = load_assets()
    catalog = Catalog(services, Renderer(assets), settings.auth_mode)
    artifact = ArtifactPage(catalog)
    one = PREFIX + "/types/{type_name}/{artifact_id}"
    app.add_route(PREFIX, HomePage(catalog))
    app.add_route(PREFIX + "/shares", SharesPage(catalog))
    app.add_route(PREFIX + "/sign-in", SignIn(catalog))
    app.add_route(PREFIX + "/sign-out", SignOut(catalog))
    app.add_route(PREFIX + "/static/{name}", Static(assets))
    app.add_route(PREFIX + "/types/{type_name}", TypePage(catalog))
    app.add_route(one, artifact)
    app.add_route(one + "/status", StatusForm(artifact))
    app.add_route(one + "/visibility", VisibilityForm(artifact))
    app.add_route(one + "/members", MembersForm(artifact))
    app.add_route(one + "/answer", AnswerForm(artifact))
    download = Download(catalog, BlobResource(services.blobs, settings.max_json_body))
    app.add_route(one + "/download/{field}", download)
    app.add_route(one + "/download/{field}/{key:path}", download)
    app.add_sink(NotFoundPage(catalog), PREFIX + "/")
