"""A bounded fuzzer: random and malformed requests to every route, on both databases; no 5xx.

Each example sends a few requests built from pieces that are often right (real ids, field
names, media types) and often wrong in the ways clients and attackers are wrong: NUL
characters, lone surrogates, huge numbers, deep JSON, wrong JSON types, broken patches,
percent-encoded garbage in ids, odd headers. Every answer must be below 500; a 5xx is a bug
(the database and store are up throughout). The budget is fixed (``FUZZ_EXAMPLES`` examples
of ``REQUESTS_PER_EXAMPLE`` requests per database), so CI time stays bounded.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote, urlencode

import falcon.testing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as fx
from tests.api.test_blobs import OWNER

FUZZ_EXAMPLES = int(os.environ.get("ARTIFACTS_FUZZ_EXAMPLES", "400"))
REQUESTS_PER_EXAMPLE = 4

TYPES = ["widgets", "gadgets", "images", "heat_templates", "all", "nope"]
FIELDS = ["manual", "attachments", "name", "status", "labels", "members", "image", "x"]
NASTY_TEXT = ["\x00", "\ud800", "\udfff", "a\x00b", "é", "\u202e", "../..", "%", "🙂", " ", ""]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
QUERY_KEYS = [
    "limit", "marker", "sort", "name", "version", "tags", "status", "owner", "visibility",
    "total_count", "member_status", "colour", "size", "created_at", "id", "labels.a", "x",
]  # fmt: skip
QUERY_VALUES = [
    "1", "0", "-1", "9" * 30, "in:a,b", "gt:1", "lte:2.0.0", "eq:", "neq:x", "like:%",
    "name:asc", "size:desc,name", "true", "false", "latest", "^1.2", "~1.0", ">=1.0.0 <2",
    "2026-01-01T00:00:00Z", "pending", "all",
]  # fmt: skip
CONTENT_TYPES = [
    "application/json",
    "application/json-patch+json",
    "application/vnd+openstack.glare-custom-location+json",
    "application/octet-stream",
    "text/plain",
    "",
]

text = st.text(max_size=40) | st.sampled_from(NASTY_TEXT)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def patch_operations(draw: st.DrawFn) -> Any:
    op = draw(st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]))
    field = draw(st.sampled_from([*FIELDS, "tags", "metadata", "visibility", "version", "id"]))
    suffix = draw(st.sampled_from(["", "/a", "/-", "/0", "/~1", "/" + "9" * 30]))
    operation: dict[str, Any] = {"op": op, "path": f"/{field}{suffix}"}
    if draw(st.booleans()):
        operation["value"] = draw(
            json_values | st.sampled_from([_deep(40), _deep(600), "active", ["active"]])
        )
    if op in ("move", "copy"):
        operation["from"] = draw(st.sampled_from(["/name", "/tags", "/x", "", "/labels/a"]))
    return draw(st.sampled_from([[operation], operation, [operation, operation], "x"]))


@st.composite
def segments(draw: st.DrawFn, known: list[str]) -> str:
    """A path segment: a real value most of the time, garbage the rest, percent-encoded."""
    raw = draw(st.sampled_from(known) | text | st.sampled_from(["9" * 5000, "x" * 300]))
    return quote(raw.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def requests_(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    type_name = draw(segments(TYPES))
    artifact = draw(segments(ids))
    field = draw(segments(FIELDS))
    path = draw(
        st.sampled_from(
            [
                "/", "/versions", "/healthz", "/readyz", "/metrics", "/schemas",
                f"/schemas/{type_name}",
                f"/artifacts/{type_name}",
                f"/artifacts/{type_name}/{artifact}",
                f"/artifacts/{type_name}/{artifact}/members",
                f"/artifacts/{type_name}/{artifact}/members/{draw(segments(['p2', 'p1']))}",
                f"/artifacts/{type_name}/{artifact}/{field}",
                f"/artifacts/{type_name}/{artifact}/{field}/{draw(segments(['a', 'a/b']))}",
                f"/artifacts/all/{artifact}",
            ]
        )
    )  # fmt: skip
    query = draw(
        st.lists(
            st.tuples(st.sampled_from(QUERY_KEYS), st.sampled_from(QUERY_VALUES) | text), max_size=3
        )
    )
    headers = dict(
        draw(
            st.sampled_from(
                [
                    OWNER,
                    fx.identity("p2"),
                    fx.ADMIN,
                    {},
                    {"X-Project-Id": "a/b"},
                    {"X-Roles": "admin"},
                ]
            )
        )
    )
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type:
        headers["Content-Type"] = content_type
    if draw(st.booleans()):
        headers["Range"] = draw(
            st.sampled_from(
                ["bytes=0-1", "bytes=-5", "bytes=9-1", "bytes=" + "9" * 5000 + "-", "x"]
            )
        )
    body_kind = draw(st.sampled_from(["none", "json", "patch", "bytes", "location", "member"]))
    body: bytes | None
    if body_kind == "json":
        body = json.dumps(draw(json_values | st.sampled_from([_deep(50)]))).encode()
    elif body_kind == "patch":
        body = json.dumps(draw(patch_operations())).encode()
    elif body_kind == "bytes":
        body = draw(st.binary(max_size=64))
    elif body_kind == "location":
        url = draw(
            st.sampled_from(
                [
                    "http://example.com/a",
                    "http://127.0.0.1/a",
                    "http://[::1]/",
                    "ftp://x",
                    "http://a\r\nb",
                ]
            )
            | text
        )
        body = json.dumps({"url": url, "md5": draw(st.sampled_from(["a" * 32, "zz", 1]))}).encode()
    elif body_kind == "member":
        body = json.dumps(
            {draw(st.sampled_from(["member", "status", "x"])): draw(json_values)}
        ).encode()
    else:
        body = None
    return {
        "method": draw(st.sampled_from(METHODS)),
        "path": path,
        "query_string": urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in query]),
        "headers": headers,
        "body": body,
    }


@pytest.fixture
def known_ids(client: falcon.testing.TestClient) -> list[str]:
    """Artifacts in every state the fuzzer should meet: drafted, active with blobs, shared."""
    drafted = fx.create(client, "widgets", name="fuzz", serial="AB-1234")
    blobbed = fx.create(client, "widgets", name="fuzz2", serial="AB-1234")
    client.simulate_put(
        f"/artifacts/widgets/{blobbed['id']}/manual",
        body=b"0123456789",
        headers={**OWNER, "Content-Type": "application/x-test"},
    )
    fx.patch(client, "widgets", blobbed["id"], [fx.replace("status", "active")])
    shared = fx.patch(client, "widgets", blobbed["id"], [fx.replace("visibility", "shared")])
    assert shared.status_code == 200, shared.text
    gadget = fx.create(client, "gadgets", name="g")
    return [drafted["id"], blobbed["id"], gadget["id"], "00000000-0000-0000-0000-000000000000"]


def test_no_request_answers_5xx(
    client: falcon.testing.TestClient, known_ids: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    sent: list[tuple[int, str, str]] = []

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        st.lists(requests_(known_ids), min_size=REQUESTS_PER_EXAMPLE, max_size=REQUESTS_PER_EXAMPLE)
    )
    def fuzz(batch: list[dict[str, Any]]) -> None:
        for request in batch:
            result = client.simulate_request(**request)
            sent.append((result.status_code, request["method"], request["path"]))
            assert result.status_code < 500, (request, result.text)

    fuzz()
    errors = [s for s in sent if s[0] >= 500]
    with capsys.disabled():
        print(f"\nfuzz: {len(sent)} requests, {len(errors)} answered 5xx")
    assert errors == []
    assert len(sent) >= FUZZ_EXAMPLES * REQUESTS_PER_EXAMPLE
