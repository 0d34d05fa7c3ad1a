"""Direct uploads to S3 (moto's server, real HTTP): presigned parts sent to the bucket, a
verified commit, resumes after interruptions, refusals that leave nothing behind, privacy,
quotas, and presigned download redirects that honour visibility.

``ARTIFACTS_TEST_DIRECT_SIZE`` sets the size of the resumed uploads (default 17 MiB and a
bit, four parts); ``bench/direct.py`` runs the same interruptions on 1 GiB against Swift.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import threading
from typing import Any

import pytest
import requests
from sqlalchemy import update

from artifacts.db.models import UploadSessionRow
from tests import factories as fx
from tests.api.conftest import DirectS3
from tests.api.test_blobs import OWNER
from tests.api.test_quotas import glare_set, usage

MIB = 1024 * 1024
SIZE = int(os.environ.get("ARTIFACTS_TEST_DIRECT_SIZE", str(17 * MIB + 3)))
OTHER = fx.identity("p2")


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(f"{seed}-{size}").randbytes(size)


def image(direct: DirectS3, **fields: Any) -> dict[str, Any]:
    fields = {"name": "d", "disk_format": "raw", "container_format": "bare", **fields}
    return fx.create(direct.client, "images", **fields)


def open_direct(
    direct: DirectS3,
    artifact_id: str,
    size: int,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    body = {"type_name": "images", "artifact_id": artifact_id, "field": "image", "size": size}
    return direct.client.simulate_post(
        "/direct-uploads", json={**body, **extra}, headers=OWNER if headers is None else headers
    )


def send(session: dict[str, Any], data: bytes, numbers: set[int] | None = None) -> None:
    """PUT parts straight to the bucket, as a client does with the presigned URLs."""
    size = session["part_size"]
    for part in session["upload_urls"]:
        number = part["number"]
        if numbers is not None and number not in numbers:
            continue
        body = data[(number - 1) * size : number * size]
        assert len(body) == part["size"]
        answer = requests.put(part["url"], data=body, timeout=30)
        assert answer.status_code == 200, answer.text


def commit(direct: DirectS3, upload_id: str, headers: dict[str, str] | None = None) -> Any:
    return direct.client.simulate_post(
        f"/direct-uploads/{upload_id}/commit", headers=OWNER if headers is None else headers
    )


def digests(data: bytes) -> dict[str, str]:
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def assert_exact(blob: dict[str, Any], data: bytes) -> None:
    assert blob["status"] == "active"
    assert blob["size"] == len(data)
    assert {k: blob[k] for k in ("md5", "sha1", "sha256")} == digests(data)


def download(direct: DirectS3, artifact_id: str, headers: dict[str, str] | None = None) -> Any:
    return direct.client.simulate_get(
        f"/artifacts/images/{artifact_id}/image", headers=OWNER if headers is None else headers
    )


def test_a_direct_upload_ends_active_with_exact_digests(direct_s3: DirectS3) -> None:
    data = payload(SIZE)
    artifact = image(direct_s3)
    opened = open_direct(direct_s3, artifact["id"], len(data))
    assert opened.status_code == 201, opened.text
    session = opened.json
    assert opened.headers["Location"] == session["href"]
    assert session["part_count"] == -(-len(data) // (5 * MIB))
    assert [p["number"] for p in session["upload_urls"]] == list(
        range(1, session["part_count"] + 1)
    )
    send(session, data)

    done = commit(direct_s3, session["id"])

    assert done.status_code == 200, done.text
    assert_exact(done.json["image"], data)
    assert direct_s3.open_uploads() == []
    assert usage(direct_s3.client)["usage"] == {"artifacts": 1, "bytes": len(data), "reserved": 0}
    redirected = download(direct_s3, artifact["id"])
    assert redirected.status_code == 302
    fetched = requests.get(redirected.headers["Location"], timeout=30)
    assert fetched.content == data


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_an_interrupted_upload_lists_its_parts_and_resumes(
    direct_s3: DirectS3, fraction: float
) -> None:
    data = payload(SIZE, seed=1)
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], len(data), sha256=digests(data)["sha256"]).json
    sent = max(1, int(session["part_count"] * fraction))
    send(session, data, set(range(1, sent + 1)))

    status = direct_s3.client.simulate_get(f"/direct-uploads/{session['id']}", headers=OWNER)

    assert status.status_code == 200, status.text
    resumed = status.json
    assert [p["number"] for p in resumed["uploaded_parts"]] == list(range(1, sent + 1))
    assert [p["number"] for p in resumed["upload_urls"]] == list(
        range(sent + 1, session["part_count"] + 1)
    )
    early = commit(direct_s3, session["id"])
    assert early.status_code == 409
    assert "missing" in early.json["error"]["message"]
    send(resumed, data)
    done = commit(direct_s3, session["id"])
    assert done.status_code == 200, done.text
    assert_exact(done.json["image"], data)


def test_a_commit_after_the_join_or_again_answers_the_same(direct_s3: DirectS3) -> None:
    data = payload(SIZE, seed=2)
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], len(data)).json
    send(session, data)
    # A commit whose process died after joining the parts: the bucket holds the whole object.
    key = direct_s3.open_uploads()[0]
    upload = direct_s3.s3.list_multipart_uploads(Bucket=direct_s3.bucket)["Uploads"][0]
    parts = direct_s3.s3.list_parts(Bucket=direct_s3.bucket, Key=key, UploadId=upload["UploadId"])
    direct_s3.s3.complete_multipart_upload(
        Bucket=direct_s3.bucket,
        Key=key,
        UploadId=upload["UploadId"],
        MultipartUpload={
            "Parts": [{"ETag": p["ETag"], "PartNumber": p["PartNumber"]} for p in parts["Parts"]]
        },
    )

    done = commit(direct_s3, session["id"])
    again = commit(direct_s3, session["id"])

    assert done.status_code == 200, done.text
    assert_exact(done.json["image"], data)
    assert again.status_code == 200, again.text
    assert again.json["image"] == done.json["image"]
    assert usage(direct_s3.client)["usage"]["bytes"] == len(data)


def _refused(direct: DirectS3, answer: Any, artifact_id: str, words: str) -> None:
    assert answer.status_code == 400, answer.text
    assert words in answer.json["error"]["message"]
    assert direct.stored() == []
    assert direct.open_uploads() == []
    assert usage(direct.client)["usage"] == {"artifacts": 1, "bytes": 0, "reserved": 0}
    shown = direct.client.simulate_get(f"/artifacts/images/{artifact_id}", headers=OWNER).json
    assert shown["image"] is None


def test_a_tampered_part_is_refused_by_the_declared_sha256(direct_s3: DirectS3) -> None:
    data = payload(SIZE, seed=3)
    artifact = image(direct_s3)
    declared = digests(data)["sha256"]
    session = open_direct(direct_s3, artifact["id"], len(data), sha256=declared).json
    tampered = bytearray(data)
    tampered[5 * MIB + 10] ^= 0xFF
    send(session, bytes(tampered))

    refused = commit(direct_s3, session["id"])

    _refused(direct_s3, refused, artifact["id"], f"not the declared {declared}")
    gone = direct_s3.client.simulate_get(f"/direct-uploads/{session['id']}", headers=OWNER)
    assert gone.status_code == 404


def test_a_wrong_declared_sha256_is_refused(direct_s3: DirectS3) -> None:
    data = payload(SIZE, seed=4)
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], len(data), sha256="0" * 64).json
    send(session, data)

    _refused(direct_s3, commit(direct_s3, session["id"]), artifact["id"], "sha256")


def test_a_part_of_the_wrong_size_is_refused(direct_s3: DirectS3) -> None:
    data = payload(SIZE, seed=5)
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], len(data)).json
    send(session, data, set(range(1, session["part_count"])))
    last = session["upload_urls"][-1]
    assert requests.put(last["url"], data=b"short", timeout=30).status_code == 200

    refused = commit(direct_s3, session["id"])

    _refused(direct_s3, refused, artifact["id"], f"part {last['number']} holds 5 bytes")


def test_another_project_sees_no_upload_and_cannot_open_one(direct_s3: DirectS3) -> None:
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], SIZE).json
    path = f"/direct-uploads/{session['id']}"

    assert direct_s3.client.simulate_get(path, headers=OTHER).status_code == 404
    assert commit(direct_s3, session["id"], headers=OTHER).status_code == 404
    assert direct_s3.client.simulate_delete(path, headers=OTHER).status_code == 404
    assert open_direct(direct_s3, artifact["id"], SIZE, headers=OTHER).status_code == 404
    assert direct_s3.client.simulate_get(path, headers=OWNER).status_code == 200


def test_a_validator_refusing_at_its_start_refuses_the_open(direct_s3: DirectS3) -> None:
    # The image validator refuses, before any byte, an image with no disk_format: as a PUT
    # would, and before the client sends a part.
    artifact = fx.create(direct_s3.client, "images", name="no-format")

    refused = open_direct(direct_s3, artifact["id"], SIZE)

    assert refused.status_code == 400, refused.text
    assert "disk_format" in refused.json["error"]["message"]
    assert direct_s3.open_uploads() == []
    assert usage(direct_s3.client)["usage"]["reserved"] == 0


def test_abort_removes_the_parts_and_releases_the_reservation(direct_s3: DirectS3) -> None:
    data = payload(SIZE, seed=6)
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], len(data)).json
    assert usage(direct_s3.client)["usage"]["reserved"] == len(data)
    send(session, data, {1})

    aborted = direct_s3.client.simulate_delete(f"/direct-uploads/{session['id']}", headers=OWNER)

    assert aborted.status_code == 204
    assert direct_s3.open_uploads() == []
    assert usage(direct_s3.client)["usage"]["reserved"] == 0
    assert commit(direct_s3, session["id"]).status_code == 404


def test_concurrent_sessions_hold_the_byte_quota_exactly(direct_s3: DirectS3) -> None:
    glare_set(direct_s3.client, "p1", max_uploaded_data=10 * MIB)
    artifacts = [image(direct_s3, name=f"q{i}") for i in range(6)]
    answers: list[int] = []
    lock = threading.Lock()

    def opener(artifact: dict[str, Any]) -> None:
        status = open_direct(direct_s3, artifact["id"], 3 * MIB).status_code
        with lock:
            answers.append(status)

    threads = [threading.Thread(target=opener, args=(a,)) for a in artifacts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [201, 201, 201, 413, 413, 413]
    assert usage(direct_s3.client)["usage"]["reserved"] == 9 * MIB


def test_a_store_without_direct_uploads_answers_409(client: Any) -> None:
    artifact = fx.create(client, "images", name="d", disk_format="raw", container_format="bare")
    body = {"type_name": "images", "artifact_id": artifact["id"], "field": "image", "size": 10}

    refused = client.simulate_post("/direct-uploads", json=body, headers=OWNER)

    assert refused.status_code == 409, refused.text
    assert "takes no direct uploads" in refused.json["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"size": 10},
        {"type_name": "images", "field": "image", "size": -1},
        {"type_name": "images", "field": "image", "size": 0},
        {"type_name": "images", "field": "image", "size": 10, "sha256": "xyz"},
        {"type_name": "images", "field": "image", "size": 10, "surprise": 1},
    ],
)
def test_bad_open_requests_are_400(direct_s3: DirectS3, body: dict[str, Any]) -> None:
    artifact = image(direct_s3)
    if "type_name" in body:
        body = {**body, "artifact_id": artifact["id"]}

    refused = direct_s3.client.simulate_post("/direct-uploads", json=body, headers=OWNER)

    assert refused.status_code == 400, refused.text


def test_expired_sessions_are_removed_by_gc_with_a_reason(direct_s3: DirectS3) -> None:
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], SIZE).json
    send(session, payload(SIZE), {1})
    past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with direct_s3.services.database.write() as rows:
        rows.execute(update(UploadSessionRow).values(expires_at=past))

    report = direct_s3.services.gc.run()

    reasons = [g.reason for g in report.found if g.kind == "expired-upload"]
    assert reasons == [f"direct upload {session['id']} expired at {past.isoformat()}"]
    assert direct_s3.open_uploads() == []
    assert usage(direct_s3.client)["usage"]["reserved"] == 0


def test_redirects_honour_visibility_and_leave_head_and_checks_here(
    direct_s3: DirectS3,
) -> None:
    data = payload(6 * MIB, seed=7)
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], len(data)).json
    send(session, data)
    assert commit(direct_s3, session["id"]).status_code == 200

    assert download(direct_s3, artifact["id"], headers=OTHER).status_code == 404
    head = direct_s3.client.simulate_head(
        f"/artifacts/images/{artifact['id']}/image", headers=OWNER
    )
    assert head.status_code == 200
    assert head.headers["X-Openstack-Glare-Content-SHA256"] == digests(data)["sha256"]
    etag = head.headers["ETag"]
    unchanged = direct_s3.client.simulate_get(
        f"/artifacts/images/{artifact['id']}/image", headers={**OWNER, "If-None-Match": etag}
    )
    assert unchanged.status_code == 304
    verified = direct_s3.client.simulate_get(
        f"/artifacts/images/{artifact['id']}/image",
        headers={**OWNER, "Want-Repr-Digest": "sha-256=1"},
    )
    assert verified.status_code == 200
    assert verified.content == data
    ranged = download(direct_s3, artifact["id"], headers={**OWNER, "Range": "bytes=10-19"})
    assert ranged.status_code == 302
    part = requests.get(ranged.headers["Location"], headers={"Range": "bytes=10-19"}, timeout=30)
    assert part.content == data[10:20]
    glance = direct_s3.client.simulate_get(f"/v2/images/{artifact['id']}/file", headers=OWNER)
    assert glance.status_code == 302

    fx.publish(direct_s3.client, "images", artifact["id"])
    assert download(direct_s3, artifact["id"], headers=OTHER).status_code == 302


def test_deleting_the_artifact_ends_its_sessions(direct_s3: DirectS3) -> None:
    artifact = image(direct_s3)
    session = open_direct(direct_s3, artifact["id"], SIZE).json
    send(session, payload(SIZE), {1})

    deleted = direct_s3.client.simulate_delete(f"/artifacts/images/{artifact['id']}", headers=OWNER)

    assert deleted.status_code == 204
    assert direct_s3.open_uploads() == []
    assert usage(direct_s3.client)["usage"] == {"artifacts": 0, "bytes": 0, "reserved": 0}
    assert commit(direct_s3, session["id"]).status_code == 404
