"""Upload sessions move between nodes: a resumable upload dropped on one resumes on the other,
and a direct upload opened on one commits on the other, both nodes committing at once."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
import requests

from tests.functional import test_resumable as tus
from tests.functional.conftest import Server
from tests.functional.multinode.conftest import OWNER, TIMEOUT, create, run_together

pytestmark = [pytest.mark.functional, pytest.mark.postgres]


def test_a_resumable_upload_dropped_on_one_node_resumes_on_the_other(
    nodes: tuple[Server, Server],
) -> None:
    node_a, node_b = nodes
    data = tus._payload(30 * tus.MIB + 11)
    artifact_id, upload_a = tus._open_upload(node_a, len(data))
    tus._patch_and_drop(upload_a, data, 0, 17 * tus.MIB)
    upload_b = upload_a.replace(node_a.url, node_b.url)
    deadline = time.monotonic() + 30
    while tus._offset(upload_b) == 0:
        assert time.monotonic() < deadline, "the dropped request never recorded its offset"
        time.sleep(0.1)
    finished = tus._resume(upload_b, data, time.monotonic() + 30)
    assert finished.status_code == 204, finished.text
    tus._assert_stored(node_a, artifact_id, data)
    tus._assert_stored(node_b, artifact_id, data)


def test_a_direct_upload_opened_on_one_node_resumes_and_commits_on_the_other(
    nodes: tuple[Server, Server],
) -> None:
    node_a, node_b = nodes
    data = tus._payload(16 * tus.MIB + 7)
    artifact_id = create(node_a)["id"]
    body = {"type_name": "images", "artifact_id": artifact_id, "field": "image", "size": len(data)}
    opened = requests.post(
        f"{node_a.url}/direct-uploads",
        json={**body, "sha256": hashlib.sha256(data).hexdigest()},
        headers=OWNER,
        timeout=TIMEOUT,
    )
    assert opened.status_code == 201, opened.text
    session = opened.json()

    def send(parts: list[dict[str, Any]]) -> None:
        size = session["part_size"]
        for part in parts:
            number = part["number"]
            sent = requests.put(
                part["url"], data=data[(number - 1) * size : number * size], timeout=TIMEOUT
            )
            assert sent.status_code == 200, sent.text

    send(session["upload_urls"][:1])
    status = requests.get(f"{node_b.url}{session['href']}", headers=OWNER, timeout=TIMEOUT)
    assert status.status_code == 200, status.text
    resumed = status.json()
    assert [p["number"] for p in resumed["uploaded_parts"]] == [1]
    send(resumed["upload_urls"])

    # Both nodes asked to commit at once: one commits, the other waits its turn (409) or
    # answers with what was committed; a later commit on either answers the same.
    commits = run_together(
        *(
            lambda node=node: requests.post(
                f"{node.url}{session['href']}/commit", headers=OWNER, timeout=120
            )
            for node in nodes
        )
    )
    assert sorted(c.status_code for c in commits) in ([200, 200], [200, 409]), commits
    for node in nodes:
        again = requests.post(f"{node.url}{session['href']}/commit", headers=OWNER, timeout=120)
        assert again.status_code == 200, again.text
        assert again.json()["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    got = requests.get(
        f"{node_b.url}/artifacts/images/{artifact_id}/image", headers=OWNER, timeout=TIMEOUT
    )
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()
