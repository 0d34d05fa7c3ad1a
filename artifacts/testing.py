"""A pytest plugin for type-plugin authors: the service with your type, in-process or real.

Enable it in your tests' ``conftest.py``::

    pytest_plugins = ["artifacts.testing"]

Fixtures:

- ``artifact_types``: the type classes served; by default every installed ``artifacts.types``
  entry point (so your installed package's type). Override it to serve classes directly.
- ``artifacts_settings``: the settings (SQLite and blobs under the test's ``tmp_path``).
- ``artifacts_app``: an :class:`ArtifactsClient` talking to the service in-process (falcon's
  test client around the real app, services and database): fast, for most tests.
- ``artifacts_server``: an :class:`ArtifactsClient` talking over HTTP to ``artifacts serve``
  (gunicorn) started on a free loopback port with the installed plugins: for what only a real
  server shows (streaming, workers, entry points). Started once per module.

Both clients speak as project ``tests`` unless told otherwise, and answer :class:`Reply`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.devserver import run_server
from artifacts.engine.registry import TypeRegistry, discover_types
from artifacts.engine.services import build_services
from artifacts.model.base import BaseArtifact

#: The identity both clients send by default (the trusted-headers auth mode).
DEFAULT_IDENTITY = {"X-Project-Id": "tests", "X-User-Id": "tester"}
JSON_PATCH = "application/json-patch+json"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ArtifactsClient:
    """The API calls a plugin's tests make, over one transport (in-process or HTTP)."""

    def __init__(self, identity: Mapping[str, str] | None = None) -> None:
        self.identity = dict(DEFAULT_IDENTITY if identity is None else identity)

    def request(
        self, method: str, path: str, *, body: bytes = b"", headers: Mapping[str, str] = {}
    ) -> Reply:
        raise NotImplementedError

    def create(self, type_name: str, **fields: Any) -> Reply:
        return self._json("POST", f"/artifacts/{type_name}", fields, "application/json")

    def show(self, type_name: str, artifact_id: str) -> Reply:
        return self.request("GET", f"/artifacts/{type_name}/{artifact_id}", headers=self.identity)

    def list(self, type_name: str, query: str = "") -> Reply:
        path = f"/artifacts/{type_name}" + (f"?{query}" if query else "")
        return self.request("GET", path, headers=self.identity)

    def update(self, type_name: str, artifact_id: str, **fields: Any) -> Reply:
        """PATCH the fields to new values (``replace`` operations)."""
        operations = [
            {"op": "replace", "path": f"/{name}", "value": value} for name, value in fields.items()
        ]
        return self._json("PATCH", f"/artifacts/{type_name}/{artifact_id}", operations, JSON_PATCH)

    def activate(self, type_name: str, artifact_id: str) -> Reply:
        return self.update(type_name, artifact_id, status="active")

    def upload(
        self,
        type_name: str,
        artifact_id: str,
        blob: str,
        data: bytes,
        content_type: str = "application/octet-stream",
    ) -> Reply:
        headers = {**self.identity, "Content-Type": content_type}
        path = f"/artifacts/{type_name}/{artifact_id}/{blob}"
        return self.request("PUT", path, body=data, headers=headers)

    def download(self, type_name: str, artifact_id: str, blob: str) -> Reply:
        path = f"/artifacts/{type_name}/{artifact_id}/{blob}"
        return self.request("GET", path, headers=self.identity)

    def delete(self, type_name: str, artifact_id: str) -> Reply:
        path = f"/artifacts/{type_name}/{artifact_id}"
        return self.request("DELETE", path, headers=self.identity)

    def _json(self, method: str, path: str, document: Any, content_type: str) -> Reply:
        headers = {**self.identity, "Content-Type": content_type}
        return self.request(method, path, body=json.dumps(document).encode(), headers=headers)


class InProcessClient(ArtifactsClient):
    def __init__(self, app: Any, identity: Mapping[str, str] | None = None) -> None:
        super().__init__(identity)
        self._client = falcon.testing.TestClient(app)

    def request(
        self, method: str, path: str, *, body: bytes = b"", headers: Mapping[str, str] = {}
    ) -> Reply:
        path, _, query = path.partition("?")
        result = self._client.simulate_request(
            method, path, query_string=query or None, body=body or None, headers=dict(headers)
        )
        return Reply(result.status_code, result.content, dict(result.headers))


class HTTPClient(ArtifactsClient):
    def __init__(self, url: str, identity: Mapping[str, str] | None = None) -> None:
        super().__init__(identity)
        self.url = url

    def request(
        self, method: str, path: str, *, body: bytes = b"", headers: Mapping[str, str] = {}
    ) -> Reply:
        request = urllib.request.Request(
            self.url + path, data=body or None, headers=dict(headers), method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # loopback only
                return Reply(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), dict(error.headers))


@pytest.fixture
def artifact_types() -> Sequence[type[BaseArtifact]]:
    """The types to serve in-process: every installed plugin's, unless a test says otherwise."""
    return discover_types()


@pytest.fixture
def artifacts_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "artifacts")


@pytest.fixture
def artifacts_app(
    artifacts_settings: Settings, artifact_types: Sequence[type[BaseArtifact]]
) -> Iterator[ArtifactsClient]:
    """The service in-process, on a fresh SQLite database, serving ``artifact_types``."""
    artifacts_settings.data_dir.mkdir(parents=True, exist_ok=True)
    services = build_services(
        artifacts_settings, types=TypeRegistry(artifact_types), upgrade_schema=True
    )
    try:
        yield InProcessClient(create_app(artifacts_settings, services))
    finally:
        services.close()


@pytest.fixture(scope="module")
def artifacts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArtifactsClient]:
    """``artifacts serve`` (gunicorn) with the installed plugins, on a fresh SQLite database."""
    server = run_server(tmp_path_factory.mktemp("artifacts-server"))
    try:
        yield HTTPClient(server.url)
    finally:
        server.stop()
