"""Our server as the replay talks to it: the app in process, with Glare's types and limits."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def image_types() -> TypeRegistry:
    """The one type the Glance door serves."""
    return TypeRegistry(discover_types(("images",)))


def _without_owner(value: Any) -> Any:
    """An image document (or a list of them) with its owner shown as the Glance peer shows it:
    the peer runs as a project-less admin, so its images have ``owner: null``."""
    if isinstance(value, dict):
        out = {k: _without_owner(v) for k, v in value.items()}
        if "owner" in out and str(out.get("self", "")).startswith("/v2/images/"):
            out["owner"] = None
        return out
    if isinstance(value, list):
        return [_without_owner(v) for v in value]
    return value


def glance_sender(
    database: Database, data_dir: Path, clock: Callable[[], dt.datetime] | None = None
) -> Send:
    """A fresh app with the Glance door on ``database``, its one filesystem store named as the
    peer's (``fs``) so that ``/v2/info/stores`` reads the same."""
    settings = Settings(
        data_dir=data_dir,
        default_list_limit=25,
        max_list_limit=1000,
        stores={"fs": {"driver": "filesystem", "root": str(data_dir / "blobs")}},
        default_store="fs",
    )
    services = build_services(
        settings, types=image_types(), database=database, clock=clock or ticking_clock()
    )
    client = falcon.testing.TestClient(create_app(settings, services))

    def send(
        method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        route, _, query = path.partition("?")
        result = client.simulate_request(
            method, route, query_string=query or None, headers=headers, body=body or None
        )
        content = result.content
        if "json" in result.headers.get("Content-Type", "") and content:
            content = json.dumps(_without_owner(json.loads(content))).encode()
        return result.status_code, dict(result.headers), content

    return send
