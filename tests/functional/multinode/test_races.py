"""Races between the nodes end as the database's locks and constraints decide: no lost
update, one winner of a name and version, one winner of a blob with its data intact."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.client
import json
import random
import select
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.functional.conftest import Server
from tests.functional.multinode.conftest import (
    JSON_PATCH,
    OWNER,
    ROUNDS,
    TIMEOUT,
    create,
    run_together,
    show,
)

pytestmark = [pytest.mark.functional, pytest.mark.postgres]


def _patch(server: Server, artifact_id: str, operations: list[dict[str, Any]]) -> int:
    response = requests.patch(
        f"{server.url}/artifacts/images/{artifact_id}",
        data=json.dumps(operations),
        headers=JSON_PATCH,
        timeout=TIMEOUT,
    )
    return response.status_code


def _patch_in_turn(server: Server, artifact_id: str, first: dict[str, Any], tags: str) -> list[int]:
    """One change of the node's own, then four tags, each in a PATCH of its own."""
    statuses = [_patch(server, artifact_id, [first])]
    for i in range(4):
        statuses.append(
            _patch(server, artifact_id, [{"op": "add", "path": "/tags/-", "value": f"{tags}-{i}"}])
        )
    return statuses


def test_concurrent_patches_through_both_nodes_lose_nothing(
    nodes: tuple[Server, Server],
) -> None:
    a, b = nodes
    for round_ in range(ROUNDS):
        artifact_id = create(a)["id"]

        description = {"op": "replace", "path": "/description", "value": "A"}
        metadata = {"op": "add", "path": "/metadata/node", "value": "B"}
        results = run_together(
            functools.partial(_patch_in_turn, a, artifact_id, description, f"a{round_}"),
            functools.partial(_patch_in_turn, b, artifact_id, metadata, f"b{round_}"),
        )
        assert results == [[200] * 5, [200] * 5], results
        final = show(b, artifact_id)
        assert final["description"] == "A"
        assert final["metadata"] == {"node": "B"}
        expected = {f"{node}{round_}-{i}" for node in "ab" for i in range(4)}
        assert sorted(final["tags"]) == sorted(expected)
        # Each node's tags in the order that node sent them: patches were applied one by one.
        assert [t for t in final["tags"] if t[0] == "a"] == [f"a{round_}-{i}" for i in range(4)]
        assert show(a, artifact_id) == final


def test_concurrent_creates_of_one_name_and_version_have_one_winner(
    nodes: tuple[Server, Server],
) -> None:
    a, b = nodes
    for _ in range(ROUNDS):
        name = f"race-{uuid.uuid4().hex[:8]}"

        def create(server: Server, name: str = name) -> requests.Response:
            return requests.post(
                f"{server.url}/artifacts/images",
                json={"name": name, "version": "2.0.0"},
                headers=OWNER,
                timeout=TIMEOUT,
            )

        responses = run_together(*[lambda s=server: create(s) for server in (a, b) * 4])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 7, [getattr(r, "text", r) for r in responses]
        for response in responses:
            if response.status_code == 409:
                assert response.json()["error"]["type"] == "Conflict"
        for node in nodes:
            listed = requests.get(
                f"{node.url}/artifacts/images",
                params={"name": name},
                headers=OWNER,
                timeout=TIMEOUT,
            )
            assert len(listed.json()["artifacts"]) == 1


class _SlowUpload:
    """A blob upload sent by hand, so the test decides when its body is finished.

    ``start`` sends the head and the first part of the body, then the server has begun the
    upload (or refused it); ``finish`` sends the rest and reads the response.
    """

    def __init__(self, server: Server, path: str, data: bytes) -> None:
        self.data = data
        address = urlsplit(server.url)
        self.conn = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT)
        self.path = path

    def start(self) -> None:
        self.conn.putrequest("PUT", self.path)
        for name, value in {**OWNER, "Content-Type": "application/octet-stream"}.items():
            self.conn.putheader(name, value)
        self.conn.putheader("Content-Length", str(len(self.data)))
        self.conn.endheaders()
        self.conn.send(self.data[:65536])

    def answered(self, within: float) -> bool:
        """Whether the server has answered already (a refusal does not wait for the body)."""
        sock = self.conn.sock
        assert sock is not None
        readable, _, _ = select.select([sock], [], [], within)
        return bool(readable)

    def finish(self) -> tuple[int, dict[str, Any]]:
        # A server that refused the upload may stop reading; its answer is still there.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.conn.send(self.data[65536:])
        response = self.conn.getresponse()
        body = json.loads(response.read())
        self.conn.close()
        return response.status, body


def test_concurrent_uploads_to_one_blob_have_one_winner_and_intact_data(
    nodes: tuple[Server, Server],
) -> None:
    a = nodes[0]
    for round_ in range(ROUNDS):
        artifact_id = create(a)["id"]
        path = f"/artifacts/images/{artifact_id}/image"
        payloads = [random.Random(f"{round_}-{n}").randbytes(2 * 1024 * 1024) for n in "ab"]
        uploads = [
            _SlowUpload(node, path, data) for node, data in zip(nodes, payloads, strict=True)
        ]

        def race(upload: _SlowUpload, artifact_id: str = artifact_id) -> tuple[int, dict]:
            upload.start()
            deadline = time.monotonic() + TIMEOUT
            while show(a, artifact_id)["image"] is None:  # until one of them has begun
                assert time.monotonic() < deadline, "no upload began"
                time.sleep(0.02)
            # The loser is refused as soon as its server sees the pending upload; the winner's
            # server waits for the rest of its body, which is sent only after this.
            upload.answered(within=2.0)
            return upload.finish()

        results = run_together(*[lambda u=u: race(u) for u in uploads])
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409], results
        winner = next(i for i, (status, _) in enumerate(results) if status == 200)
        loser_body = results[1 - winner][1]
        assert loser_body["error"]["type"] == "Conflict"
        assert "being uploaded" in loser_body["error"]["message"]
        expected = payloads[winner]
        for node in nodes:
            blob = show(node, artifact_id)["image"]
            assert blob["status"] == "active"
            assert blob["size"] == len(expected)
            assert blob["sha256"] == hashlib.sha256(expected).hexdigest()
            got = requests.get(f"{node.url}{path}", headers=OWNER, timeout=TIMEOUT)
            assert got.content == expected
