"""Direct transfers against gunicorn and a real bucket: moto's server (with SQLite) and
OpenStack Swift's S3 API (with PostgreSQL; ``ARTIFACTS_TEST_SWIFT_S3_URL``, which .ci/run
sets: without it the Swift cases skip, or fail under ``ARTIFACTS_REQUIRE_SWIFT=1``).

The client library uploads directly and downloads through the presigned redirect; a session
interrupted halfway resumes; tampered data is refused and leaves nothing in the bucket; and
python-glanceclient and python-glareclient, unchanged, follow the redirect of a download.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from artifacts_client import Client
from artifacts_client.cli import main
from tests.conftest import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY
from tests.functional.conftest import REPO, Server, start_server

pytestmark = pytest.mark.functional

MIB = 1024 * 1024
SWIFT_URL = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_URL", "")
REQUIRE_SWIFT = os.environ.get("ARTIFACTS_REQUIRE_SWIFT") == "1"
TOKEN = "alice:proj-a:member"
HEADERS = {"X-Project-Id": "proj-a", "X-User-Id": "alice"}
OTHER = {"X-Project-Id": "proj-b", "X-User-Id": "bob"}


@dataclass
class Bucket:
    """The bucket a server's blobs go to, and a plain client to look into it."""

    s3: Any
    name: str

    def names(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in listed.get("Contents", [])]

    def open_uploads(self) -> list[str]:
        listed = self.s3.list_multipart_uploads(Bucket=self.name)
        return [item["Key"] for item in listed.get("Uploads", [])]


@dataclass
class DirectServer:
    server: Server
    bucket: Bucket


def _store_toml(endpoint: str, bucket: str, key: str, secret: str) -> str:
    return (
        "[stores.default]\n"
        'driver = "s3"\n'
        f'bucket = "{bucket}"\n'
        f'endpoint_url = "{endpoint}"\n'
        f'region = "{S3_REGION}"\n'
        f'access_key = "{key}"\n'
        f'secret_key = "{secret}"\n'
        'addressing_style = "path"\n'
        "direct_uploads = true\n"
        "presigned_downloads = true\n"
        f"direct_part_size = {5 * MIB}\n"
    )


@pytest.fixture(scope="module", params=["moto", "swift"])
def direct(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DirectServer]:
    database_url = ""
    if request.param == "swift":
        if not SWIFT_URL:
            message = "no real S3 store configured (set ARTIFACTS_TEST_SWIFT_S3_URL; .ci/run does)"
            if REQUIRE_SWIFT:
                pytest.fail(message + " and ARTIFACTS_REQUIRE_SWIFT=1")
            pytest.skip(message)
        endpoint = SWIFT_URL
        key = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_KEY", "test:tester")
        secret = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_SECRET", "testing")
        create_database: Callable[[], str] = request.getfixturevalue("pg_databases")
        database_url = create_database()
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        key, secret = S3_ACCESS_KEY, S3_SECRET_KEY
    s3 = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name=S3_REGION
    ).client(
        "s3",
        endpoint_url=endpoint,
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )
    bucket = f"direct-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    data_dir = tmp_path_factory.mktemp("direct-server")
    config = data_dir / "artifacts.toml"
    config.write_text(_store_toml(endpoint, bucket, key, secret))
    env = {"ARTIFACTS_CONFIG": str(config)}
    if database_url:
        env["ARTIFACTS_DATABASE_URL"] = database_url
    try:
        for server in start_server(data_dir, extra_env=env):
            yield DirectServer(server, Bucket(s3, bucket))
    finally:
        for name in Bucket(s3, bucket).names():
            s3.delete_object(Bucket=bucket, Key=name)
        for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        s3.delete_bucket(Bucket=bucket)


def _image(direct: DirectServer, name: str) -> dict[str, Any]:
    created = requests.post(
        f"{direct.server.url}/artifacts/images",
        json={"name": name, "disk_format": "raw", "container_format": "bare"},
        headers=HEADERS,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return created.json()


def _open(direct: DirectServer, artifact_id: str, data: bytes, **extra: Any) -> dict[str, Any]:
    body = {"type_name": "images", "artifact_id": artifact_id, "field": "image", "size": len(data)}
    opened = requests.post(
        f"{direct.server.url}/direct-uploads", json={**body, **extra}, headers=HEADERS, timeout=30
    )
    assert opened.status_code == 201, opened.text
    return opened.json()


def _send(session: dict[str, Any], data: bytes, numbers: set[int] | None = None) -> None:
    size = session["part_size"]
    for part in session["upload_urls"]:
        if numbers is None or part["number"] in numbers:
            body = data[(part["number"] - 1) * size : part["number"] * size]
            sent = requests.put(part["url"], data=body, timeout=60)
            assert sent.status_code == 200, sent.text


def _commit(direct: DirectServer, session: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{direct.server.url}{session['href']}/commit", headers=HEADERS, timeout=120
    )


def test_the_client_uploads_directly_and_downloads_through_the_redirect(
    direct: DirectServer, tmp_path: Path
) -> None:
    data = random.Random(1).randbytes(13 * MIB + 11)
    source = tmp_path / "disk.raw"
    source.write_bytes(data)
    artifact = _image(direct, "client")
    with Client(direct.server.url, project="proj-a", user="alice") as client:
        updated = client.upload_direct(("images", artifact["id"]), "image", source, parallel=3)
        blob = updated.blob("image", None)
        assert blob is not None
        assert (blob.size, blob.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        target = tmp_path / "back.raw"
        client.download_file(("images", artifact["id"]), "image", target)
    assert target.read_bytes() == data
    redirected = requests.get(
        f"{direct.server.url}/artifacts/images/{artifact['id']}/image",
        headers=HEADERS,
        allow_redirects=False,
        timeout=30,
    )
    assert redirected.status_code == 302
    hidden = requests.get(
        f"{direct.server.url}/artifacts/images/{artifact['id']}/image",
        headers=OTHER,
        allow_redirects=False,
        timeout=30,
    )
    assert hidden.status_code == 404


def test_an_upload_interrupted_halfway_resumes_from_the_listed_parts(
    direct: DirectServer,
) -> None:
    data = random.Random(2).randbytes(21 * MIB + 5)
    artifact = _image(direct, "resumed")
    session = _open(direct, artifact["id"], data, sha256=hashlib.sha256(data).hexdigest())
    half = session["part_count"] // 2
    _send(session, data, set(range(1, half + 1)))

    status = requests.get(f"{direct.server.url}{session['href']}", headers=HEADERS, timeout=30)

    resumed = status.json()
    assert [p["number"] for p in resumed["uploaded_parts"]] == list(range(1, half + 1))
    _send(resumed, data)
    done = _commit(direct, session)
    again = _commit(direct, session)
    assert done.status_code == 200, done.text
    assert again.json()["image"] == done.json()["image"]
    assert done.json()["image"]["md5"] == hashlib.md5(data).hexdigest()


def test_tampered_data_is_refused_and_leaves_nothing(direct: DirectServer) -> None:
    data = random.Random(3).randbytes(11 * MIB)
    artifact = _image(direct, "tampered")
    session = _open(direct, artifact["id"], data, sha256=hashlib.sha256(data).hexdigest())
    tampered = bytearray(data)
    tampered[7 * MIB] ^= 1
    before = set(direct.bucket.names())
    _send(session, bytes(tampered))

    refused = _commit(direct, session)

    assert refused.status_code == 400, refused.text
    assert "declared" in refused.json()["error"]["message"]
    assert set(direct.bucket.names()) == before
    assert not [k for k in direct.bucket.open_uploads() if artifact["id"] in k]


@pytest.mark.parametrize("door", ["glance", "glare"])
def test_real_clients_follow_the_download_redirect(direct: DirectServer, door: str) -> None:
    venv = os.environ.get(
        "ARTIFACTS_TEST_CLIENTS_VENV" if door == "glance" else "ARTIFACTS_TEST_GLARECLIENT_VENV",
        "",
    )
    if not venv:
        if os.environ.get("ARTIFACTS_REQUIRE_CLIENTS"):
            pytest.fail(f"no virtualenv with the {door} client")
        pytest.skip(f"the {door} client is not installed (scripts/test installs it)")
    data = random.Random(4).randbytes(6 * MIB)
    artifact = _image(direct, f"by-{door}")
    session = _open(direct, artifact["id"], data)
    _send(session, data)
    assert _commit(direct, session).status_code == 200
    url = direct.server.url
    script = REPO / "tests" / "functional" / "redirected_download.py"

    done = subprocess.run(
        [f"{venv}/bin/python", str(script), door, url, TOKEN, artifact["id"]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["size"] == len(data)
    assert seen["sha256"] == hashlib.sha256(data).hexdigest()
    if door == "glare":
        assert seen["announced_md5"] == seen["md5"]


def test_push_direct_uploads_with_the_cli(
    direct: DirectServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in [name for name in os.environ if name.startswith("ARTIFACTS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ARTIFACTS_CLIENT_CONFIG", str(tmp_path / "no-profile.toml"))
    monkeypatch.setenv("ARTIFACTS_URL", direct.server.url)
    data = random.Random(5).randbytes(7 * MIB)
    (tmp_path / "disk.raw").write_bytes(data)
    args = ["--project", "proj-a", "push", "images", "pushed", "1.0.0", str(tmp_path / "disk.raw")]
    sets = ["--set", "disk_format=raw", "--set", "container_format=bare"]

    status = main([*args, *sets, "--direct", "--parallel", "2", "--format", "json"])

    out = capsys.readouterr().out
    assert status == 0
    assert json.loads(out)["image"]["sha256"] == hashlib.sha256(data).hexdigest()
