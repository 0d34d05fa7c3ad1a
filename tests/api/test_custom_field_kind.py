"""A field kind defined outside the core is one class: parsing, storage, filters and sorts follow.

The two kinds below are declared here, as a plugin would declare them, from ``artifacts.plugin``
alone; nothing in the query parser, the repository or the engine knows them. Run on SQLite and
PostgreSQL, through the HTTP API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest

from api.app import create_app
from artifacts import plugin as p
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import build_services
from tests import factories as fx

_UNITS = {"gib": 1024, "mib": 1}


class MebiBytes(p.Integer):
    """A size in MiB, which queries may also write as ``512MiB`` or ``2GiB``."""

    def parse_query(self, raw: str) -> Any:
        for unit, factor in _UNITS.items():
            if raw.lower().endswith(unit):
                return int(super().parse_query(raw[: -len(unit)].strip())) * factor
        return super().parse_query(raw)


class Hostname(p.String):
    """A DNS name: kept, shown and compared in lower case, however it was written."""

    def coerce_input(self, value: Any) -> Any:
        coerced = super().coerce_input(value)
        return coerced.lower() if isinstance(coerced, str) else coerced

    def parse_query(self, raw: str) -> Any:
        return str(super().parse_query(raw)).lower()


class Mirror(p.BaseArtifact):
    TYPE = "mirrors"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "capacity": MebiBytes(sortable=True),
        "host": Hostname(sortable=True, filter_ops=("eq", "neq", "in", "like")),
        "aliases": p.List(Hostname()),
    }


@pytest.fixture
def client(
    settings: Settings, database: Database, clock: Callable[[], dt.datetime]
) -> falcon.testing.TestClient:
    services = build_services(
        settings, types=TypeRegistry([Mirror]), database=database, clock=clock
    )
    return falcon.testing.TestClient(create_app(settings, services))


def _names(client: falcon.testing.TestClient, query: str) -> list[str]:
    headers = fx.identity("p1")
    result = client.simulate_get("/artifacts/mirrors", query_string=query, headers=headers)
    assert result.status_code == 200, result.text
    return [artifact["name"] for artifact in result.json["artifacts"]]


def test_a_new_kind_parses_stores_filters_and_sorts(client: falcon.testing.TestClient) -> None:
    fx.create(client, "mirrors", name="small", capacity=512, host="Small.Example.ORG")
    fx.create(client, "mirrors", name="large", capacity=4096, host="large.example.org")
    fx.create(client, "mirrors", name="medium", capacity=1024, host="MEDIUM.example.org")

    assert _names(client, "capacity=gte:1GiB&sort=capacity:asc") == ["medium", "large"]
    assert _names(client, "capacity=in:512MiB,4GiB&sort=capacity:desc") == ["large", "small"]
    assert _names(client, "host=SMALL.example.org") == ["small"]
    assert _names(client, "host=like:%25EXAMPLE.ORG&sort=host:asc") == ["large", "medium", "small"]


def test_a_new_kind_coerces_its_values_and_refuses_bad_query_values(
    client: falcon.testing.TestClient,
) -> None:
    created = fx.create(client, "mirrors", name="m", host="Mirror.Example.ORG", aliases=["A.B"])
    assert created["host"] == "mirror.example.org"
    shown = client.simulate_get(f"/artifacts/mirrors/{created['id']}", headers=fx.identity("p1"))
    assert shown.json["host"] == "mirror.example.org"
    assert shown.json["aliases"] == ["a.b"]
    assert _names(client, "aliases=a.b") == ["m"]

    refused = client.simulate_get(
        "/artifacts/mirrors", query_string="capacity=gte:lots", headers=fx.identity("p1")
    )
    body = fx.assert_error(refused, 400)
    assert "'lots'" in body["error"]["message"]
    assert "capacity" in body["error"]["message"]
