"""The client library's resumable upload against the real app: it goes on after failures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import falcon.testing
import httpx
import pytest

from artifacts_client import Client, RetryPolicy
from tests import factories as fx

MIB = 1024 * 1024


class Flaky(httpx.BaseTransport):
    """The app over WSGI, with chosen PATCHes failing: dropped before the server saw them, or
    after it stored them (the answer lost)."""

    def __init__(self, app: object, fail: dict[int, str]) -> None:
        self._inner = httpx.WSGITransport(app=app)  # type: ignore[arg-type]
        self._fail = fail
        self.patches = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "PATCH":
            return self._inner.handle_request(request)
        self.patches += 1
        how = self._fail.get(self.patches)
        if how == "before":
            raise httpx.WriteError("connection reset while sending")
        response = self._inner.handle_request(request)
        if how == "after":
            response.read()
            raise httpx.ReadError("connection reset before the answer")
        return response


@pytest.mark.parametrize(
    ("fail", "patches"),
    [
        ({}, 4),
        ({2: "before"}, 5),  # the part is sent again
        ({2: "after", 3: "before"}, 5),  # a stored part is not; the next one is, once
        ({4: "after"}, 5),  # the last answer lost: an empty PATCH at the end confirms it
    ],
)
def test_upload_resumable_goes_on_after_failures(
    client: falcon.testing.TestClient, tmp_path: Path, fail: dict[int, str], patches: int
) -> None:
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    data = (hashlib.sha256(b"client").digest() * 32768)[: MIB - 5]  # within manual's 1 MiB
    source = tmp_path / "manual.bin"
    source.write_bytes(data)
    transport = Flaky(client.app, fail)
    repo = Client(
        "http://repo.test",
        project="p1",
        user="u1",
        transport=transport,
        retry=RetryPolicy(sleep=lambda _: None),
    )
    updated = repo.upload_resumable(("widgets", widget["id"]), "manual", source, part_size=300_000)
    blob = updated.blob("manual", None)
    assert blob is not None
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert transport.patches == patches  # four parts of 300 000 bytes, and the failures
