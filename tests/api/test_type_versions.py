"""Typed schema versions: old rows upgrade, new rows backport, migrate-types, start-up refusal.

Two sets of services share one database, one serving version 1.0 of the ``boxes`` type and one
version 2.0 (which renames ``size`` to ``size_kb`` and retypes ``weight``): the two plugin
releases side by side, as during a rolling upgrade.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import falcon.testing
import pytest
from sqlalchemy import select, update

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine import versions
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import build_services
from artifacts.errors import TypeRegistrationError
from tests import factories as fx
from tests.versioned_types import BoxV1, BoxV2, BoxV2NoBackport

OWNER = fx.identity()
V1 = TypeRegistry([BoxV1])
V2 = TypeRegistry([BoxV2])

Clients = tuple[falcon.testing.TestClient, falcon.testing.TestClient]


def _client(
    settings: Settings, database: Database, registry: TypeRegistry, clock: Callable[[], dt.datetime]
) -> falcon.testing.TestClient:
    services = build_services(settings, types=registry, database=database, clock=clock)
    return falcon.testing.TestClient(create_app(settings, services))


@pytest.fixture
def clients(settings: Settings, database: Database, clock: Callable[[], dt.datetime]) -> Clients:
    return _client(settings, database, V1, clock), _client(settings, database, V2, clock)


def show(client: falcon.testing.TestClient, artifact_id: str) -> dict:
    result = client.simulate_get(f"/artifacts/boxes/{artifact_id}", headers=OWNER)
    assert result.status_code == 200, result.text
    return result.json


def stored(database: Database, artifact_id: str) -> ArtifactRow:
    with database.read() as session:
        row = session.get(ArtifactRow, artifact_id)
        assert row is not None
        session.expunge(row)
        return row


def test_a_row_records_the_version_it_was_written_with(
    clients: Clients, database: Database
) -> None:
    old, new = clients
    box = fx.create(old, "boxes", name="b", size=2048, weight="12")
    row = stored(database, box["id"])
    assert (row.type_version, row.backport_version, row.backport) == ("1.0", None, None)
    newer = fx.create(new, "boxes", name="n", size_kb=1, weight=3)
    row = stored(database, newer["id"])
    assert (row.type_version, row.backport_version) == ("2.0", "1.0")
    assert row.backport == {"size": 1, "weight": "3", "label": None}


def test_an_old_row_reads_upgraded_and_is_written_at_the_new_version(
    clients: Clients, database: Database
) -> None:
    old, new = clients
    box = fx.create(old, "boxes", name="b", size=2048, weight="12", label="x")
    shown = show(new, box["id"])
    assert (shown["size_kb"], shown["weight"], shown["label"]) == (2048, 12, "x")
    assert "size" not in shown
    result = fx.patch(new, "boxes", box["id"], [fx.replace("label", "y")])
    assert result.status_code == 200, result.text
    assert (result.json["size_kb"], result.json["weight"]) == (2048, 12)
    row = stored(database, box["id"])
    assert row.type_version == "2.0"
    assert row.properties["size_kb"] == 2048
    assert "size" not in row.properties


def test_an_old_node_reads_new_rows_through_their_backport_and_does_not_write_them(
    clients: Clients,
) -> None:
    old, new = clients
    box = fx.create(new, "boxes", name="b", size_kb=4096, weight=7)
    shown = show(old, box["id"])
    assert (shown["size"], shown["weight"]) == (4096, "7")
    listed = old.simulate_get("/artifacts/boxes", headers=OWNER).json["artifacts"]
    assert [item["size"] for item in listed] == [4096]
    refused = fx.patch(old, "boxes", box["id"], [fx.replace("label", "lost?")])
    assert refused.status_code == 409
    assert refused.json["error"]["type"] == "NewerSchema"
    assert "Retry on an upgraded server" in refused.json["error"]["message"]
    assert show(new, box["id"])["weight"] == 7


def test_the_round_trip_through_both_versions_loses_nothing(clients: Clients) -> None:
    old, new = clients
    box = fx.create(old, "boxes", name="b", size=10, weight="5", label="l")
    fx.patch(new, "boxes", box["id"], [fx.replace("weight", 6)])
    assert (show(old, box["id"])["size"], show(old, box["id"])["weight"]) == (10, "6")
    assert show(new, box["id"])["size_kb"] == 10


def test_a_row_without_a_recorded_version_is_the_first_version(
    clients: Clients, database: Database
) -> None:
    old, new = clients
    box = fx.create(old, "boxes", name="b", size=1, weight="2")
    with database.write() as session:
        session.execute(update(ArtifactRow).values(type_version=None))
    assert show(new, box["id"])["size_kb"] == 1


def test_migrate_types_upgrades_in_batches_and_reports(
    clients: Clients, database: Database
) -> None:
    old, new = clients
    ids = [fx.create(old, "boxes", name=f"b{i}", size=i, weight=str(i))["id"] for i in range(5)]
    fx.create(old, "boxes", name="bad", weight="heavy")
    dry = versions.migrate_types(database, V2, batch_size=2, dry_run=True)
    assert (dry[0].found, dry[0].upgraded, dry[0].failed) == ({"1.0": 6}, 6, 0)
    assert stored(database, ids[0]).type_version == "1.0"
    (report,) = versions.migrate_types(database, V2, batch_size=2)
    assert (report.upgraded, report.failed, report.newer) == (6, 0, 0)
    with database.read() as session:
        assert set(session.scalars(select(ArtifactRow.type_version))) == {"2.0"}
    # Filters and sorts run in SQL on the new field once the rows are rewritten.
    listed = new.simulate_get("/artifacts/boxes?weight=gte:3&sort=weight:asc", headers=OWNER)
    assert [item["weight"] for item in listed.json["artifacts"]] == [3, 4]
    (again,) = versions.migrate_types(database, V2)
    assert (again.found, again.upgraded) == ({}, 0)
    (from_old,) = versions.migrate_types(database, V1)
    assert (from_old.newer, from_old.upgraded) == (6, 0)


def test_migrate_types_reports_rows_whose_upgrade_does_not_validate(
    clients: Clients, database: Database
) -> None:
    old, _ = clients
    fx.create(old, "boxes", name="b", size=-1, weight="1", label="x" * 255)
    with database.write() as session:
        session.execute(update(ArtifactRow).values(properties={"size": "not a number"}))
    (report,) = versions.migrate_types(database, V2)
    assert (report.upgraded, report.failed) == (0, 1)
    assert "size_kb" in report.reasons[0]


def test_start_up_refuses_a_plugin_older_than_rows_it_cannot_read(
    settings: Settings, database: Database, clock: Callable[[], dt.datetime]
) -> None:
    new = _client(settings, database, V2, clock)
    fx.create(new, "boxes", name="b", size_kb=1)
    versions.check_stored_versions(database, V1)  # a backport for 1.0: the old node may serve
    without = _client(settings, database, TypeRegistry([BoxV2NoBackport]), clock)
    fx.create(without, "boxes", name="c", size_kb=1)
    with pytest.raises(TypeRegistrationError) as refused:
        versions.check_stored_versions(database, V1)
    message = str(refused.value)
    assert "1 boxes artifacts were written by version 2.0" in message
    assert "newer than the installed 1.0" in message
    assert "upgrade the package providing boxes (tests) to version 2.0" in message


def test_a_broken_migration_chain_stops_registration() -> None:
    class Broken(BoxV2):
        VERSION = "3.0"

    with pytest.raises(TypeRegistrationError, match=r"leads to 2\.0, but VERSION is 3\.0"):
        TypeRegistry([Broken])
