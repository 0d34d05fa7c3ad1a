"""The client library's own logic, against httpx's mock transport (no server needed)."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from artifacts_client import (
    BadReference,
    Client,
    Conflict,
    DigestMismatch,
    NotFound,
    Patch,
    RetryPolicy,
    ServiceUnavailable,
    TransportError,
    load_profile,
    parse_reference,
)
from artifacts_client.config import ProfileError

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, sleeps: list[float] | None = None, **options: object) -> Client:
    retry = RetryPolicy(sleep=(sleeps if sleeps is not None else []).append, jitter=lambda: 1.0)
    return Client(
        "http://repo.test", transport=httpx.MockTransport(handler), retry=retry, **options
    )


def test_references_parse_every_form() -> None:
    uid = "0b4a7b8e-4a3c-4f0e-9d7e-2b1c3d4e5f60"
    assert parse_reference("images/cirros@^0.6").version_range == "^0.6"
    assert parse_reference("images/cirros").name == "cirros"
    assert parse_reference(f"images/{uid}").artifact_id == uid
    assert parse_reference(uid).type_name is None
    assert str(parse_reference("images/cirros@>=1.0,<2")) == "images/cirros@>=1.0,<2"
    for bad in ["", "cirros", "Images/x", "images/", "images/@1", "images/x@"]:
        with pytest.raises(BadReference):
            parse_reference(bad)


def test_patch_builder_writes_json_pointers() -> None:
    patch = Patch().set("min_ram", 512).set("metadata.os/x", "l").unset("metadata.a").unset("x")
    assert patch.append("tags", "t").status("active").operations == [
        {"op": "replace", "path": "/min_ram", "value": 512},
        {"op": "add", "path": "/metadata/os~1x", "value": "l"},
        {"op": "remove", "path": "/metadata/a"},
        {"op": "replace", "path": "/x", "value": None},
        {"op": "add", "path": "/tags/-", "value": "t"},
        {"op": "replace", "path": "/status", "value": "active"},
    ]


def test_a_503_is_retried_with_back_off_honouring_retry_after() -> None:
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "2"}, json={"title": "busy"}),
            httpx.Response(503, json={}),
            httpx.Response(200, json={"schemas": {"images": {}, "all": {}}}),
        ]
    )
    sleeps: list[float] = []
    client = _client(lambda request: next(answers), sleeps)
    assert client.types() == ["images"]
    assert sleeps == [2.0, 1.0]  # Retry-After, then the doubled back-off (0.5 * 2)


def test_retries_stop_after_the_last_attempt() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, json={"explanation": "database down", "request_id": "req-1"})

    with pytest.raises(ServiceUnavailable) as raised:
        _client(handler).types()
    assert len(calls) == 4
    assert str(raised.value) == "503 database down [req-1]"


def test_a_refused_connection_is_retried_even_for_a_create() -> None:
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"id": "x", "name": "n"})

    assert _client(handler).create("images", "n").id == "x"
    assert attempts == ["POST", "POST"]


def test_a_connection_broken_after_sending_a_create_is_not_retried() -> None:
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        raise httpx.ReadError("reset", request=request)

    with pytest.raises(TransportError):
        _client(handler).create("images", "n")
    assert attempts == ["POST"]


def test_errors_are_typed_by_status_and_keep_the_server_s_details() -> None:
    body = {
        "code": 409,
        "title": "Conflict",
        "explanation": "exists",
        "error": {"type": "duplicate_artifact", "message": "Artifact exists."},
        "request_id": "req-9",
    }
    client = _client(lambda request: httpx.Response(409, json=body))
    with pytest.raises(Conflict) as raised:
        client.create("images", "n")
    assert (raised.value.message, raised.value.error_type) == (
        "Artifact exists.",
        "duplicate_artifact",
    )
    assert raised.value.request_id == "req-9"
    plain = _client(lambda request: httpx.Response(404, text="nothing here"))
    with pytest.raises(NotFound, match="nothing here"):
        plain.get("images", "x")


def test_lists_follow_next_links_and_read_artifacts_or_the_type_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("marker") == "m1":
            return httpx.Response(200, json={"images": [{"id": "3"}]})
        assert request.url.params.get_list("version") == ["^1.2"]
        return httpx.Response(
            200,
            json={
                "artifacts": [{"id": "1"}, {"id": "2"}],
                "next": "/artifacts/images?version=%5E1.2&marker=m1",
            },
        )

    client = _client(handler)
    assert [a.id for a in client.list("images", version="^1.2")] == ["1", "2", "3"]
    assert [a.id for a in client.list("images", version="^1.2", limit=2)] == ["1", "2"]
    assert next(client.list("images", version="^1.2")).type_name == "images"


def test_auth_sends_a_token_or_identity_headers() -> None:
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"versions": []})

    _client(handler, token="art_x").versions()
    _client(handler, project="p1", user="u", roles=["admin", "member"]).versions()
    assert seen[0]["X-Auth-Token"] == "art_x"
    assert "X-Project-Id" not in seen[0]
    assert (seen[1]["X-Project-Id"], seen[1]["X-User-Id"], seen[1]["X-Roles"]) == (
        "p1",
        "u",
        "admin,member",
    )
    assert seen[0]["OpenStack-API-Version"] == "artifact 1.1"


def _blob_server(data: bytes, recorded_sha256: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            received = request.read()
            blob = {
                "status": "active",
                "size": len(received),
                "md5": hashlib.md5(received).hexdigest(),
                "sha1": None,
                "sha256": recorded_sha256,
            }
            return httpx.Response(200, json={"id": "a1", "image": blob})
        start = int(request.headers.get("Range", "bytes=0-")[6:].rstrip("-"))
        headers = {"X-Openstack-Glare-Content-SHA256": recorded_sha256}
        return httpx.Response(206 if start else 200, content=data[start:], headers=headers)

    return handler


def test_uploads_report_progress_and_check_the_recorded_digest() -> None:
    data = b"x" * (3 * 1024 * 1024 + 5)
    progress: list[tuple[int, int | None]] = []
    good = _client(_blob_server(data, hashlib.sha256(data).hexdigest()))
    uploaded = good.upload(
        ("images", "a1"), "image", io.BytesIO(data), progress=lambda *p: progress.append(p)
    )
    assert uploaded.blob("image") is not None
    assert progress[-1] == (len(data), len(data))
    assert len(progress) == 4
    bad = _client(_blob_server(data, "0" * 64))
    with pytest.raises(DigestMismatch, match="sha256"):
        bad.upload(("images", "a1"), "image", data)


def test_downloads_resume_and_refuse_bytes_that_do_not_match(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4096
    target = tmp_path / "out.img"
    (tmp_path / "out.img.part").write_bytes(data[:1000])
    client = _client(_blob_server(data, hashlib.sha256(data).hexdigest()))
    transfer = client.download_file(("images", "a1"), "image", target)
    assert (transfer.resumed_from, target.read_bytes()) == (1000, data)
    assert not (tmp_path / "out.img.part").exists()

    (tmp_path / "again.part").write_bytes(b"not the blob")
    transfer = client.download_file(("images", "a1"), "image", tmp_path / "again")
    assert (transfer.resumed_from, (tmp_path / "again").read_bytes()) == (0, data)

    liar = _client(_blob_server(data, "f" * 64))
    with pytest.raises(DigestMismatch):
        liar.download_file(("images", "a1"), "image", tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_profiles_come_from_the_file_then_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "client.toml"
    config.write_text(
        '[default]\nurl = "http://a.test"\nproject = "p1"\n'
        '[ci]\nurl = "http://b.test"\ntoken = "t"\nroles = ["admin"]\n'
    )
    env = {"ARTIFACTS_CLIENT_CONFIG": str(config)}
    assert load_profile(environ=env).project == "p1"
    ci = load_profile("ci", environ={**env, "ARTIFACTS_URL": "http://c.test"})
    assert (ci.url, ci.token, ci.roles, ci.source) == ("http://c.test", "t", ("admin",), config)
    assert load_profile(environ={**env, "ARTIFACTS_PROFILE": "ci"}).token == "t"
    assert load_profile(environ=env, overrides={"url": "http://d.test"}).url == "http://d.test"
    with pytest.raises(ProfileError, match=r"no profile \[nope\]"):
        load_profile("nope", environ=env)
    config.write_text('[default]\nurl = "x"\npassword = "y"\n')
    with pytest.raises(ProfileError, match="unknown keys password"):
        load_profile(environ=env)
    assert load_profile(environ={"ARTIFACTS_CLIENT_CONFIG": str(tmp_path / "none")}).url == (
        "http://127.0.0.1:9494"
    )


def test_json_bodies_are_sent_as_json() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Content-Type"] == "application/json-patch+json"
        assert json.loads(request.read()) == [
            {"op": "replace", "path": "/status", "value": "active"}
        ]
        return httpx.Response(200, json={"id": "a1", "status": "active"})

    assert _client(handler).activate(("images", "a1")).status == "active"
