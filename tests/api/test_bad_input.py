"""Input the databases cannot store, or the code cannot walk, is a 400 with our error body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import falcon.testing
import pytest

from tests import factories as fx
from tests.api.test_blobs import OWNER, path, put

NUL = "a\x00b"
SURROGATE = "a\ud800b"
JSON = {"Content-Type": "application/json"}


def _bad_request(result: falcon.testing.Result) -> None:
    assert result.status_code == 400, result.text
    assert result.json["code"] == 400
    assert result.json["error"]["type"]


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_unstorable_strings_in_bodies_are_400(
    client: falcon.testing.TestClient, widget: dict, bad: str
) -> None:
    create = client.simulate_post(
        "/artifacts/widgets", body=json.dumps({"name": bad}), headers={**OWNER, **JSON}
    )
    _bad_request(create)
    _bad_request(client.simulate_post(
        "/artifacts/widgets", body=json.dumps({"name": "w", bad: 1}), headers={**OWNER, **JSON}
    ))  # fmt: skip
    _bad_request(fx.patch(client, "widgets", widget["id"], [fx.replace("notes", bad)]))
    _bad_request(fx.patch(client, "widgets", widget["id"], [fx.replace("labels", {bad: "x"})]))


@pytest.mark.parametrize("where", ["path", "marker", "filter", "sort", "header"])
def test_nul_in_ids_markers_filters_and_headers_is_400(
    client: falcon.testing.TestClient, widget: dict, where: str
) -> None:
    if where == "path":
        result = client.simulate_get("/artifacts/widgets/a%00b", headers=OWNER)
    elif where == "header":
        result = client.simulate_get("/artifacts/widgets", headers={**OWNER, "X-User-Id": NUL})
    else:
        name = {"marker": "marker", "filter": "name", "sort": "sort"}[where]
        result = client.simulate_get(
            "/artifacts/widgets", query_string=f"{name}=a%00b", headers=OWNER
        )
    _bad_request(result)


def test_over_long_query_values_are_400_with_the_limit(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get(
        "/artifacts/widgets", query_string="name=" + "x" * 5000, headers=OWNER
    )
    _bad_request(result)
    assert "4096" in result.json["error"]["message"]


def test_deep_bodies_and_patch_values_are_400(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    deep = client.simulate_post(
        "/artifacts/widgets",
        body=json.dumps({"name": "w", "labels": _nested(40)}),
        headers={**OWNER, **JSON},
    )
    _bad_request(deep)
    assert "32 levels" in deep.json["error"]["message"]
    for depth in (40, 600, 900):
        result = fx.patch(client, "widgets", widget["id"], [fx.replace("labels", _nested(depth))])
        _bad_request(result)


@pytest.mark.parametrize("value", [["active"], {"status": "active"}, [], 5])
def test_status_patched_to_a_non_string_is_400(
    client: falcon.testing.TestClient, widget: dict, value: Any
) -> None:
    _bad_request(fx.patch(client, "widgets", widget["id"], [fx.replace("status", value)]))


@pytest.mark.parametrize(
    "member", ["a/b", "a\r\nX-Injected: 1", NUL, SURROGATE, "x" * 256, "a b", "p?x"]
)
def test_member_ids_must_be_project_ids(
    client: falcon.testing.TestClient, widget: dict, member: str
) -> None:
    assert fx.patch(
        client, "widgets", widget["id"], [fx.replace("status", "active")]
    ).status_code == 200  # fmt: skip
    shared = fx.patch(client, "widgets", widget["id"], [fx.replace("visibility", "shared")])
    assert shared.status_code == 200, shared.text
    result = client.simulate_post(
        f"/artifacts/widgets/{widget['id']}/members",
        body=json.dumps({"member": member}),
        headers={**OWNER, **JSON},
    )
    _bad_request(result)


@pytest.mark.parametrize("project", ["a/b", "a b", "x" * 256])
def test_malformed_project_headers_are_400(client: falcon.testing.TestClient, project: str) -> None:
    _bad_request(client.simulate_get("/artifacts/widgets", headers={"X-Project-Id": project}))


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "9" * 5000,
        "bytes=" + "0" * 5000 + "1-2",
    ],
)
def test_huge_range_numbers_are_answered_not_crashed(
    client: falcon.testing.TestClient, widget: dict, header: str
) -> None:
    assert put(client, path(widget), b"0123456789").status_code == 200
    result = client.simulate_get(path(widget), headers={**OWNER, "Range": header})
    assert result.status_code in (200, 206, 416), result.text


def test_a_huge_range_start_is_416_and_a_huge_end_is_clamped(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    assert put(client, path(widget), b"0123456789").status_code == 200
    start = client.simulate_get(path(widget), headers={**OWNER, "Range": f"bytes={'9' * 5000}-"})
    assert start.status_code == 416
    end = client.simulate_get(path(widget), headers={**OWNER, "Range": f"bytes=2-{'9' * 5000}"})
    assert (end.status_code, end.content) == (206, b"23456789")


class _Chunked:
    """A body without Content-Length, as gunicorn hands over a chunked request."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        size = len(self._data) if size < 0 else size
        out, self._data = self._data[:size], self._data[size:]
        return out

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return [self.read()]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readlines())


def _chunked(data: bytes) -> dict[str, Any]:
    return {"wsgi.input": _Chunked(data), "wsgi.input_terminated": True}


def test_chunked_json_bodies_are_read(client: falcon.testing.TestClient) -> None:
    body = json.dumps({"name": "chunked", "serial": "AB-1234"}).encode()
    result = client.simulate_post(
        "/artifacts/widgets", headers={**OWNER, **JSON}, extras=_chunked(body)
    )
    assert result.status_code == 201, result.text
    assert result.json["name"] == "chunked"


def test_chunked_json_bodies_are_bounded_by_max_json_body(
    client: falcon.testing.TestClient,
) -> None:
    body = json.dumps({"name": "x", "notes": "y" * (1024 * 1024)}).encode()
    result = client.simulate_post(
        "/artifacts/widgets", headers={**OWNER, **JSON}, extras=_chunked(body)
    )
    assert result.status_code == 413, result.text
