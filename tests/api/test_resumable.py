"""Resumable uploads (tus 1.0): create, append in order, resume, finish, cancel, expire."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable

import falcon.testing
import pytest
from sqlalchemy import func, select, update

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.models import BlobRow, QuotaUsageRow, UploadSessionRow
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from artifacts.store.database import DatabaseStore
from tests import factories as fx
from tests.api.test_blobs import OWNER, path, put, stored_files
from tests.plugin_types import JOURNAL

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"
DATA = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def widget(client: falcon.testing.TestClient) -> dict:
    return fx.create(client, "widgets", name="w", serial="AB-1234")


def create(
    client: falcon.testing.TestClient,
    blob_path: str,
    length: int = len(DATA),
    headers: dict[str, str] | None = None,
) -> falcon.testing.Result:
    return client.simulate_post(
        blob_path,
        headers={**TUS, "Upload-Length": str(length), **(OWNER if headers is None else headers)},
    )


def location(client: falcon.testing.TestClient, blob_path: str, length: int = len(DATA)) -> str:
    result = create(client, blob_path, length)
    assert result.status_code == 201, result.text
    return str(result.headers["Location"])


def append(
    client: falcon.testing.TestClient,
    upload: str,
    offset: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> falcon.testing.Result:
    return client.simulate_patch(
        upload,
        body=body,
        headers={
            **TUS,
            "Content-Type": OFFSET_TYPE,
            "Upload-Offset": str(offset),
            **(OWNER if headers is None else headers),
        },
    )


def offset_of(client: falcon.testing.TestClient, upload: str) -> int:
    result = client.simulate_head(upload, headers={**TUS, **OWNER})
    assert result.status_code == 200, result.text
    return int(result.headers["Upload-Offset"])


def test_options_name_version_extensions_and_max_size(client: falcon.testing.TestClient) -> None:
    result = client.simulate_options("/uploads")
    assert result.status_code == 204
    assert result.headers["Tus-Version"] == "1.0.0"
    assert set(result.headers["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "expiration",
    }
    assert int(result.headers["Tus-Max-Size"]) > 0


def test_upload_in_chunks_ends_active_with_exact_digests(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    created = create(client, path(widget))
    assert created.status_code == 201, created.text
    assert created.headers["Tus-Resumable"] == "1.0.0"
    assert "Upload-Expires" in created.headers
    upload = created.headers["Location"]
    assert upload.startswith("/uploads/")
    assert offset_of(client, upload) == 0
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"] is None  # nothing shows until the last byte is in
    for start in range(0, len(DATA), 3000):
        result = append(client, upload, start, DATA[start : start + 3000])
        assert result.status_code == 204, result.text
        assert int(result.headers["Upload-Offset"]) == min(start + 3000, len(DATA))
        if start + 3000 < len(DATA):
            got = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
            assert got["manual"] is None
    blob = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json["manual"]
    assert blob["status"] == "active"
    assert blob["size"] == len(DATA)
    assert blob["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert blob["md5"] == hashlib.md5(DATA).hexdigest()
    assert blob["sha1"] == hashlib.sha1(DATA).hexdigest()
    assert client.simulate_get(path(widget), headers=OWNER).content == DATA
    # A client that lost the last answer asks again: the upload says it is complete.
    assert offset_of(client, upload) == len(DATA)
    assert append(client, upload, len(DATA), b"").status_code == 204


def test_content_type_comes_from_upload_metadata(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    metadata = "filename " + base64.b64encode(b"m.txt").decode()
    metadata += ",filetype " + base64.b64encode(b"text/plain").decode()
    result = create(client, path(widget), headers={**OWNER, "Upload-Metadata": metadata})
    upload = result.headers["Location"]
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).headers["Upload-Metadata"] == (
        metadata
    )
    append(client, upload, 0, DATA)
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"]["content_type"] == "text/plain"


def test_wrong_offset_is_409_and_changes_nothing(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    upload = location(client, path(widget))
    assert append(client, upload, 0, DATA[:100]).status_code == 204
    for wrong in (0, 50, 200):
        result = append(client, upload, wrong, DATA[wrong : wrong + 100])
        assert result.status_code == 409, result.text
        assert result.json["error"]["type"] == "Conflict"
    assert offset_of(client, upload) == 100


def test_patch_needs_offset_media_type_and_offset(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    upload = location(client, path(widget))
    wrong_type = client.simulate_patch(
        upload,
        body=DATA,
        headers={**TUS, **OWNER, "Content-Type": "application/octet-stream", "Upload-Offset": "0"},
    )
    assert wrong_type.status_code == 415
    for bad in ("", "-1", "abc", "1e3"):
        result = client.simulate_patch(
            upload,
            body=DATA,
            headers={**TUS, **OWNER, "Content-Type": OFFSET_TYPE, "Upload-Offset": bad},
        )
        assert result.status_code == 400, bad
    assert offset_of(client, upload) == 0


def test_other_tus_versions_are_412(client: falcon.testing.TestClient, widget: dict) -> None:
    result = client.simulate_post(
        path(widget), headers={**OWNER, "Tus-Resumable": "0.2.2", "Upload-Length": "10"}
    )
    assert result.status_code == 412
    assert result.headers["Tus-Version"] == "1.0.0"
    missing = client.simulate_post(path(widget), headers={**OWNER, "Upload-Length": "10"})
    assert missing.status_code == 412


@pytest.mark.parametrize("length", ["", "-5", "ten", "99999999999999999999"])
def test_creation_needs_a_length(
    client: falcon.testing.TestClient, widget: dict, length: str
) -> None:
    result = client.simulate_post(path(widget), headers={**TUS, **OWNER, "Upload-Length": length})
    assert result.status_code == 400
    deferred = client.simulate_post(
        path(widget), headers={**TUS, **OWNER, "Upload-Defer-Length": "1"}
    )
    assert deferred.status_code == 400


def test_length_over_the_field_limit_is_413_at_creation(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    result = create(client, path(widget), length=1024 * 1024 + 1)
    assert result.status_code == 413
    entry = create(client, path(widget, "attachments/a"), length=1025)
    assert entry.status_code == 413


def test_bytes_past_the_length_are_413(client: falcon.testing.TestClient, widget: dict) -> None:
    upload = location(client, path(widget), length=100)
    result = append(client, upload, 0, DATA[:101])
    assert result.status_code == 413
    assert offset_of(client, upload) == 0


def test_quota_counts_the_declared_length_from_creation(
    client: falcon.testing.TestClient, widget: dict, database: Database
) -> None:
    quota = {"limits": {"max_bytes": 11000}}
    put_quota = client.simulate_put(
        "/quotas/projects/p1", json={"types": {}, **quota}, headers=fx.ADMIN
    )
    assert put_quota.status_code in (200, 204), put_quota.text
    first = location(client, path(widget), length=10000)
    over = create(client, path(widget, "attachments/a"), length=900)
    assert over.status_code == 201  # 10900 fits
    third = create(client, path(widget, "attachments/b"), length=900)
    assert third.status_code == 413, third.text
    assert third.json["error"]["quota"]["name"] == "max_bytes"
    # Cancelling gives the bytes back.
    cancelled = client.simulate_delete(first, headers={**TUS, **OWNER})
    assert cancelled.status_code == 204
    assert create(client, path(widget, "attachments/b"), length=900).status_code == 201
    with database.read() as session:
        held = session.scalar(select(func.sum(UploadSessionRow.reserved)))
        reserved = session.scalar(
            select(QuotaUsageRow.reserved).where(
                QuotaUsageRow.project_id == "p1", QuotaUsageRow.type_name == ""
            )
        )
    assert held == reserved == 1800


def test_finished_upload_settles_quota_exactly(
    client: falcon.testing.TestClient, widget: dict, services: Services
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:5000])
    append(client, upload, 5000, DATA[5000:])
    assert services.quotas.check() == []
    usage = client.simulate_get("/quotas/projects/p1", headers=fx.ADMIN).json
    assert json.dumps(usage).count(str(len(DATA))) >= 1


def test_another_project_cannot_see_or_touch_an_upload(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    stranger = fx.identity("p2")
    assert client.simulate_head(upload, headers={**TUS, **stranger}).status_code == 404
    assert append(client, upload, 100, DATA[100:], headers=stranger).status_code == 404
    assert client.simulate_delete(upload, headers={**TUS, **stranger}).status_code == 404
    assert offset_of(client, upload) == 100
    assert (
        client.simulate_head("/uploads/not-an-upload", headers={**TUS, **OWNER}).status_code == 404
    )


def test_cancelled_upload_is_gone_and_its_data_removed(
    client: falcon.testing.TestClient, widget: dict, settings: Settings
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    partial = list((settings.data_dir / "blobs" / "tmp").glob("resumable-*"))
    assert len(partial) == 1
    assert client.simulate_delete(upload, headers={**TUS, **OWNER}).status_code == 204
    assert not partial[0].exists()
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).status_code == 404
    assert append(client, upload, 100, DATA[100:]).status_code == 404


def test_expired_upload_is_410_and_swept(
    database: Database,
    widget: dict,
    client: falcon.testing.TestClient,
    services: Services,
    settings: Settings,
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    with database.write() as session:
        session.execute(
            update(UploadSessionRow).values(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    result = client.simulate_head(upload, headers={**TUS, **OWNER})
    assert result.status_code == 410
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).status_code == 404
    assert not list((settings.data_dir / "blobs" / "tmp").glob("resumable-*"))
    other = location(client, path(widget, "attachments/x"), length=10)
    with database.write() as session:
        session.execute(
            update(UploadSessionRow).values(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    assert services.blobs.sweep_stale_uploads() == 1
    assert client.simulate_head(other, headers={**TUS, **OWNER}).status_code == 404
    assert services.quotas.check() == []


def test_a_put_meanwhile_wins_and_the_session_still_finishes_later(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    assert put(client, path(widget), b"plain").status_code == 200
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"]["size"] == 5
    assert append(client, upload, 100, DATA[100:]).status_code == 204
    assert client.simulate_get(path(widget), headers=OWNER).content == DATA


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


def test_an_append_in_another_process_falls_back_to_one_read_back(
    settings: Settings, contract_services: Services, database: Database, clock: Callable
) -> None:
    first = falcon.testing.TestClient(create_app(settings, contract_services))
    # Another node: its own services on the same database and store, no pipelines of ours.
    other_services = build_services(
        settings, types=contract_services.types, database=database, clock=clock
    )
    other = falcon.testing.TestClient(create_app(settings, other_services))
    artifact = fx.create(first, "checked", name="moved")
    data = b"MAGIC" + DATA
    upload = location(first, f"/artifacts/checked/{artifact['id']}/data", len(data))
    assert append(first, upload, 0, data[:6000]).status_code == 204
    assert append(other, upload, 6000, data[6000:]).status_code == 204
    shown = first.simulate_get(f"/artifacts/checked/{artifact['id']}", headers=OWNER).json
    assert shown["data"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert shown["data"]["md5"] == hashlib.md5(data).hexdigest()
    assert shown["seen_size"] == len(data)
    finished = [detail for name, detail in JOURNAL.calls if name == "finish"]
    assert [detail[2] for detail in finished] == [hashlib.sha256(data).hexdigest()]
    assert [name for name, _ in JOURNAL.calls].count("start") == 2  # creation, read-back
    assert finished[0][0] == 1  # fed once, from the stored bytes: the read-back


def test_a_first_append_in_another_process_starts_its_own_pipeline(
    settings: Settings, contract_services: Services, database: Database, clock: Callable
) -> None:
    first = falcon.testing.TestClient(create_app(settings, contract_services))
    other_services = build_services(
        settings, types=contract_services.types, database=database, clock=clock
    )
    other = falcon.testing.TestClient(create_app(settings, other_services))
    artifact = fx.create(first, "checked", name="elsewhere")
    data = b"MAGIC" + DATA
    upload = location(first, f"/artifacts/checked/{artifact['id']}/data", len(data))
    assert append(other, upload, 0, data[:6000]).status_code == 204
    assert append(other, upload, 6000, data[6000:]).status_code == 204
    shown = first.simulate_get(f"/artifacts/checked/{artifact['id']}", headers=OWNER).json
    assert shown["data"]["sha256"] == hashlib.sha256(data).hexdigest()
    (finished,) = [detail for name, detail in JOURNAL.calls if name == "finish"]
    assert finished[2] == hashlib.sha256(data).hexdigest()
    assert finished[0] == 2  # fed by the two PATCHes as they came: nothing was read back
    # Checks started at the creation and for the other process's pipeline; no read-back.
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


def test_deleting_the_artifact_removes_sessions_and_their_data(
    client: falcon.testing.TestClient, widget: dict, settings: Settings, services: Services
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    assert fx.delete(client, "widgets", widget["id"]).status_code == 204
    assert not list((settings.data_dir / "blobs" / "tmp").glob("resumable-*"))
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).status_code == 404
    assert services.quotas.check() == []


def test_plain_put_with_content_range_is_still_400(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    result = put(client, path(widget), headers={**OWNER, "Content-Range": "bytes 0-9/10"})
    assert result.status_code == 400


def test_the_database_store_takes_resumable_uploads(
    database: Database,
    registry: TypeRegistry,
    settings: Settings,
    clock: Callable[[], dt.datetime],
    request: pytest.FixtureRequest,
) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    in_db = Settings(
        data_dir=settings.data_dir, stores={"default": {"driver": "database", "url": url}}
    )
    services = build_services(in_db, types=registry, database=database, clock=clock)
    store = services.stores["default"]
    assert isinstance(store, DatabaseStore)
    request.addfinalizer(store.close)
    client = falcon.testing.TestClient(create_app(in_db, services))
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    upload = location(client, path(widget))
    for start in (0, 3000, 7001):
        end = {0: 3000, 3000: 7001, 7001: len(DATA)}[start]
        assert append(client, upload, start, DATA[start:end]).status_code == 204
    assert client.simulate_get(path(widget), headers=OWNER).content == DATA
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"]["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert stored_files(settings) == []  # in the database, not on disk
    assert services.quotas.check() == []


def test_stores_without_partial_objects_answer_501(
    database: Database, registry: TypeRegistry, settings: Settings, clock: Callable[[], dt.datetime]
) -> None:
    memory = Settings(data_dir=settings.data_dir, stores={"default": {"driver": "memory"}})
    services = build_services(memory, types=registry, database=database, clock=clock)
    client = falcon.testing.TestClient(create_app(memory, services))
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    result = create(client, path(widget))
    assert result.status_code == 501, result.text
    assert stored_files(settings) == []
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(BlobRow)) == 0
