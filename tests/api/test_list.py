"""Listing through HTTP: filters, sorting, keyset pagination, visibility and the envelope."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import build_services
from tests.factories import (
    ADMIN,
    activate,
    assert_error,
    create,
    identity,
    list_ids,
    patch,
    publish,
    replace,
)

SERIAL = "AB-1234"
WIDGETS = "/artifacts/widgets"


def names(
    client: falcon.testing.TestClient,
    query: str = "",
    headers: dict[str, str] | None = None,
    path: str = WIDGETS,
) -> list[str]:
    """List and return the artifacts' names, in the order the server gave them."""
    result = client.simulate_get(
        path, query_string=query, headers=headers if headers is not None else identity()
    )
    assert result.status_code == 200, result.text
    return [item["name"] for item in result.json["artifacts"]]


def seed(
    client: falcon.testing.TestClient, type_name: str = "widgets", **artifacts: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Create artifacts named after the keyword arguments, in order; return them by name."""
    return {
        name: create(client, type_name, name=name, **fields) for name, fields in artifacts.items()
    }


def make_public(client: falcon.testing.TestClient, artifact_id: str, project: str) -> None:
    activate(client, "widgets", artifact_id, identity(project))
    result = patch(client, "widgets", artifact_id, [replace("visibility", "public")], ADMIN)
    assert result.status_code == 200, result.text


def walk(
    client: falcon.testing.TestClient,
    path: str,
    query: str,
    headers: dict[str, str] | None = None,
) -> list[list[str]]:
    """Follow ``next`` links from the first page; return the ids of every page."""
    pages: list[list[str]] = []
    url: str | None = f"{path}?{query}"
    while url is not None:
        assert len(pages) < 100, "pagination does not end"
        parts = urlsplit(url)
        result = client.simulate_get(
            parts.path,
            query_string=parts.query,
            headers=headers if headers is not None else identity(),
        )
        assert result.status_code == 200, result.text
        pages.append([item["id"] for item in result.json["artifacts"]])
        url = result.json.get("next")
    return pages


# --- filters -----------------------------------------------------------------------------------


@pytest.fixture
def catalogue(client: falcon.testing.TestClient) -> dict[str, dict[str, Any]]:
    """Four widgets (a, b, c, d created in that order) with values to filter on; a is active."""
    made = seed(
        client,
        a={
            "version": "1.9.0",
            "colour": "red",
            "size": 1,
            "weight": 1.5,
            "fragile": True,
            "made_at": "2025-01-01T00:00:00Z",
            "api_version": "1.9.0",
            "tags": ["x", "y"],
            "metadata": {"os": "linux", "arch": "arm"},
            "labels": {"tier": "gold"},
            "counts": {"n": 1},
            "serial": SERIAL,
        },
        b={
            "version": "1.10.0",
            "colour": "green",
            "size": 5,
            "weight": 10.25,
            "made_at": "2025-06-01T00:00:00Z",
            "api_version": "1.10.0",
            "tags": ["x"],
            "metadata": {"os": "bsd"},
            "labels": {"tier": "silver"},
            "counts": {"n": 10},
        },
        c={
            "version": "1.0.0-rc.1",
            "colour": "blue",
            "size": 10,
            "weight": 2.0,
            "made_at": "2026-01-01T00:00:00Z",
            "api_version": "2.0.0-beta",
            "tags": ["y", "z"],
            "metadata": {"os": "linux", "arch": "x86"},
            "counts": {"n": 2},
        },
        d={"version": "0.9.0", "metadata": {"os": "plan9"}},
    )
    made["a"] = activate(client, "widgets", made["a"]["id"])
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # common fields
        ("name=a", "a"),
        ("name=eq:a", "a"),
        ("name=neq:a", "bcd"),
        ("name=in:a,c,zz", "ac"),
        ("status=drafted", "bcd"),
        ("status=active", "a"),
        ("status=neq:active", "bcd"),
        ("status=in:active,deactivated", "a"),
        ("owner=p1", "abcd"),
        ("visibility=private", "abcd"),
        # versions compare by SemVer precedence: 0.9.0 < 1.0.0-rc.1 < 1.9.0 < 1.10.0
        ("version=1.9", "a"),
        ("version=neq:1.9.0", "bcd"),
        ("version=gt:1.9.0", "b"),
        ("version=gte:1.9.0", "ab"),
        ("version=lt:1.10.0", "acd"),
        ("version=lt:1.0.0", "cd"),
        ("version=lte:1", "cd"),
        ("version=gte:1.0.0-rc.1", "abc"),
        ("version=gt:1.0.0-rc.0", "abc"),
        ("version=in:1.9,0.9", "ad"),
        # integer
        ("size=5", "b"),
        ("size=gt:1", "bc"),
        ("size=gte:5", "bc"),
        ("size=lt:10", "ab"),
        ("size=lte:1", "a"),
        ("size=in:1,10", "ac"),
        # float
        ("weight=1.5", "a"),
        ("weight=gt:2", "b"),
        ("weight=gte:2", "bc"),
        ("weight=lt:2", "a"),
        ("weight=lte:10.25", "abc"),
        ("weight=in:1.5,2", "ac"),
        # boolean
        ("fragile=true", "a"),
        ("fragile=false", "bcd"),
        ("fragile=FALSE", "bcd"),
        ("fragile=neq:true", "bcd"),
        # string
        ("colour=red", "a"),
        ("colour=in:red,blue", "ac"),
        # datetime (type-specific)
        ("made_at=2025-06-01T00:00:00Z", "b"),
        ("made_at=eq:2025-06-01T00:00:00", "b"),
        ("made_at=gt:2025-01-01T00:00:00Z", "bc"),
        ("made_at=gte:2025-01-01T00:00:00Z", "abc"),
        ("made_at=lt:2025-12-31T00:00:00Z", "ab"),
        ("made_at=lte:2025-06-01T00:00:00Z", "ab"),
        ("made_at=gte:" + quote("2025-06-01T02:00:00+02:00"), "bc"),
        # version (type-specific)
        ("api_version=gt:1.9.0", "bc"),
        ("api_version=lt:2.0.0", "abc"),
        ("api_version=gte:2.0.0-alpha", "c"),
        ("api_version=1.10", "b"),
        # tags
        ("tags=x", "ab"),
        ("tags=z", "c"),
        ("tags=nope", ""),
        ("tags=x&tags=y", "a"),
        ("tags=x,y", "a"),
        ("tags-any=x,z", "abc"),
        ('tags="y",z', "c"),
        ("tags=", "abcd"),
        ("tags-any=", ""),
        ("tags-any=y,z", "ac"),
        # dict values by key
        ("metadata.os=linux", "ac"),
        ("metadata.os=neq:linux", "bd"),
        ("metadata.os=in:bsd,plan9", "bd"),
        ("metadata.arch=arm", "a"),
        ("labels.tier=gold", "a"),
        ("labels.tier=in:gold,silver", "ab"),
        ("counts.n=gt:2", "b"),
        ("counts.n=lte:2", "ac"),
        ("counts.n=10", "b"),
        ("counts.n=in:1,10", "ab"),
        # dict keys
        ("metadata=arch", "ac"),
        ("metadata=eq:os", "abcd"),
        ("metadata=in:arch,none", "ac"),
        ("labels=tier", "ab"),
        ("counts=n", "abc"),
        # repeated and combined filters are AND-ed
        ("size=gt:1&size=lt:10", "b"),
        ("name=a&name=b", ""),
        ("colour=in:red,green&fragile=false", "b"),
        ("tags=x&metadata.os=linux", "a"),
        ("version=gte:1.0.0&tags=y&status=active", "a"),
    ],
)
def test_filters(
    client: falcon.testing.TestClient,
    catalogue: dict[str, dict[str, Any]],
    query: str,
    expected: str,
) -> None:
    assert names(client, f"{query}&sort=name:asc") == list(expected)


def test_filter_by_id(
    client: falcon.testing.TestClient, catalogue: dict[str, dict[str, Any]]
) -> None:
    a, c = catalogue["a"]["id"], catalogue["c"]["id"]

    assert names(client, f"id={a}") == ["a"]
    assert names(client, f"id=in:{a},{c}&sort=name:asc") == ["a", "c"]


@pytest.mark.parametrize(
    "condition",
    ["eq:b", "gt:a", "gte:b", "lt:c", "lte:c"],
)
@pytest.mark.parametrize("offset", [0, 2, -5], ids=["utc", "plus2", "minus5"])
def test_filter_by_creation_time(
    client: falcon.testing.TestClient,
    catalogue: dict[str, dict[str, Any]],
    condition: str,
    offset: int,
) -> None:
    """Artifacts a, b, c, d were created in that order; times in any offset mean one instant."""
    op, anchor = condition.split(":")
    instant = dt.datetime.fromisoformat(catalogue[anchor]["created_at"])
    value = instant.astimezone(dt.timezone(dt.timedelta(hours=offset))).isoformat()
    expected = {
        "eq": [anchor],
        "gt": [n for n in "abcd" if n > anchor],
        "gte": [n for n in "abcd" if n >= anchor],
        "lt": [n for n in "abcd" if n < anchor],
        "lte": [n for n in "abcd" if n <= anchor],
    }[op]

    assert names(client, f"created_at={op}:{quote(value)}&sort=name:asc") == expected


@pytest.mark.parametrize(
    ("query", "error_type"),
    [
        ("flavour=x", "BadRequest"),
        ("manual=x", "BadRequest"),
        ("attachments=x", "BadRequest"),
        ("flavour.key=x", "BadRequest"),
        ("description=x", "BadRequest"),
        ("colour=gt:red", "BadRequest"),
        ("name=lt:b", "BadRequest"),
        ("fragile=gt:true", "BadRequest"),
        ("fragile=in:true,false", "BadRequest"),
        ("parent=in:x", "BadRequest"),
        ("tags=gt:x", "BadRequest"),
        ("tags=neq:x", "BadRequest"),
        ("metadata=gt:os", "BadRequest"),
        ("colour.key=red", "BadRequest"),
        ("labels.tier=gt:gold", "BadRequest"),
        ("size=abc", "BadRequest"),
        ("size=1.5", "BadRequest"),
        ("size=gt:", "BadRequest"),
        ("size=in:1,,2", "BadRequest"),
        ("size=gt:99999999999999999999999", "BadRequest"),
        ("made_at=gt:9999-12-31T23:59:59-05:00", "BadRequest"),
        ("weight=heavy", "BadRequest"),
        ("fragile=maybe", "BadRequest"),
        ("made_at=yesterday", "BadRequest"),
        ("created_at=gt:yesterday", "BadRequest"),
        ("api_version=one", "BadRequest"),
        ("version=gt:abc", "BadRequest"),
        ("counts.n=many", "BadRequest"),
    ],
)
def test_bad_filters_are_400(
    client: falcon.testing.TestClient, query: str, error_type: str
) -> None:
    create(client, name="a", size=1)

    body = assert_error(client.simulate_get(WIDGETS, query_string=query, headers=identity()), 400)

    assert body["error"]["type"] == error_type


@pytest.mark.parametrize("key", ["a.b", 'we"ird', "it's", "back\\slash", "with space", "ünï"])
def test_dict_keys_with_punctuation_filter_like_any_other(
    client: falcon.testing.TestClient, key: str
) -> None:
    seed(client, hit={"metadata": {key: "v"}}, miss={"metadata": {"other": "v"}})

    assert names(client, f"metadata={quote(key)}") == ["hit"]
    assert names(client, f"metadata.{quote(key)}=v") == ["hit"]


def test_integers_beyond_32_bits_filter_and_sort(client: falcon.testing.TestClient) -> None:
    big = 3_000_000_000
    seed(client, "images", small={"min_ram": 1}, large={"min_ram": big})
    seed(client, big={"counts": {"n": big}}, little={"counts": {"n": 2}})
    images = "/artifacts/images"

    assert names(client, f"min_ram=gt:{2**31}", path=images) == ["large"]
    assert names(client, "sort=min_ram:desc", path=images) == ["large", "small"]
    assert names(client, f"counts.n={big}") == ["big"]
    assert names(client, "counts.n=gt:2&sort=name:asc") == ["big"]


# --- sorting -----------------------------------------------------------------------------------


def test_default_order_is_newest_first(client: falcon.testing.TestClient) -> None:
    seed(client, b={}, a={}, c={})

    assert names(client) == ["c", "a", "b"]
    assert names(client, path="/artifacts/all") == ["c", "a", "b"]


def test_sort_direction_defaults_to_descending(client: falcon.testing.TestClient) -> None:
    seed(client, b={}, a={}, c={})

    assert names(client, "sort=name") == ["c", "b", "a"]
    assert names(client, "sort=name:asc") == ["a", "b", "c"]
    assert names(client, "sort=name:desc") == ["c", "b", "a"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("colour:asc,size:desc", ["b7", "b2", "g5", "r3", "r1"]),
        ("colour:desc,size:asc", ["r1", "r3", "g5", "b2", "b7"]),
        ("size:asc", ["r1", "b2", "r3", "g5", "b7"]),
        ("weight:asc", ["b2", "r3", "b7", "r1", "g5"]),
        ("weight:desc,name:asc", ["g5", "r1", "b7", "r3", "b2"]),
        ("made_at:asc", ["g5", "b7", "r1", "r3", "b2"]),
        ("api_version:asc", ["b2", "r1", "g5", "r3", "b7"]),
        ("api_version:desc", ["b7", "r3", "g5", "r1", "b2"]),
    ],
)
def test_sort_on_type_specific_fields(
    client: falcon.testing.TestClient, sort: str, expected: list[str]
) -> None:
    columns = ("colour", "size", "weight", "made_at", "api_version")
    rows = {
        "r1": ("red", 1, 10.0, "2025-03-01T00:00:00Z", "1.9.0"),
        "r3": ("red", 3, 2.0, "2025-03-02T00:00:00Z", "1.10.0"),
        "b2": ("blue", 2, 1.5, "2025-03-03T00:00:00Z", "1.0.0"),
        "g5": ("green", 5, 10.25, "2025-01-01T00:00:00Z", "1.10.0-rc.1"),
        "b7": ("blue", 7, 9.5, "2025-02-01T00:00:00+00:00", "2.0.0"),
    }
    for name, row in rows.items():
        create(client, name=name, **dict(zip(columns, row, strict=True)))

    assert names(client, f"sort={sort}") == expected


SEMVER_ORDER = [
    "0.9.0",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.2.0",
    "1.9.0",
    "1.10.0",
    "2.0.0",
    "10.0.0",
]


def test_sort_by_version_follows_semver_precedence(client: falcon.testing.TestClient) -> None:
    for version in sorted(SEMVER_ORDER):  # created in plain string order
        create(client, name="v", version=version)

    def versions(query: str) -> list[str]:
        result = client.simulate_get(WIDGETS, query_string=query, headers=identity())
        assert result.status_code == 200, result.text
        return [item["version"] for item in result.json["artifacts"]]

    assert versions("sort=version:asc") == SEMVER_ORDER
    assert versions("sort=version:desc") == SEMVER_ORDER[::-1]


def test_sort_on_several_keys(client: falcon.testing.TestClient) -> None:
    for name, version in [("b", "1.9.0"), ("a", "1.10.0"), ("b", "1.10.0"), ("a", "1.9.0")]:
        create(client, name=name, version=version)

    result = client.simulate_get(
        WIDGETS, query_string="sort=name:asc,version:desc", headers=identity()
    )

    assert [(i["name"], i["version"]) for i in result.json["artifacts"]] == [
        ("a", "1.10.0"),
        ("a", "1.9.0"),
        ("b", "1.10.0"),
        ("b", "1.9.0"),
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("size:asc", ["none", "one", "two"]), ("size:desc", ["two", "one", "none"])],
)
def test_missing_values_sort_as_the_smallest(
    client: falcon.testing.TestClient, sort: str, expected: list[str]
) -> None:
    seed(client, one={"size": 1}, none={}, two={"size": 2})

    assert names(client, f"sort={sort}") == expected


@pytest.mark.parametrize(
    ("sort", "error_type"),
    [
        ("description", "BadRequest"),
        ("tags:asc", "BadRequest"),
        ("metadata", "BadRequest"),
        ("fragile:asc", "BadRequest"),
        ("parts", "BadRequest"),
        ("labels", "BadRequest"),
        ("manual", "BadRequest"),
        ("flavour", "BadRequest"),
        ("name:up", "BadRequest"),
        ("", "BadRequest"),
        ("name:ASC", "BadRequest"),
        ("name:asc,,size", "BadRequest"),
    ],
)
def test_bad_sort_is_400(client: falcon.testing.TestClient, sort: str, error_type: str) -> None:
    create(client, name="a")

    result = client.simulate_get(WIDGETS, query_string=f"sort={sort}", headers=identity())

    assert_error(result, 400, error_type)


def test_sort_given_twice_is_400(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get(WIDGETS, query_string="sort=name&sort=size", headers=identity())

    assert_error(result, 400)


def test_all_types_sort_only_on_common_fields(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/artifacts/all", query_string="sort=size", headers=identity())

    assert_error(result, 400, "BadRequest")


# --- pagination --------------------------------------------------------------------------------


@pytest.fixture
def ties(client: falcon.testing.TestClient) -> list[str]:
    """Nine widgets whose sort values tie often (and are sometimes missing)."""
    columns = ("name", "colour", "size", "version", "weight", "api_version", "made_at")
    rows = [
        ("n1", "red", 1, "1.0.0", 1.5, "1.0.0", "2025-01-01T00:00:00Z"),
        ("n1", "red", None, "2.0.0", None, "1.10.0", None),
        ("n2", "red", 1, "1.0.0", 2.25, None, "2025-01-01T00:00:00Z"),
        ("n2", "blue", 2, "1.0.0-rc.1", 1.5, "1.9.0", "2025-02-01T00:00:00Z"),
        ("n3", "red", None, "1.0.0", 2.25, "1.0.0", None),
        ("n3", "blue", 1, "2.0.0", 10.0, "1.10.0", "2025-01-01T00:00:00Z"),
        ("n4", None, 2, "1.0.0", 1.5, None, "2025-02-01T00:00:00Z"),
        ("n4", "red", 1, "3.0.0", None, "1.9.0", None),
        ("n5", None, None, "1.0.0", 10.0, "1.0.0", "2025-01-01T00:00:00Z"),
    ]
    return [create(client, **dict(zip(columns, row, strict=True)))["id"] for row in rows]


@pytest.mark.parametrize("limit", [1, 2, 4, 9])
@pytest.mark.parametrize(
    "sort",
    [
        None,
        "colour:asc",
        "colour:desc",
        "size:asc",
        "size:desc",
        "colour:asc,size:desc",
        "name:asc,version:desc",
        "version:asc",
        "status:asc",
        "weight:asc",
        "weight:desc,size:asc",
        "api_version:desc",
        "made_at:asc,colour:desc",
    ],
)
def test_pages_cover_every_artifact_once_in_order(
    client: falcon.testing.TestClient, ties: list[str], sort: str | None, limit: int
) -> None:
    query = "" if sort is None else f"sort={sort}"
    everything = list_ids(client, WIDGETS, f"{query}&limit=100")
    assert sorted(everything) == sorted(ties)

    pages = walk(client, WIDGETS, f"{query}&limit={limit}")

    assert [artifact for page in pages for artifact in page] == everything
    assert all(len(page) == limit for page in pages[:-1])
    # As in Glare, a full page always links a next one, so the last page may be empty.
    assert 0 <= len(pages[-1]) <= limit
    assert len(pages[-1]) < limit


def test_ties_are_broken_newest_first(client: falcon.testing.TestClient, ties: list[str]) -> None:
    n1 = list_ids(client, WIDGETS, "name=n1&sort=name:asc")

    # As in Glare, an order ends with created_at desc (then id asc) unless it names them...
    assert n1 == [artifact for artifact in reversed(ties) if artifact in n1]
    # ...except after a type's own field, where the id follows in that field's direction.
    reds = list_ids(client, WIDGETS, "colour=red&sort=colour:asc")
    assert reds == sorted(reds)


def test_pages_keep_the_filters(client: falcon.testing.TestClient, ties: list[str]) -> None:
    reds = list_ids(client, WIDGETS, "colour=red&limit=100")

    pages = walk(client, WIDGETS, "colour=red&sort=size:asc&limit=2")

    assert sorted(artifact for page in pages for artifact in page) == sorted(reds)
    assert len(pages) == 3


def test_next_link_appears_whenever_a_page_is_full(
    client: falcon.testing.TestClient, ties: list[str]
) -> None:
    first = client.simulate_get(WIDGETS, query_string="limit=3&colour=red", headers=identity())
    assert first.status_code == 200, first.text
    next_query = dict(parse_qsl(urlsplit(first.json["next"]).query))
    assert next_query == {
        "limit": "3",
        "colour": "red",
        "marker": first.json["artifacts"][-1]["id"],
    }

    full = client.simulate_get(WIDGETS, query_string="limit=9", headers=identity())
    assert len(full.json["artifacts"]) == 9
    after = client.simulate_get(
        urlsplit(full.json["next"]).path,
        query_string=urlsplit(full.json["next"]).query,
        headers=identity(),
    )
    assert after.json["artifacts"] == []
    assert "next" not in after.json

    short = client.simulate_get(WIDGETS, query_string="limit=10", headers=identity())
    assert len(short.json["artifacts"]) == 9
    assert "next" not in short.json


@pytest.mark.parametrize("marker", ["unknown", "invisible", "not-a-uuid", "empty"])
def test_marker_the_caller_cannot_see_is_404(
    client: falcon.testing.TestClient, marker: str
) -> None:
    create(client, name="mine")
    marker_id = {
        "unknown": "00000000-0000-4000-8000-000000000000",
        "invisible": create(client, project="p2", name="theirs")["id"],
        "not-a-uuid": "nope",
        "empty": "",
    }[marker]

    result = client.simulate_get(WIDGETS, query_string=f"marker={marker_id}", headers=identity())

    assert_error(result, 404, "ArtifactNotFound")


def test_a_marker_of_another_type_marks_its_place(client: falcon.testing.TestClient) -> None:
    for name in ("a", "c"):
        create(client, name=name)
    gadget = create(client, "gadgets", name="b")["id"]

    after = client.simulate_get(
        WIDGETS, query_string=f"sort=name:asc&marker={gadget}", headers=identity()
    )

    assert [artifact["name"] for artifact in after.json["artifacts"]] == ["c"]


def test_limit_zero_counts_without_listing(client: falcon.testing.TestClient) -> None:
    create(client, name="a")

    page = client.simulate_get(WIDGETS, query_string="limit=0", headers=identity()).json

    assert (page["artifacts"], page["total_count"], "next" in page) == ([], 1, False)


def test_limit_defaults_and_is_clamped(client: falcon.testing.TestClient) -> None:
    for i in range(101):
        create(client, name=f"w{i:03d}")

    default = client.simulate_get(WIDGETS, headers=identity()).json
    assert len(default["artifacts"]) == 20
    # Glare's next link repeats the query as given: no limit asked, none added.
    assert "limit" not in dict(parse_qsl(urlsplit(default["next"]).query))

    clamped = client.simulate_get(WIDGETS, query_string="limit=1000", headers=identity()).json
    assert len(clamped["artifacts"]) == 100
    assert "next" in clamped

    pages = walk(client, WIDGETS, "limit=1000")
    assert [len(page) for page in pages] == [100, 1]
    assert [len(page) for page in walk(client, WIDGETS, "")] == [20, 20, 20, 20, 20, 1]


@pytest.mark.parametrize("limit", ["-1", "abc", "1.5", "", "limit=1&limit=2"])
def test_bad_limit_is_400(client: falcon.testing.TestClient, limit: str) -> None:
    query = limit if "=" in limit else f"limit={limit}"

    assert_error(client.simulate_get(WIDGETS, query_string=query, headers=identity()), 400)


# --- visibility --------------------------------------------------------------------------------


@pytest.fixture
def shared(client: falcon.testing.TestClient) -> None:
    """p1 owns mine (private) and ours (public); p2 owns theirs (private) and shared (public)."""
    create(client, name="mine")
    publish(client, "widgets", create(client, name="ours", serial=SERIAL)["id"])
    create(client, project="p2", name="theirs")
    make_public(client, create(client, project="p2", name="shared", serial=SERIAL)["id"], "p2")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (identity("p1"), ["mine", "ours", "shared"]),
        (identity("p2"), ["ours", "shared", "theirs"]),
        (identity("p3"), ["ours", "shared"]),
        (identity(None), ["ours", "shared"]),
        (ADMIN, ["mine", "ours", "shared", "theirs"]),
    ],
    ids=["p1", "p2", "p3", "anonymous", "admin"],
)
@pytest.mark.parametrize("path", [WIDGETS, "/artifacts/all"])
@pytest.mark.usefixtures("shared")
def test_listing_shows_own_and_public_artifacts(
    client: falcon.testing.TestClient,
    headers: dict[str, str],
    expected: list[str],
    path: str,
) -> None:
    assert names(client, "sort=name:asc", headers, path) == expected


@pytest.mark.usefixtures("shared")
def test_filters_do_not_widen_visibility(client: falcon.testing.TestClient) -> None:
    assert names(client, "owner=p2&sort=name:asc", identity("p1")) == ["shared"]
    assert names(client, "visibility=private", identity("p1")) == ["mine"]
    assert names(client, "name=theirs", identity(None)) == []


# --- all types and the envelope ----------------------------------------------------------------


def test_all_lists_every_type_with_its_type_name(client: falcon.testing.TestClient) -> None:
    widget = create(client, name="w")
    gadget = create(client, "gadgets", name="g")
    image = create(client, "images", name="i")
    schema = client.simulate_get("/schemas/all").json["schemas"]["all"]

    result = client.simulate_get("/artifacts/all", query_string="sort=name:asc", headers=identity())

    assert result.status_code == 200, result.text
    items = result.json["artifacts"]
    assert [(i["id"], i["type_name"]) for i in items] == [
        (gadget["id"], "gadgets"),
        (image["id"], "images"),
        (widget["id"], "widgets"),
    ]
    assert all(set(item) == set(schema["properties"]) for item in items)
    assert result.json["type_name"] == "all"


def test_all_filters_on_common_fields_only(client: falcon.testing.TestClient) -> None:
    create(client, name="w", size=1)
    create(client, "gadgets", name="g", tags=["t"])

    assert names(client, "tags=t", path="/artifacts/all") == ["g"]
    result = client.simulate_get("/artifacts/all", query_string="size=1", headers=identity())
    assert_error(result, 400, "BadRequest")


def test_list_of_an_unknown_type_is_404(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/artifacts/spaceships", headers=identity())

    assert_error(result, 404, "TypeNotFound")


def test_list_envelope(client: falcon.testing.TestClient) -> None:
    created = create(client, name="w")

    result = client.simulate_get(WIDGETS, headers=identity())

    assert result.status_code == 200, result.text
    assert result.headers["Content-Type"].startswith("application/json")
    assert result.json == {
        "type_name": "widgets",
        "artifacts": [created],
        "first": WIDGETS,
        "schema": "/schemas/widgets",
        "total_count": 1,
    }


def test_first_link_keeps_the_query_but_not_the_marker(
    client: falcon.testing.TestClient,
) -> None:
    first_id = create(client, name="a")["id"]
    create(client, name="b")

    result = client.simulate_get(
        WIDGETS, query_string=f"sort=name:asc&limit=1&marker={first_id}", headers=identity()
    )

    assert result.status_code == 200, result.text
    first = urlsplit(result.json["first"])
    assert first.path == WIDGETS
    assert dict(parse_qsl(first.query)) == {"sort": "name:asc", "limit": "1"}
    assert (
        result.json["next"]
        == f"{WIDGETS}?sort=name%3Aasc&limit=1&marker={result.json['artifacts'][0]['id']}"
    )
    assert [i["name"] for i in result.json["artifacts"]] == ["b"]


def test_empty_list(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get(WIDGETS, headers=identity())

    assert result.json["artifacts"] == []
    assert "next" not in result.json


@pytest.mark.parametrize("created", [3, 4])
def test_total_count_is_exact_up_to_the_count_limit_then_says_it_stopped(
    settings: Settings,
    database: Database,
    registry: TypeRegistry,
    clock: Callable[[], dt.datetime],
    created: int,
) -> None:
    limited = dataclasses.replace(settings, count_limit=3)
    services = build_services(limited, types=registry, database=database, clock=clock)
    client = falcon.testing.TestClient(create_app(limited, services))
    for n in range(created):
        create(client, name=f"w{n}")

    body = client.simulate_get(WIDGETS, query_string="limit=1", headers=identity()).json

    assert body["total_count"] == 3
    assert body.get("total_count_limited", False) is (created > 3)


@pytest.mark.parametrize(
    "case", [(scan, condition) for scan in (3, 5, 0) for condition in ("tags=x", "metadata=k")]
)
def test_a_count_with_a_per_row_filter_examines_at_most_the_scan_limit(
    settings: Settings,
    database: Database,
    registry: TypeRegistry,
    clock: Callable[[], dt.datetime],
    case: tuple[int, str],
) -> None:
    scan, condition = case
    bounded = dataclasses.replace(settings, count_scan_limit=scan)
    services = build_services(bounded, types=registry, database=database, clock=clock)
    client = falcon.testing.TestClient(create_app(bounded, services))
    # Five red widgets, three of them tagged; another project's tagged widget is not counted.
    for n in range(5):
        marked = n % 2 == 0
        fields = {"tags": ["x"] if marked else [], "metadata": {"k": "v"} if marked else {}}
        create(client, name=f"w{n}", colour="red", **fields)
    create(client, name="theirs", colour="red", tags=["x"], metadata={"k": "v"}, project="p2")

    query = f"colour=red&{condition}&limit=1"
    body = client.simulate_get(WIDGETS, query_string=query, headers=identity()).json

    # A key test is per row on both databases; a tag is, except on PostgreSQL (its GIN index).
    per_row = condition == "metadata=k" or database.dialect == "sqlite"
    limited = scan == 3 and per_row
    # Three of the five match. With 3 rows to examine (the count reads one more, to know
    # whether any were left) it has seen at least two, and says it stopped; with 5 (or no
    # bound) it is exact.
    assert body.get("total_count_limited", False) is limited
    if limited:
        assert 2 <= body["total_count"] <= 3
    else:
        assert body["total_count"] == 3
