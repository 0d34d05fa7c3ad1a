"""The client library's direct upload against the real app and moto's bucket: parts in
parallel, a resume of a session another process opened, and a commit whose answer was lost."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from artifacts_client import Client, RetryPolicy
from tests.api.conftest import DirectS3
from tests.api.test_direct_uploads import image, open_direct, payload, send

MIB = 1024 * 1024


class LosesCommits(httpx.BaseTransport):
    """The app over WSGI; the first ``lose`` commits run, but their answers never arrive."""

    def __init__(self, app: object, lose: int = 0) -> None:
        self._inner = httpx.WSGITransport(app=app)  # type: ignore[arg-type]
        self._lose = lose
        self.commits = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.url.path.endswith("/commit"):
            self.commits += 1
            if self.commits <= self._lose:
                response.read()
                raise httpx.ReadError("connection reset before the answer")
        return response


def _client(direct: DirectS3, transport: httpx.BaseTransport) -> Client:
    return Client(
        "http://repo.test",
        project="p1",
        user="u1",
        transport=transport,
        retry=RetryPolicy(sleep=lambda _: None),
    )


def test_upload_direct_sends_parts_in_parallel_and_survives_a_lost_commit_answer(
    direct_s3: DirectS3, tmp_path: Path
) -> None:
    data = payload(16 * MIB + 1, seed=11)
    source = tmp_path / "disk.raw"
    source.write_bytes(data)
    artifact = image(direct_s3)
    transport = LosesCommits(direct_s3.client.app, lose=1)
    seen: list[int] = []

    updated = _client(direct_s3, transport).upload_direct(
        ("images", artifact["id"]),
        "image",
        source,
        parallel=3,
        progress=lambda done, _total: seen.append(done),
    )

    blob = updated.blob("image", None)
    assert blob is not None
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.size == len(data)
    assert transport.commits == 2
    assert seen[-1] == len(data)


def test_upload_direct_resumes_a_session_opened_elsewhere(
    direct_s3: DirectS3, tmp_path: Path
) -> None:
    data = payload(12 * MIB, seed=12)
    source = tmp_path / "disk.raw"
    source.write_bytes(data)
    artifact = image(direct_s3)
    session = open_direct(
        direct_s3, artifact["id"], len(data), sha256=hashlib.sha256(data).hexdigest()
    ).json
    send(session, data, {1, 2})

    updated = _client(direct_s3, httpx.WSGITransport(app=direct_s3.client.app)).upload_direct(
        ("images", artifact["id"]), "image", source, resume=session["id"]
    )

    blob = updated.blob("image", None)
    assert blob is not None
    assert blob.md5 == hashlib.md5(data).hexdigest()
