"""Prometheus metrics: what each request did, counted once per request at the edge.

Everything lives in one :class:`Metrics` object with its own registry, built by ``create_app``,
so importing this module registers nothing and tests can build as many apps as they like.

Under gunicorn every worker is a separate process. ``artifacts serve`` then sets
``PROMETHEUS_MULTIPROC_DIR`` (before any worker imports prometheus-client, which reads it once),
the workers' counters and histograms live in memory-mapped files in that directory, and
``GET /metrics`` merges the files of every worker, live or dead, into one exposition. The
gunicorn ``child_exit`` hook (``api.gunicorn_hooks``) marks a dead worker's files so they are
merged but not grown.

Series (all labelled by the route *template*, never the raw path, so ids do not explode them):

- ``artifacts_http_requests_total{method,route,status}``
- ``artifacts_http_request_duration_seconds{method,route}`` (histogram; the time until the
  response starts, which for a download excludes sending the bytes)
- ``artifacts_blob_bytes_total{direction="in"|"out"}``
- ``artifacts_blob_uploads_total{outcome}``: stored, conflict, too_large, rejected, failed
- ``artifacts_hook_failures_total{type,hook}``: after-hooks of a type that raised (the change
  they followed stays committed; the failure is logged with the request id)
"""

from __future__ import annotations

import os
import time
from typing import Any

import falcon
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Seconds. Dense below 50 ms, where metadata requests are; blob transfers fill the tail.
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
)  # fmt: skip

#: Routes whose PUT is a blob upload and whose GET is a blob download.
BLOB_ROUTES = frozenset(
    {
        "/artifacts/{type_name}/{artifact_id}/{field}",
        "/artifacts/{type_name}/{artifact_id}/{field}/{key:path}",
    }
)
#: Label of requests answered before routing (no such route, identity refused).
UNROUTED = "unrouted"


class Metrics:
    """The service's metric families, registered in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "artifacts_http_requests",
            "HTTP requests answered, by route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "artifacts_http_request_duration_seconds",
            "Time from the request's arrival at the application to its response head.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.blob_bytes = Counter(
            "artifacts_blob_bytes",
            "Blob bytes received in uploads and sent in downloads.",
            ("direction",),
            registry=self.registry,
        )
        self.uploads = Counter(
            "artifacts_blob_uploads",
            "Blob uploads by outcome.",
            ("outcome",),
            registry=self.registry,
        )
        self.hook_failures = Counter(
            "artifacts_hook_failures",
            "After-hooks of artifact types that failed once their change was committed.",
            ("type", "hook"),
            registry=self.registry,
        )
        # Children cached per label set: .labels() takes a lock and hashes its arguments, which
        # shows up at thousands of requests per second.
        self._children: dict[tuple[str, ...], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(*key),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def hook_failed(self, type_name: str, hook: str) -> None:
        self.hook_failures.labels(type_name, hook).inc()

    def exposition(self) -> bytes:
        """Text exposition: every worker's series when running multi-process, else ours."""
        directory = os.environ.get(MULTIPROC_ENV)
        if directory:
            merged = CollectorRegistry()
            MultiProcessCollector(merged, path=directory)  # type: ignore[no-untyped-call]
            return bytes(generate_latest(merged))
        return bytes(generate_latest(self.registry))


def upload_outcome(status: int) -> str:
    if status < 300:
        return "stored"
    if status == 409:
        return "conflict"
    if status == 413:
        return "too_large"
    if status < 500:
        return "rejected"
    return "failed"


class MetricsMiddleware:
    """Time (from ``RequestIdMiddleware``'s start) and count every request; count blob bytes."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        started = req.context.get("started")
        if started is None:
            return
        elapsed = time.perf_counter() - started
        route = req.uri_template or UNROUTED
        status = resp.status_code
        metrics = self._metrics
        metrics.observe(req.method, route, status, elapsed)
        if route not in BLOB_ROUTES:
            return
        received = req.context.get("blob_bytes_in")
        if received:
            metrics.blob_bytes.labels("in").inc(received)
        if req.method == "PUT" and req.context.get("blob_upload"):
            metrics.uploads.labels(upload_outcome(status)).inc()
        elif req.method == "GET" and status in (200, 206) and resp.content_length:
            metrics.blob_bytes.labels("out").inc(int(resp.content_length))


class MetricsResource:
    """``GET /metrics`` in the Prometheus text format."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = self._metrics.exposition()
