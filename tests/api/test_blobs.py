"""Blob upload, download, limits, external locations and cleanup, through HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import falcon.testing
import pytest
from sqlalchemy import select, update

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.models import BlobRow, OrphanRow
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from artifacts.store.base import StoreError
from artifacts.store.database import DatabaseStore
from artifacts.store.memory import MemoryStore
from tests import factories as fx

OWNER = fx.identity()
DATA = b"0123456789"
LOCATION = {"Content-Type": "application/vnd+openstack.glare-custom-location+json"}


def put(
    client: falcon.testing.TestClient,
    path: str,
    body: bytes | Iterator[bytes] = DATA,
    headers: dict[str, str] | None = None,
    content_type: str = "application/x-test",
) -> falcon.testing.Result:
    headers = {"Content-Type": content_type, **(OWNER if headers is None else headers)}
    if isinstance(body, bytes):
        return client.simulate_put(path, body=body, headers=headers)
    # No body and no Content-Length: the app reads wsgi.input to its end, as with chunked
    # transfer encoding under gunicorn.
    return client.simulate_put(
        path,
        headers=headers,
        extras={"wsgi.input": _Stream(body), "wsgi.input_terminated": True},
    )


class _Stream:
    """A request body without Content-Length, as chunked transfer encoding delivers it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    # The rest of the wsgi.input interface, which WSGI's validator insists on.
    def readline(self, size: int = -1) -> bytes:
        return self.read(size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return [self.read()]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readlines())


def stored_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "blobs"
    return sorted(
        p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts
    )


def path(artifact: dict, blob: str = "manual") -> str:
    return f"/artifacts/widgets/{artifact['id']}/{blob}"


def test_upload_records_size_checksums_and_content_type(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    result = put(client, path(widget))
    assert result.status_code == 200, result.text
    blob = result.json["manual"]
    assert blob == {
        "url": path(widget),
        "size": 10,
        "md5": hashlib.md5(DATA).hexdigest(),
        "sha1": hashlib.sha1(DATA).hexdigest(),
        "sha256": hashlib.sha256(DATA).hexdigest(),
        "external": False,
        "status": "active",
        "content_type": "application/x-test",
    }
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"] == blob


def test_download_streams_data_with_checksum_headers(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    put(client, path(widget))
    result = client.simulate_get(path(widget), headers=OWNER)
    assert result.status_code == 200
    assert result.content == DATA
    assert result.headers["Content-Length"] == "10"
    assert result.headers["Content-Type"] == "application/x-test"
    assert result.headers["Content-MD5"] == hashlib.md5(DATA).hexdigest()
    assert result.headers["ETag"] == f'"{hashlib.sha256(DATA).hexdigest()}"'
    assert result.headers["X-Openstack-Glare-Content-SHA256"] == hashlib.sha256(DATA).hexdigest()
    assert result.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "content", "content_range"),
    [
        ("bytes=2-5", b"2345", "bytes 2-5/10"),
        ("bytes=7-", b"789", "bytes 7-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=0-0", b"0", "bytes 0-0/10"),
        ("bytes=5-100", b"56789", "bytes 5-9/10"),
    ],
)
def test_single_ranges_answer_206(
    client: falcon.testing.TestClient, widget: dict, header: str, content: bytes, content_range: str
) -> None:
    put(client, path(widget))
    result = client.simulate_get(path(widget), headers={**OWNER, "Range": header})
    assert result.status_code == 206
    assert result.content == content
    assert result.headers["Content-Range"] == content_range
    assert result.headers["Content-Length"] == str(len(content))


def test_unsatisfiable_range_answers_416(client: falcon.testing.TestClient, widget: dict) -> None:
    put(client, path(widget))
    result = client.simulate_get(path(widget), headers={**OWNER, "Range": "bytes=10-"})
    assert result.status_code == 416
    assert result.headers["Content-Range"] == "bytes */10"


def test_malformed_or_multiple_ranges_get_the_whole_blob(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    put(client, path(widget))
    for header in ("bytes=1-2,4-5", "items=1-2", "bytes=5-2"):
        result = client.simulate_get(path(widget), headers={**OWNER, "Range": header})
        assert result.status_code == 200
        assert result.content == DATA


def test_reupload_while_drafted_replaces_data_and_removes_the_old(
    client: falcon.testing.TestClient, widget: dict, settings: Settings
) -> None:
    put(client, path(widget), b"first")
    assert len(stored_files(settings)) == 1
    result = put(client, path(widget), b"second")
    assert result.json["manual"]["size"] == 6
    assert client.simulate_get(path(widget), headers=OWNER).content == b"second"
    files = stored_files(settings)
    assert len(files) == 1
    assert files[0].read_bytes() == b"second"


def test_chunked_upload_without_content_length(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    chunks = [b"a" * 70_000, b"b" * 3, b"c" * 900_000]
    result = put(client, path(widget), iter(chunks))
    assert result.status_code == 200, result.text
    assert result.json["manual"]["size"] == sum(map(len, chunks))
    assert client.simulate_get(path(widget), headers=OWNER).content == b"".join(chunks)


def test_declared_length_over_the_limit_is_refused_before_streaming(
    client: falcon.testing.TestClient, widget: dict, settings: Settings
) -> None:
    result = put(client, path(widget), b"x" * (1024 * 1024 + 1))
    assert result.status_code == 413
    assert result.json["error"]["type"] == "RequestEntityTooLarge"
    assert stored_files(settings) == []
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"] is None


def test_limit_crossed_mid_stream_removes_partial_data_and_keeps_the_old_blob(
    client: falcon.testing.TestClient, widget: dict, settings: Settings
) -> None:
    put(client, path(widget), b"kept")
    result = put(client, path(widget), iter([b"y" * 600_000, b"y" * 600_000]))
    assert result.status_code == 413
    assert client.simulate_get(path(widget), headers=OWNER).content == b"kept"
    files = stored_files(settings)
    assert [f.read_bytes() for f in files] == [b"kept"]
    assert not list((settings.data_dir / "blobs" / "tmp").glob("*"))


def test_blob_dict_entries_and_their_limits(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    for name in ("a.txt", "dir/b.txt", "c"):
        assert put(client, path(widget, f"attachments/{name}"), b"12").status_code == 200
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert sorted(shown["attachments"]) == ["a.txt", "c", "dir/b.txt"]
    assert shown["attachments"]["dir/b.txt"]["url"] == path(widget, "attachments/dir/b.txt")
    assert client.simulate_get(path(widget, "attachments/dir/b.txt"), headers=OWNER).text == "12"
    # max_keys is 3: a fourth entry is refused, replacing an entry is fine.
    assert put(client, path(widget, "attachments/d"), b"1").status_code == 413
    assert put(client, path(widget, "attachments/c"), b"1").status_code == 200
    # the total of the folder is limited to 1024 bytes
    assert put(client, path(widget, "attachments/c"), b"z" * 1021).status_code == 413
    assert put(client, path(widget, "attachments/c"), b"z" * 1020).status_code == 200


@pytest.mark.parametrize(
    ("blob_path", "status"),
    [
        ("attachments", 400),
        ("attachments/..", 400),
        ("attachments/a/../b", 400),
        ("attachments/.hidden", 400),
        ("attachments/a b", 400),
        ("manual/key", 400),
        ("colour", 400),
        ("nope", 400),
    ],
)
def test_bad_blob_paths_are_refused(
    client: falcon.testing.TestClient, widget: dict, blob_path: str, status: int
) -> None:
    assert put(client, path(widget, blob_path)).status_code == status


def test_who_may_upload_and_download(client: falcon.testing.TestClient, widget: dict) -> None:
    other = fx.identity("p2")
    assert put(client, path(widget), headers=other).status_code == 404
    assert client.simulate_get(path(widget), headers=other).status_code == 404
    assert put(client, path(widget), headers={}).status_code == 404
    put(client, path(widget))
    fx.publish(client, "widgets", widget["id"])
    assert client.simulate_get(path(widget), headers={}).content == DATA
    assert put(client, path(widget, "attachments/x"), headers=other).status_code == 403


def test_blobs_after_activation_and_deactivation(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    put(client, path(widget))
    fx.activate(client, "widgets", widget["id"])
    assert put(client, path(widget)).status_code == 403
    result = fx.patch(
        client, "widgets", widget["id"], [fx.replace("status", "deactivated")], fx.ADMIN
    )
    assert result.status_code == 200
    assert client.simulate_get(path(widget), headers=OWNER).status_code == 403
    assert client.simulate_get(path(widget), headers=fx.ADMIN).content == DATA


def test_missing_blob_is_404(client: falcon.testing.TestClient, widget: dict) -> None:
    assert client.simulate_get(path(widget), headers=OWNER).status_code == 404
    assert client.simulate_get(path(widget, "attachments/x"), headers=OWNER).status_code == 404


def test_external_location_redirects_and_can_be_removed(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    location = {"url": "https://images.example.org/cirros.img", "md5": "a" * 32, "sha256": "b" * 64}
    result = client.simulate_put(
        path(widget), body=json.dumps(location), headers={**OWNER, **LOCATION}
    )
    assert result.status_code == 200, result.text
    assert result.json["manual"]["external"] is True
    assert result.json["manual"]["url"] == location["url"]
    download = client.simulate_get(path(widget), headers=OWNER)
    assert download.status_code == 301
    assert download.headers["Location"] == location["url"]
    assert download.headers["Content-MD5"] == "a" * 32
    removed = client.simulate_delete(path(widget), headers=OWNER)
    assert removed.status_code == 200
    assert removed.json["manual"] is None


@pytest.mark.parametrize(
    "location",
    [
        {"md5": "a" * 32},
        {"url": "ftp://x/y", "md5": "a" * 32},
        {"url": "https://x/y"},
        {"url": "https://images.example.org/y", "md5": "a" * 33},
        {"url": "https://images.example.org/y", "md5": 5},
        {"url": "https://x/y", "md5": "a" * 32, "extra": 1},
        ["https://x/y"],
    ],
)
def test_bad_external_locations_are_refused(
    client: falcon.testing.TestClient, widget: dict, location: object
) -> None:
    result = client.simulate_put(
        path(widget), body=json.dumps(location), headers={**OWNER, **LOCATION}
    )
    assert result.status_code == 400


def test_location_checksums_are_kept_as_given_and_existing_data_is_409(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    """As in Glare: the server never reads external data, so it cannot check its checksums."""
    location = {"url": "https://images.example.org/cirros.img", "md5": "not-a-digest"}
    result = client.simulate_put(
        path(widget), body=json.dumps(location), headers={**OWNER, **LOCATION}
    )
    assert result.status_code == 200, result.text
    assert result.json["manual"]["md5"] == "not-a-digest"

    again = client.simulate_put(
        path(widget), body=json.dumps(location), headers={**OWNER, **LOCATION}
    )
    assert again.status_code == 409, again.text


def test_uploaded_blobs_cannot_be_deleted_directly(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    put(client, path(widget))
    assert client.simulate_delete(path(widget), headers=OWNER).status_code == 403


def test_deleting_the_artifact_removes_its_data(
    client: falcon.testing.TestClient, widget: dict, settings: Settings
) -> None:
    put(client, path(widget))
    put(client, path(widget, "attachments/a"), b"other data")  # equal data would be shared
    assert len(stored_files(settings)) == 2
    assert (
        client.simulate_delete(f"/artifacts/widgets/{widget['id']}", headers=OWNER).status_code
        == 204
    )
    assert stored_files(settings) == []


def _mark_pending(services: Services, artifact_id: str, started: dt.datetime) -> None:
    with services.database.write() as session:
        session.execute(
            update(BlobRow)
            .where(BlobRow.artifact_id == artifact_id, BlobRow.field == "manual")
            .values(
                status="saving",
                pending_upload_id="00000000-0000-0000-0000-000000000000",
                pending_store="default",
                pending_location="blobs/xx/partial",
                pending_started_at=started,
            )
        )


def test_a_blob_being_uploaded_conflicts_until_the_upload_times_out(
    client: falcon.testing.TestClient, widget: dict, services: Services
) -> None:
    put(client, path(widget), b"old")
    _mark_pending(services, widget["id"], dt.datetime.now(dt.UTC))
    assert put(client, path(widget)).status_code == 409
    assert (
        fx.patch(client, "widgets", widget["id"], [fx.replace("status", "active")]).status_code
        == 409
    )
    assert client.simulate_get(path(widget), headers=OWNER).content == b"old"

    _mark_pending(services, widget["id"], dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert put(client, path(widget), b"new").status_code == 200
    with services.database.read() as session:
        orphans = [o.location for o in session.scalars(select(OrphanRow))]
    assert orphans == ["blobs/xx/partial"]


def test_stale_uploads_are_swept_back_to_the_previous_data(
    client: falcon.testing.TestClient, widget: dict, services: Services
) -> None:
    put(client, path(widget), b"old")
    _mark_pending(services, widget["id"], dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert services.blobs.sweep_stale_uploads() == 1
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"]["status"] == "active"
    assert client.simulate_get(path(widget), headers=OWNER).content == b"old"


class FlakyStore(MemoryStore):
    """A memory store whose deletions fail until repaired."""

    broken = True

    def delete(self, key: str) -> None:
        if self.broken:
            raise StoreError("disk on fire")
        super().delete(key)


def test_store_failure_on_delete_keeps_the_location_for_scrub(
    services: Services, registry: TypeRegistry, settings: Settings
) -> None:
    store = FlakyStore("default")
    flaky = build_services(
        settings, types=registry, database=services.database, stores={"default": store}
    )
    client = falcon.testing.TestClient(create_app(settings, flaky))
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    put(client, path(widget))
    assert len(store.keys()) == 1
    assert (
        client.simulate_delete(f"/artifacts/widgets/{widget['id']}", headers=OWNER).status_code
        == 204
    )
    with services.database.read() as session:
        orphans = [(o.store, o.location) for o in session.scalars(select(OrphanRow))]
    assert orphans == [("default", store.keys()[0])]
    assert flaky.remover.scrub() == (0, 1)
    store.broken = False
    assert flaky.remover.scrub() == (1, 0)
    assert store.keys() == []


def test_type_limit_caps_all_blobs_of_an_artifact_together(
    client: falcon.testing.TestClient,
) -> None:
    gadget = fx.create(client, "gadgets", name="g")
    base = f"/artifacts/gadgets/{gadget['id']}"
    assert put(client, f"{base}/front", b"f" * 60).status_code == 200
    assert put(client, f"{base}/back", b"b" * 41).status_code == 413
    assert put(client, f"{base}/back", b"b" * 40).status_code == 200
    # Replacing a blob counts its new size, not old + new.
    assert put(client, f"{base}/front", b"f" * 60).status_code == 200


def test_patch_may_not_touch_blob_fields(client: falcon.testing.TestClient, widget: dict) -> None:
    """As in Glare, any operation on a blob field is 400: blobs have their own API."""
    put(client, path(widget))
    digest = hashlib.md5(DATA).hexdigest()
    for operations in (
        [{"op": "test", "path": "/manual/md5", "value": digest}, fx.replace("notes", "n")],
        [fx.replace("manual", None)],
    ):
        refused = fx.patch(client, "widgets", widget["id"], operations)
        assert refused.status_code == 400, refused.text
    assert fx.show(client, "widgets", widget["id"]).json["manual"]["md5"] == digest


def test_fields_can_be_routed_to_the_database_store(
    services: Services,
    registry: TypeRegistry,
    settings: Settings,
    request: pytest.FixtureRequest,
) -> None:
    routed = dataclasses.replace(
        settings,
        stores={
            "default": {"driver": "filesystem", "root": "blobs"},
            "db": {
                "driver": "database",
                "url": services.database.engine.url.render_as_string(hide_password=False),
            },
        },
        store_for={"widgets.attachments": "db"},
    )
    built = build_services(routed, types=registry, database=services.database)
    database_store = built.stores["db"]
    assert isinstance(database_store, DatabaseStore)
    request.addfinalizer(database_store.close)
    client = falcon.testing.TestClient(create_app(routed, built))
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    assert put(client, path(widget)).status_code == 200
    assert put(client, path(widget, "attachments/notes.txt"), b"small").status_code == 200
    with services.database.read() as session:
        stores = dict(session.execute(select(BlobRow.field, BlobRow.store)).all())
    assert stores == {"manual": "default", "attachments": "db"}
    assert client.simulate_get(path(widget, "attachments/notes.txt"), headers=OWNER).content == (
        b"small"
    )
    assert (
        client.simulate_delete(f"/artifacts/widgets/{widget['id']}", headers=OWNER).status_code
        == 204
    )
