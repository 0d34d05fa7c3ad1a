"""Our server as the replay talks to it: the app in process, with Glare's types and limits."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path

import falcon.testing

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry, discover_types
from artifacts.engine.services import build_services
from tests.compat.replay import Send

#: The types the Glare peer serves, so /schemas documents the same set.
GLARE_TYPES = (
    "images",
    "heat_templates",
    "heat_environments",
    "tosca_templates",
    "murano_packages",
)


def glare_types() -> TypeRegistry:
    return TypeRegistry(discover_types(GLARE_TYPES))


def ticking_clock() -> Callable[[], dt.datetime]:
    """One second per call, so creation order (Glare's default sort) is deterministic."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ticks = itertools.count()
    return lambda: start + dt.timedelta(seconds=next(ticks))


def sender(database: Database, types: TypeRegistry, data_dir: Path) -> Send:
    """A fresh app on ``database`` (Glare's list limits: 25 by default, at most 1000).

    The Glare peer serves no Glance API, so neither does this app: the version document is then
    Glare's alone (with the Glance door on, it also lists Glance's versions; docs/glance-v2.md).
    """
    settings = Settings(
        data_dir=data_dir,
        default_list_limit=25,
        max_list_limit=1000,
        glance_api=False,
        # The scenarios' external locations are on loopback (nothing leaves this host), which
        # a deployment refuses unless its operator admits the range.
        external_networks=("127.0.0.0/8",),
    )
    services = build_services(settings, types=types, database=database, clock=ticking_clock())
    client = falcon.testing.TestClient(create_app(settings, services))

    def send(
        method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        route, _, query = path.partition("?")
        # requests (the recorder's client) sends Content-Length: 0 with an empty body.
        sent = body or None
        if method in ("PUT", "POST", "PATCH") and not body:
            headers = {**headers, "Content-Length": "0"}
        result = client.simulate_request(
            method, route, query_string=query or None, headers=headers, body=sent
        )
        return result.status_code, dict(result.headers), result.content

    return send
