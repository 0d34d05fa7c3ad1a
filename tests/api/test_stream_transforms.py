"""Stream transforms in the upload pipeline: what they return is what is hashed, checked and
stored; they refuse like validators; the size limit holds received and stored bytes alike."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.models import BlobRow
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import build_services
from artifacts.store.filesystem import FilesystemStore
from artifacts.store.filesystem_writer import FilesystemWriter
from tests import factories as fx
from tests.api.test_upload_faults import FlakyDatabase, _orphans
from tests.api.tus import OFFSET_TYPE, TUS
from tests.plugin_types import Rewritten

OWNER = fx.identity()


@pytest.fixture
def client(
    settings: Settings, database: Database, clock: Callable[[], dt.datetime]
) -> falcon.testing.TestClient:
    services = build_services(
        settings, types=TypeRegistry((Rewritten,)), database=database, clock=clock
    )
    return falcon.testing.TestClient(create_app(settings, services))


def put(
    client: falcon.testing.TestClient, body: bytes, **fields: str
) -> tuple[str, falcon.testing.Result]:
    artifact = fx.create(client, "rewritten", **fields)
    result = client.simulate_put(
        f"/artifacts/rewritten/{artifact['id']}/data",
        body=body,
        headers={**OWNER, "Content-Type": "application/octet-stream"},
    )
    return artifact["id"], result


def tus_upload(client: falcon.testing.TestClient, blob: str, body: bytes) -> falcon.testing.Result:
    """Open a resumable upload of ``blob`` and send ``body`` in one request; its answer."""
    opened = client.simulate_post(blob, headers={**TUS, **OWNER, "Upload-Length": str(len(body))})
    assert opened.status_code == 201, opened.text
    return client.simulate_patch(
        opened.headers["Location"],
        body=body,
        headers={**TUS, **OWNER, "Content-Type": OFFSET_TYPE, "Upload-Offset": "0"},
    )


def stored(settings: Settings) -> list[bytes]:
    root = settings.data_dir / "blobs"
    return [p.read_bytes() for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_transformed_bytes_are_hashed_checked_and_stored(
    client: falcon.testing.TestClient, settings: Settings
) -> None:
    artifact_id, result = put(client, b"abc")
    assert result.status_code == 200, result.text
    body = result.json
    assert body["data"]["size"] == 7
    assert body["data"]["sha256"] == hashlib.sha256(b"aabbcc!").hexdigest()
    # The checks saw the transform's changes and its bytes; its fields are recorded.
    assert (body["mode"], body["received"]) == ("doubled", 3)
    assert (body["checked_mode"], body["checked_size"]) == ("doubled", 7)
    downloaded = client.simulate_get(f"/artifacts/rewritten/{artifact_id}/data", headers=OWNER)
    assert downloaded.content == b"aabbcc!"
    assert stored(settings) == [b"aabbcc!"]


def test_a_transform_may_leave_an_upload_alone(client: falcon.testing.TestClient) -> None:
    _, result = put(client, b"abc", mode="as-is")
    assert result.status_code == 200, result.text
    assert (result.json["data"]["size"], result.json["received"]) == (3, None)
    assert result.json["checked_mode"] == "as-is"


def test_refusals_and_failures_keep_nothing(
    client: falcon.testing.TestClient, settings: Settings
) -> None:
    artifact_id, refused = put(client, b"say NO")
    body = fx.assert_error(refused, 400, "BlobRejected")
    assert body["error"]["message"] == "Field 'data': the data says NO"
    _, crashed = put(client, b"CRASH", name="crash")
    assert crashed.status_code == 500, crashed.text
    assert "streaming validator of blob data failed" in crashed.text
    assert stored(settings) == []
    shown = fx.show(client, "rewritten", artifact_id).json
    assert (shown["data"], shown["mode"]) == (None, None)


def test_the_size_limit_holds_the_stored_bytes(
    client: falcon.testing.TestClient, settings: Settings
) -> None:
    _, result = put(client, b"x" * 600)  # 600 received, 1201 to store: over the 1000 limit
    assert result.status_code == 413, result.text
    assert stored(settings) == []


def test_a_resumable_upload_is_rewritten_and_its_received_bytes_dropped(
    client: falcon.testing.TestClient, settings: Settings
) -> None:
    artifact = fx.create(client, "rewritten")
    blob = f"/artifacts/rewritten/{artifact['id']}/data"
    done = tus_upload(client, blob, b"abc")
    assert done.status_code == 204, done.text
    assert client.simulate_get(blob, headers=OWNER).content == b"aabbcc!"
    assert stored(settings) == [b"aabbcc!"]


def test_a_rewritten_resumable_upload_names_its_output_so_a_crash_leaves_no_unnamed_data(
    settings: Settings, database: Database, clock: Callable[[], dt.datetime]
) -> None:
    flaky = FlakyDatabase(database.engine)
    named: list[tuple[str, str | None]] = []

    class Watched(FilesystemStore):
        """Notes what the blob's pending row names as the output opens, then 'crashes'."""

        def open_writer(self, key: str) -> FilesystemWriter:
            if "-out-" in key:
                named.append((key, _pending_location(database, artifact["id"])))
                flaky.down = True  # nothing more reaches the database: as good as a crash
            return super().open_writer(key)

    # The test clock ticks a second per call, so a one-second lease lapses quickly.
    services = build_services(
        dataclasses.replace(settings, upload_lease=1),
        types=TypeRegistry((Rewritten,)),
        database=flaky,
        stores={"default": Watched("default", settings.data_dir)},
        clock=clock,
    )
    client = falcon.testing.TestClient(create_app(settings, services))
    artifact = fx.create(client, "rewritten")
    failed = tus_upload(client, f"/artifacts/rewritten/{artifact['id']}/data", b"abc")
    assert failed.status_code == 503, failed.text

    [(output, recorded)] = named
    assert recorded == output  # named before a byte of it was written
    assert _pending_location(database, artifact["id"]) == output  # and still, after the crash
    flaky.down = False
    clock()  # the lease's last renewal is a second old now: lapsed
    assert services.blobs.sweep_stale_uploads() >= 1
    assert _orphans(database) == [output]  # removed by name, not left to gc's unnamed sweep
    assert services.remover.scrub() == (1, 0)


def _pending_location(database: Database, artifact_id: str) -> str | None:
    with database.read() as session:
        row = session.get(BlobRow, (artifact_id, "data", ""))
        return row.pending_location if row is not None else None
