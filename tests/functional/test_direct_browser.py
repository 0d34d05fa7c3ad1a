"""A browser uploads a blob straight to S3 from a page on another origin, and it ends active.

The page (served by a loopback server of its own, so its origin differs from the API's) runs
what a web front end would: it creates an image through the API, opens a direct upload, PUTs
each part to its presigned URL on the bucket, and commits. That needs CORS on both sides: the
API's ``[cors] allowed_origins`` (preflights for ``X-Auth-Token`` and JSON bodies) and the
bucket's (preflights for part PUTs). moto's server allows every origin; OpenStack Swift's
s3api needs ``cors_preflight_allow_origin`` in its proxy configuration and the
``Access-Control-Allow-Origin`` metadata on the bucket's ``+segments`` container (where parts
live), as docs/storage.md says: the Swift case runs when ``ARTIFACTS_TEST_SWIFT_CORS=1`` says
the Swift at ``ARTIFACTS_TEST_SWIFT_S3_URL`` allows every origin's preflights.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from artifacts.config import Settings
from artifacts.devserver import run_server
from artifacts.engine.services import build_services
from tests.conftest import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, s3_client
from tests.functional.browser import Browser, chromium
from tests.functional.conftest import REPO
from tests.unit.store.conftest import swift_allow_origin

pytestmark = pytest.mark.functional

SIZE = 6 * 1024 * 1024 + 5  # two parts of the smallest size S3 allows
SWIFT_URL = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_URL", "")
SWIFT_CORS = os.environ.get("ARTIFACTS_TEST_SWIFT_CORS") == "1"

PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>direct upload</title></head><body><main><h1>direct upload</h1></main></body></html>"""

#: What the page runs: every request cross-origin, every failure reported, not thrown.
UPLOAD = """
const [api, token, size, done] = arguments;
const json = {"Content-Type": "application/json", "X-Auth-Token": token};
async function call(method, path, body) {
  const answer = await fetch(api + path, {method, headers: json,
                                          body: body && JSON.stringify(body)});
  if (!answer.ok) throw new Error(method + " " + path + ": " + answer.status);
  return answer.json();
}
(async () => {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) % 251;
  const image = await call("POST", "/artifacts/images",
                           {name: "from-a-page", disk_format: "raw", container_format: "bare"});
  const session = await call("POST", "/direct-uploads", {type_name: "images",
      artifact_id: image.id, field: "image", size});
  const etags = [];
  for (const part of session.upload_urls) {
    const start = (part.number - 1) * session.part_size;
    const sent = await fetch(part.url, {method: "PUT",
                                        body: data.slice(start, start + part.size)});
    if (!sent.ok) throw new Error("part " + part.number + ": " + sent.status);
    etags.push(sent.headers.get("ETag"));
  }
  const committed = await call("POST", "/direct-uploads/" + session.id + "/commit");
  done({id: image.id, blob: committed.image, etags});
})().catch(error => done({error: String(error)}));
"""


def expected_bytes() -> bytes:
    return bytes((i * 31 + 7) % 251 for i in range(SIZE))


@dataclass
class Bucket:
    """Where the direct upload goes: the store's options, and how to allow an origin there."""

    store: dict[str, Any]
    #: Whether the bucket lets the page read a part's ETag (moto's blanket CORS does not; the
    #: commit does not need it, the service lists the parts itself).
    exposes_etag: bool


def _moto(endpoint: str) -> Bucket:
    bucket = f"browser-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    keys = {"access_key": S3_ACCESS_KEY, "secret_key": S3_SECRET_KEY, "region": S3_REGION}
    return Bucket({"endpoint_url": endpoint, "bucket": bucket, **keys}, exposes_etag=False)


def _swift(origin: str) -> Bucket:
    """A fresh bucket on Swift whose parts' container names ``origin`` (Swift's own API)."""
    key = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_KEY", "test:tester")
    secret = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_SECRET", "testing")
    bucket = f"browser-{uuid.uuid4().hex[:12]}"
    client = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name=S3_REGION
    ).client("s3", endpoint_url=SWIFT_URL)
    client.create_bucket(Bucket=bucket)
    swift_allow_origin(bucket, origin)
    keys = {"access_key": key, "secret_key": secret, "region": S3_REGION}
    return Bucket({"endpoint_url": SWIFT_URL, "bucket": bucket, **keys}, exposes_etag=True)


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def page() -> Iterator[str]:
    """The page's own origin: a loopback server that serves nothing but the page."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["moto", "swift"])
def bucket(request: pytest.FixtureRequest, page: str) -> Iterator[Bucket]:
    if request.param == "moto":
        yield _moto(request.getfixturevalue("s3_endpoint"))
        return
    if not (SWIFT_URL and SWIFT_CORS):
        pytest.skip("needs a Swift whose s3api allows every origin's preflights: set "
                    "ARTIFACTS_TEST_SWIFT_CORS=1 with ARTIFACTS_TEST_SWIFT_S3_URL")  # fmt: skip
    made = _swift(page)
    yield made
    _empty_and_remove(made)


def _empty_and_remove(bucket: Bucket) -> None:
    """Leave the Swift as it was: no object, no open upload, no bucket."""
    store = bucket.store
    client = boto3.session.Session(
        aws_access_key_id=store["access_key"],
        aws_secret_access_key=store["secret_key"],
        region_name=S3_REGION,
    ).client("s3", endpoint_url=SWIFT_URL)
    name = store["bucket"]
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
        client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    client.delete_bucket(Bucket=name)


def _config(path: Path, bucket: Bucket, origin: str) -> Path:
    options = {
        **bucket.store,
        "driver": "s3",
        "addressing_style": "path",
        "direct_uploads": True,
        "direct_part_size": 5 * 1024 * 1024,
    }
    lines = [f'[cors]\nallowed_origins = ["{origin}"]\n', "[stores.default]"]
    for name, value in options.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        lines.append(f'{name} = "{text}"' if not isinstance(value, int) else f"{name} = {text}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _token(data_dir: Path) -> str:
    services = build_services(Settings(data_dir=data_dir))
    try:
        return services.tokens.create(
            project_id="web", user_id="web-user", roles=(), lifetime=dt.timedelta(hours=1)
        ).token
    finally:
        services.close()


def test_a_page_on_another_origin_uploads_a_blob_straight_to_the_bucket(
    bucket: Bucket, page: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    config = _config(tmp_path / "artifacts.toml", bucket, page)
    server = run_server(
        data_dir, workers=1, config=config, env={"ARTIFACTS_AUTH_MODE": "tokens"}, cwd=REPO
    )
    try:
        token = _token(data_dir)
        for browser in chromium(page, tmp_path / "chromium"):
            result = _upload(browser, server.url, token)
    finally:
        server.stop()
    assert "error" not in result, result
    expected = expected_bytes()
    blob = result["blob"]
    assert (blob["status"], blob["size"]) == ("active", SIZE)
    assert blob["sha256"] == hashlib.sha256(expected).hexdigest()
    assert len(result["etags"]) == 2
    if bucket.exposes_etag:
        assert all(result["etags"]), "the page could not read a part's ETag"


def _upload(browser: Browser, api: str, token: str) -> dict[str, Any]:
    browser.open("/")
    outcome: dict[str, Any] = browser.driver.execute_async_script(UPLOAD, api, token, SIZE)
    return outcome
