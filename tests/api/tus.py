"""Speaking tus 1.0 to the in-process app: the headers, and one call per protocol step."""

from __future__ import annotations

import falcon.testing

from tests.api.test_blobs import OWNER

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"
DATA = bytes(range(256)) * 40  # 10240 bytes


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
