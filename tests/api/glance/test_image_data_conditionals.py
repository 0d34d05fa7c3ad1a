"""``/v2/images/{id}/file``: the same conditional, partial and HEAD answers as the Glare door."""

from __future__ import annotations

import hashlib

import falcon.testing

from tests.api.glance.conftest import DATA, OWNER, ImageMaker

PAYLOAD = b"raw image bytes, not many of them"
TAG = f'"{hashlib.sha256(PAYLOAD).hexdigest()}"'


def test_image_data_answers_conditionals_ranges_and_head(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    url = f"/v2/images/{make_image(PAYLOAD)['id']}/file"
    full = client.simulate_get(url, headers=OWNER)
    assert full.headers["ETag"] == TAG
    assert full.headers["Content-MD5"] == hashlib.md5(PAYLOAD).hexdigest()
    not_modified = client.simulate_get(url, headers={**OWNER, "If-None-Match": TAG})
    assert not_modified.status_code == 304
    stale = client.simulate_get(url, headers={**OWNER, "If-Match": '"other"'})
    assert stale.status_code == 412
    resumed = client.simulate_get(url, headers={**OWNER, "Range": "bytes=4-8", "If-Range": TAG})
    assert resumed.status_code == 206
    assert resumed.content == PAYLOAD[4:9]
    restarted = client.simulate_get(
        url, headers={**OWNER, "Range": "bytes=4-8", "If-Range": '"other"'}
    )
    assert restarted.status_code == 200
    assert restarted.content == PAYLOAD
    head = client.simulate_head(url, headers=OWNER)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == str(len(PAYLOAD))
    assert head.headers["Content-Type"] == "application/octet-stream"
    assert head.headers["ETag"] == TAG


def test_head_of_an_image_without_data_answers_204(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    url = f"/v2/images/{make_image()['id']}/file"
    assert client.simulate_head(url, headers=OWNER).status_code == 204


def test_image_data_with_content_range_is_refused(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image()
    result = client.simulate_put(
        f"/v2/images/{image['id']}/file",
        body=b"part",
        headers={**OWNER, **DATA, "Content-Range": "bytes 0-3/100"},
    )
    assert result.status_code == 400
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json
    assert shown["status"] == "queued"
