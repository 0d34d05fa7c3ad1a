"""Conditional and partial downloads, HEAD, and Content-Range on uploads, through both doors."""

from __future__ import annotations

import hashlib

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.services import Services
from tests import factories as fx
from tests.plugin_types import JOURNAL

OWNER = fx.identity()
DATA = b"0123456789abcdef"
TAG = f'"{hashlib.sha256(DATA).hexdigest()}"'
STALE = f'"{hashlib.sha256(b"earlier data").hexdigest()}"'


@pytest.fixture
def blob(client: falcon.testing.TestClient) -> str:
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    url = f"/artifacts/widgets/{widget['id']}/manual"
    headers = {**OWNER, "Content-Type": "application/x-test"}
    assert client.simulate_put(url, body=DATA, headers=headers).status_code == 200
    return url


def get(client: falcon.testing.TestClient, url: str, **headers: str) -> falcon.testing.Result:
    return client.simulate_get(url, headers={**OWNER, **headers})


def test_the_entity_tag_is_the_sha256_of_the_data(
    client: falcon.testing.TestClient, blob: str
) -> None:
    assert get(client, blob).headers["ETag"] == TAG


@pytest.mark.parametrize("validator", [TAG, f"{STALE}, {TAG}", "*", f"W/{TAG}"])
def test_if_none_match_of_the_current_data_answers_304(
    client: falcon.testing.TestClient, blob: str, validator: str
) -> None:
    result = get(client, blob, **{"If-None-Match": validator})
    assert result.status_code == 304
    assert result.content == b""
    assert result.headers["ETag"] == TAG


@pytest.mark.parametrize("validator", [STALE, "not-a-tag", f'"{"0" * 64}"'])
def test_if_none_match_of_other_data_sends_it(
    client: falcon.testing.TestClient, blob: str, validator: str
) -> None:
    result = get(client, blob, **{"If-None-Match": validator})
    assert result.status_code == 200
    assert result.content == DATA


@pytest.mark.parametrize("validator", [STALE, f"W/{TAG}", "garbage", f"{TAG} trailing"])
def test_if_match_of_other_data_answers_412(
    client: falcon.testing.TestClient, blob: str, validator: str
) -> None:
    result = get(client, blob, **{"If-Match": validator})
    assert result.status_code == 412
    assert result.json["error"]["type"] == "PreconditionFailed"


@pytest.mark.parametrize("validator", [TAG, "*", f"{STALE}, {TAG}"])
def test_if_match_of_the_current_data_sends_it(
    client: falcon.testing.TestClient, blob: str, validator: str
) -> None:
    result = get(client, blob, **{"If-Match": validator, "Range": "bytes=0-1"})
    assert result.status_code == 206
    assert result.content == DATA[:2]


def test_if_range_with_the_current_tag_sends_the_range(
    client: falcon.testing.TestClient, blob: str
) -> None:
    result = get(client, blob, Range="bytes=4-7", **{"If-Range": TAG})
    assert result.status_code == 206
    assert result.content == DATA[4:8]
    assert result.headers["Content-Range"] == f"bytes 4-7/{len(DATA)}"


@pytest.mark.parametrize(
    "validator", [STALE, f"W/{TAG}", "Wed, 02 Dec 2026 07:00:00 GMT", f"{TAG}, {TAG}"]
)
def test_a_stale_or_weak_if_range_gets_the_whole_blob(
    client: falcon.testing.TestClient, blob: str, validator: str
) -> None:
    result = get(client, blob, Range="bytes=4-7", **{"If-Range": validator})
    assert result.status_code == 200
    assert result.content == DATA
    assert "Content-Range" not in result.headers


def test_a_stale_if_range_never_answers_416(client: falcon.testing.TestClient, blob: str) -> None:
    result = get(client, blob, Range="bytes=1000-", **{"If-Range": STALE})
    assert result.status_code == 200
    assert result.content == DATA


def test_if_none_match_takes_precedence_over_range(
    client: falcon.testing.TestClient, blob: str
) -> None:
    result = get(client, blob, Range="bytes=0-1", **{"If-None-Match": TAG})
    assert result.status_code == 304


def test_head_answers_the_headers_of_get_without_the_data(
    client: falcon.testing.TestClient, blob: str
) -> None:
    full = get(client, blob)
    head = client.simulate_head(blob, headers=OWNER)
    assert head.status_code == 200
    assert head.content == b""
    for name in (
        "Content-Length",
        "Content-Type",
        "ETag",
        "Content-MD5",
        "X-Openstack-Glare-Content-SHA1",
        "X-Openstack-Glare-Content-SHA256",
        "Accept-Ranges",
    ):
        assert head.headers[name] == full.headers[name], name
    assert head.headers["Content-Length"] == str(len(DATA))


def test_head_ignores_range_and_honours_preconditions(
    client: falcon.testing.TestClient, blob: str
) -> None:
    ranged = client.simulate_head(blob, headers={**OWNER, "Range": "bytes=0-1"})
    assert ranged.status_code == 200
    assert ranged.headers["Content-Length"] == str(len(DATA))
    assert client.simulate_head(blob, headers={**OWNER, "If-None-Match": TAG}).status_code == 304
    assert client.simulate_head(blob, headers={**OWNER, "If-Match": STALE}).status_code == 412


def test_head_is_refused_like_get(client: falcon.testing.TestClient, blob: str) -> None:
    stranger = fx.identity(project="p-other")
    assert client.simulate_head(blob, headers=stranger).status_code == 404
    assert client.simulate_get(blob, headers=stranger).status_code == 404
    missing = blob.replace("/manual", "/nosuchblob")
    assert client.simulate_head(missing, headers=OWNER).status_code == 400


def test_new_data_gets_a_new_tag(client: falcon.testing.TestClient, blob: str) -> None:
    headers = {**OWNER, "Content-Type": "application/x-test"}
    assert client.simulate_put(blob, body=b"new bytes", headers=headers).status_code == 200
    result = get(client, blob, **{"If-None-Match": TAG})
    assert result.status_code == 200
    assert result.headers["ETag"] == f'"{hashlib.sha256(b"new bytes").hexdigest()}"'


def test_an_upload_with_content_range_is_refused_and_stores_nothing(
    client: falcon.testing.TestClient, blob: str
) -> None:
    result = client.simulate_put(
        blob,
        body=b"0123",
        headers={**OWNER, "Content-Type": "application/x-test", "Content-Range": "bytes 0-3/16"},
    )
    assert result.status_code == 400
    assert "Content-Range" in result.json["error"]["message"]
    assert get(client, blob).content == DATA


@pytest.fixture
def hooked_client(settings: Settings, contract_services: Services) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(settings, contract_services))


def test_download_hooks_run_only_when_data_is_sent(
    hooked_client: falcon.testing.TestClient,
) -> None:
    artifact = fx.create(hooked_client, "hooked", name="h")
    url = f"/artifacts/hooked/{artifact['id']}/data"
    headers = {**OWNER, "Content-Type": "text/plain"}
    assert hooked_client.simulate_put(url, body=b"bytes", headers=headers).status_code == 200
    tag = f'"{hashlib.sha256(b"bytes").hexdigest()}"'
    JOURNAL.calls.clear()
    assert hooked_client.simulate_head(url, headers=OWNER).status_code == 200
    assert get(hooked_client, url, **{"If-None-Match": tag}).status_code == 304
    assert get(hooked_client, url, **{"If-Match": STALE}).status_code == 412
    assert JOURNAL.names() == []
    assert get(hooked_client, url, Range="bytes=1-2").content == b"yt"
    assert JOURNAL.names() == ["before_download", "after_download"]
