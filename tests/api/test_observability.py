"""Request logs, request ids and Prometheus metrics, through the app's routing and middleware."""

from __future__ import annotations

import json
import logging

import falcon.testing
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.request_log import LOGGER_NAME
from tests import factories as fx


def samples(
    client: falcon.testing.TestClient,
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    result = client.simulate_get("/metrics")
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(result.text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_and_status(
    client: falcon.testing.TestClient,
) -> None:
    artifact = fx.create(client)
    fx.show(client, "widgets", artifact["id"])
    assert client.simulate_get("/artifacts/widgets/nope", headers=fx.identity()).status_code == 404
    found = samples(client)
    item = "/artifacts/{type_name}/{artifact_id}"
    assert (
        value(found, "artifacts_http_requests_total", method="GET", route=item, status="200") == 1
    )
    assert (
        value(found, "artifacts_http_requests_total", method="GET", route=item, status="404") == 1
    )
    created = value(
        found, "artifacts_http_requests_total",
        method="POST", route="/artifacts/{type_name}", status="201",
    )  # fmt: skip
    assert created == 1
    latency = value(
        found, "artifacts_http_request_duration_seconds_count", method="GET", route=item
    )
    assert latency == 2
    # Raw paths never become label values: one artifact id per series would never end.
    assert not any(artifact["id"] in str(labels) for _, labels in found)


def test_unrouted_requests_share_one_label(client: falcon.testing.TestClient) -> None:
    client.simulate_get("/no/such/thing")
    client.simulate_get("/another/one")
    found = samples(client)
    unmatched = value(
        found, "artifacts_http_requests_total", method="GET", route="unrouted", status="404"
    )
    assert unmatched == 2


def test_blob_bytes_and_upload_outcomes_are_counted(client: falcon.testing.TestClient) -> None:
    artifact = fx.create(client)
    path = f"/artifacts/widgets/{artifact['id']}/manual"
    headers = {**fx.identity(), "Content-Type": "application/octet-stream"}
    assert client.simulate_put(path, body=b"x" * 1000, headers=headers).status_code == 200
    assert client.simulate_get(path, headers=fx.identity()).status_code == 200
    ranged = client.simulate_get(path, headers={**fx.identity(), "Range": "bytes=0-99"})
    assert ranged.status_code == 206
    too_big = client.simulate_put(path, body=b"x" * (1024 * 1024 + 1), headers=headers)
    assert too_big.status_code == 413
    found = samples(client)
    assert value(found, "artifacts_blob_uploads_total", outcome="stored") == 1
    assert value(found, "artifacts_blob_uploads_total", outcome="too_large") == 1
    assert value(found, "artifacts_blob_bytes_total", direction="out") == 1100
    # The refused upload was turned away on its Content-Length, before its body was read.
    assert value(found, "artifacts_blob_bytes_total", direction="in") == 1000


def test_one_json_line_per_request_with_the_echoed_request_id(
    client: falcon.testing.TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    artifact = fx.create(client, project="p1")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        result = client.simulate_get(
            f"/artifacts/widgets/{artifact['id']}",
            headers={**fx.identity("p1", user="alice"), "X-Request-Id": "trace-42"},
        )
        missing = client.simulate_get("/artifacts/widgets/nope", headers=fx.identity("p1"))
    assert result.headers["X-Request-Id"] == "trace-42"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER_NAME]
    assert len(lines) == 2
    first, second = lines
    assert first["request_id"] == "trace-42"
    assert first["method"] == "GET"
    assert first["path"] == f"/artifacts/widgets/{artifact['id']}"
    assert first["route"] == "/artifacts/{type_name}/{artifact_id}"
    assert (first["status"], first["project"], first["user"]) == (200, "p1", "alice")
    assert first["duration_ms"] >= 0
    assert first["ts"].endswith("Z")
    # A minted id is logged exactly as it was sent back.
    assert second["status"] == 404
    assert second["request_id"] == missing.headers["X-Request-Id"]


def test_a_rejected_identity_is_still_logged_and_counted(
    client: falcon.testing.TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        result = client.simulate_get("/artifacts/widgets", headers={"X-Auth-Token": "garbage"})
    assert result.status_code == 401
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER_NAME]
    assert (line["status"], line["project"]) == (401, None)
    found = samples(client)
    rejected = value(
        found, "artifacts_http_requests_total",
        method="GET", route="unrouted", status="401",
    )  # fmt: skip
    assert rejected == 1
