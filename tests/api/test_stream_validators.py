"""Streaming validators in the upload pipeline: fed every chunk, refuse, annotate, defer."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import falcon.testing
import pytest
from sqlalchemy import func, select

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.models import BlobRow, OrphanRow
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from artifacts.errors import TypeRegistrationError
from artifacts.model.streaming import Upload
from tests import factories as fx
from tests.plugin_types import CONTRACT_TYPES, JOURNAL

OWNER = fx.identity()
MiB = 1024 * 1024


@pytest.fixture
def client(settings: Settings, contract_services: Services) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(settings, contract_services))


@pytest.fixture
def artifact(client: falcon.testing.TestClient) -> dict:
    return fx.create(client, "checked", name="c")


def put(
    client: falcon.testing.TestClient,
    artifact: dict,
    body: bytes,
    blob: str = "data",
    content_type: str = "application/x-test",
) -> falcon.testing.Result:
    return client.simulate_put(
        f"/artifacts/checked/{artifact['id']}/{blob}",
        body=body,
        headers={**OWNER, "Content-Type": content_type},
    )


def show(client: falcon.testing.TestClient, artifact: dict) -> dict:
    return client.simulate_get(f"/artifacts/checked/{artifact['id']}", headers=OWNER).json


def stored_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_check_sees_every_chunk_once_and_the_pipeline_digests(
    client: falcon.testing.TestClient, artifact: dict
) -> None:
    body = b"MAGIC" + b"x" * (3 * MiB)
    result = put(client, artifact, body)
    assert result.status_code == 200, result.text
    (start,) = [detail for name, detail in JOURNAL.calls if name == "start"]
    assert isinstance(start, Upload)
    assert (start.field, start.key, start.content_type) == ("data", "", "application/x-test")
    assert start.content_length == len(body)
    assert start.artifact["name"] == "c"
    assert start.caller.project_id == "p1"
    ((chunks, outcome, own_sha256),) = [d for n, d in JOURNAL.calls if n == "finish"]
    assert chunks == 4  # 3 MiB + 5 bytes in 1 MiB reads: each chunk once, none buffered
    assert outcome.size == len(body)
    assert outcome.digests["sha256"] == own_sha256 == hashlib.sha256(body).hexdigest()
    assert outcome.digests["md5"] == result.json["data"]["md5"]


def test_annotations_are_recorded_with_the_blob(
    client: falcon.testing.TestClient, artifact: dict
) -> None:
    result = put(client, artifact, b"MAGIC and more")
    assert result.status_code == 200, result.text
    assert result.json["detected"] == "MAGIC"
    assert result.json["seen_size"] == 14
    assert result.json["data"]["status"] == "active"
    assert show(client, artifact)["seen_size"] == 14


def test_a_refusal_is_a_400_naming_the_blob_and_keeps_nothing(
    client: falcon.testing.TestClient,
    artifact: dict,
    settings: Settings,
    contract_services: Services,
) -> None:
    result = put(client, artifact, b"NOT MAGIC" * 1000)
    assert result.status_code == 400
    assert result.json["error"]["type"] == "BlobRejected"
    assert "'data'" in result.json["error"]["message"]
    assert "does not start with b'MAGIC'" in result.json["error"]["message"]
    assert show(client, artifact)["data"] is None
    assert stored_files(settings) == []
    with contract_services.database.read() as session:
        assert session.scalar(select(func.count()).select_from(BlobRow)) == 0
        assert session.scalar(select(func.count()).select_from(OrphanRow)) == 0


def test_a_refusal_leaves_the_previous_data_in_place(
    client: falcon.testing.TestClient, artifact: dict, settings: Settings
) -> None:
    first = put(client, artifact, b"MAGIC first")
    assert first.status_code == 200
    assert put(client, artifact, b"nope").status_code == 400
    after = show(client, artifact)
    assert after["data"] == first.json["data"]
    download = client.simulate_get(f"/artifacts/checked/{artifact['id']}/data", headers=OWNER)
    assert download.content == b"MAGIC first"
    assert len(stored_files(settings)) == 1


def test_a_refusal_in_a_blob_dict_names_the_entry(
    client: falcon.testing.TestClient, artifact: dict
) -> None:
    result = put(client, artifact, b"nope", blob="files/a.txt")
    assert result.status_code == 400
    assert "'files/a.txt'" in result.json["error"]["message"]
    assert put(client, artifact, b"MAGIC!", blob="files/a.txt").status_code == 200


def test_a_field_without_validators_starts_no_check(
    client: falcon.testing.TestClient, artifact: dict
) -> None:
    assert put(client, artifact, b"anything", blob="plain").status_code == 200
    assert JOURNAL.calls == []


def test_a_validator_may_decline_to_check_an_upload(client: falcon.testing.TestClient) -> None:
    skipping = fx.create(client, "checked", name="s", skip_checks=True)
    result = put(client, skipping, b"not magic at all")
    assert result.status_code == 200, result.text
    assert JOURNAL.names() == ["start"]
    assert result.json["detected"] is None


def test_a_crashing_validator_is_a_plugin_error_and_keeps_nothing(
    client: falcon.testing.TestClient, artifact: dict, settings: Settings
) -> None:
    result = put(client, artifact, b"MAGIC CRASH")
    assert result.status_code == 500
    assert result.json["error"]["type"] == "PluginError"
    assert show(client, artifact)["data"] is None
    assert stored_files(settings) == []


def test_a_post_store_check_runs_with_the_blob_checking_and_activation_refused(
    client: falcon.testing.TestClient, artifact: dict
) -> None:
    seen: dict[str, object] = {}

    def look() -> None:
        seen["blob"] = show(client, artifact)["data"]["status"]
        seen["activate"] = fx.patch(
            client, "checked", artifact["id"], [fx.replace("status", "active")]
        ).status_code

    JOURNAL.during_post_store = look
    result = put(client, artifact, b"MAGIC fine", content_type="application/x-deferred")
    assert result.status_code == 200, result.text
    assert seen == {"blob": "checking", "activate": 409}
    assert JOURNAL.names() == ["start", "finish", "post_store"]
    assert result.json["checked_by"] == "post-store"
    assert result.json["detected"] == "MAGIC"
    assert result.json["data"]["status"] == "active"
    assert fx.activate(client, "checked", artifact["id"])["status"] == "active"


def test_a_failed_post_store_check_undoes_the_upload(
    client: falcon.testing.TestClient, artifact: dict, settings: Settings
) -> None:
    result = put(client, artifact, b"MAGIC but BAD", content_type="application/x-deferred")
    assert result.status_code == 400
    assert "the stored data contains BAD" in result.json["error"]["message"]
    after = show(client, artifact)
    assert after["data"] is None
    assert after["checked_by"] is None
    assert stored_files(settings) == []


def test_operator_options_reach_the_validator(
    database: Database, tmp_path: Path, clock: Callable[[], dt.datetime]
) -> None:
    settings = Settings(data_dir=tmp_path, validator_options={"magic": {"magic": "XY"}})
    services = build_services(
        settings, types=TypeRegistry(CONTRACT_TYPES), database=database, clock=clock
    )
    client = falcon.testing.TestClient(create_app(settings, services))
    artifact = fx.create(client, "checked", name="o")
    assert put(client, artifact, b"MAGIC").status_code == 400
    assert put(client, artifact, b"XY and more").json["detected"] == "XY"


def test_bad_operator_options_stop_start_up(database: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, validator_options={"magic": {"colour": "red"}})
    with pytest.raises(TypeRegistrationError, match=r"'magic' of checked\.data.*colour"):
        build_services(settings, types=TypeRegistry(CONTRACT_TYPES), database=database)
