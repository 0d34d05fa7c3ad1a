"""Resumable uploads and the type's checks: streaming validators fed as the bytes arrive, in
this process or another, and refusals (validators, hooks) at the session's creation."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import falcon.testing
import pytest
from sqlalchemy import func, select

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.models import UploadSessionRow
from artifacts.db.session import Database
from artifacts.engine.services import Services, build_services
from tests import factories as fx
from tests.api.test_blobs import OWNER
from tests.api.tus import DATA, TUS, append, create, location
from tests.plugin_types import JOURNAL


def test_streaming_validators_see_every_byte_once_and_can_refuse(
    settings: Settings, contract_services: Services
) -> None:
    client = falcon.testing.TestClient(create_app(settings, contract_services))
    good = fx.create(client, "checked", name="good")
    data = b"MAGIC" + DATA
    upload = location(client, f"/artifacts/checked/{good['id']}/data", len(data))
    for start in range(0, len(data), 4000):
        assert append(client, upload, start, data[start : start + 4000]).status_code == 204
    shown = client.simulate_get(f"/artifacts/checked/{good['id']}", headers=OWNER).json
    assert shown["detected"] == "MAGIC"
    assert shown["seen_size"] == len(data)
    finished = [detail for name, detail in JOURNAL.calls if name == "finish"]
    assert finished[-1][2] == hashlib.sha256(data).hexdigest()  # in order, each byte once
    # One process took every append: the checks started at creation saw the bytes as they
    # came, and nothing was read back (a read-back would have started them again).
    assert [name for name, _ in JOURNAL.calls].count("start") == 1

    bad = fx.create(client, "checked", name="bad")
    upload = location(client, f"/artifacts/checked/{bad['id']}/data", len(DATA))
    refused = append(client, upload, 0, DATA[:5000])  # refused as the bytes arrive
    assert refused.status_code == 400
    assert refused.json["error"]["type"] == "BlobRejected"
    shown = client.simulate_get(f"/artifacts/checked/{bad['id']}", headers=OWNER).json
    assert shown["data"] is None
    # The session ended with its data: nothing half-written lingers or can be finished.
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).status_code == 404
    assert not list((settings.data_dir / "blobs" / "tmp").glob("resumable-*"))
    assert contract_services.quotas.check() == []


@pytest.fixture
def other(
    settings: Settings, contract_services: Services, database: Database, clock: Callable
) -> falcon.testing.TestClient:
    """Another node: its own services on the same database and store, no pipelines of ours."""
    services = build_services(
        settings, types=contract_services.types, database=database, clock=clock
    )
    return falcon.testing.TestClient(create_app(settings, services))


@pytest.mark.parametrize(
    ("first_append", "fed"),
    [
        # The creator's pipeline saw the first part only: the finish reads the bytes back.
        pytest.param("creator", 1, id="read-back-after-a-move"),
        # The other process took every append, with a pipeline it started itself.
        pytest.param("other", 2, id="own-pipeline-from-the-start"),
    ],
)
def test_an_upload_appended_in_another_process_is_checked_once_in_order(
    settings: Settings,
    contract_services: Services,
    other: falcon.testing.TestClient,
    first_append: str,
    fed: int,
) -> None:
    first = falcon.testing.TestClient(create_app(settings, contract_services))
    artifact = fx.create(first, "checked", name="moved")
    data = b"MAGIC" + DATA
    upload = location(first, f"/artifacts/checked/{artifact['id']}/data", len(data))
    starter = first if first_append == "creator" else other
    assert append(starter, upload, 0, data[:6000]).status_code == 204
    assert append(other, upload, 6000, data[6000:]).status_code == 204
    shown = first.simulate_get(f"/artifacts/checked/{artifact['id']}", headers=OWNER).json
    assert shown["data"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert shown["data"]["md5"] == hashlib.md5(data).hexdigest()
    assert shown["seen_size"] == len(data)
    (finished,) = [detail for name, detail in JOURNAL.calls if name == "finish"]
    assert finished[2] == hashlib.sha256(data).hexdigest()
    # Fed once from the stored bytes (a read-back), or by the two PATCHes as they came.
    assert finished[0] == fed
    # Checks started at the creation, then for the read-back or the other's own pipeline.
    assert [name for name, _ in JOURNAL.calls].count("start") == 2


def test_a_validator_refusing_at_start_refuses_the_session_at_creation(
    settings: Settings, contract_services: Services, database: Database
) -> None:
    client = falcon.testing.TestClient(create_app(settings, contract_services))
    checked = fx.create(client, "checked", name="c")
    blob_path = f"/artifacts/checked/{checked['id']}/data"
    refused_put = client.simulate_put(
        blob_path, body=b"MAGIC", headers={**OWNER, "Content-Type": "application/x-refused"}
    )
    metadata = "filetype " + base64.b64encode(b"application/x-refused").decode()
    refused = create(client, blob_path, headers={**OWNER, "Upload-Metadata": metadata})
    assert (refused.status_code, refused.json["error"]["type"]) == (
        refused_put.status_code,
        refused_put.json["error"]["type"],
    )
    assert refused.status_code == 400
    assert "Location" not in refused.headers
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(UploadSessionRow)) == 0
    assert contract_services.quotas.check() == []
    # Another content type is welcome; the checks started at its creation see every byte.
    upload = location(client, blob_path, 5 + len(DATA))
    assert append(client, upload, 0, b"MAGIC" + DATA).status_code == 204
    starts = [name for name, _ in JOURNAL.calls if name == "start"]
    assert len(starts) == 3  # the refused PUT, the refused POST, this POST


def test_a_refusing_before_upload_hook_refuses_the_session_at_creation(
    settings: Settings, contract_services: Services, database: Database
) -> None:
    client = falcon.testing.TestClient(create_app(settings, contract_services))
    locked = fx.create(client, "hooked", name="h", locked=True)
    blob_path = f"/artifacts/hooked/{locked['id']}/data"
    refused_put = client.simulate_put(
        blob_path, body=b"x", headers={**OWNER, "Content-Type": "text/plain"}
    )
    refused = create(client, blob_path, length=1)
    assert refused.status_code == refused_put.status_code == 403
    assert refused.json["error"] == refused_put.json["error"]
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(UploadSessionRow)) == 0
    assert contract_services.quotas.check() == []
