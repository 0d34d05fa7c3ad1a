"""The query language beyond plain filters: version ranges, latest, like, total_count, paging.

Every operator and every error answer through HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import falcon.testing
import pytest

from tests.factories import (
    ADMIN,
    activate,
    assert_error,
    create,
    identity,
    list_page,
)

WIDGETS = "/artifacts/widgets"
SERIAL = "AB-1234"


def versions(
    client: falcon.testing.TestClient,
    query: str,
    headers: dict[str, str] | None = None,
    path: str = WIDGETS,
) -> list[str]:
    """The ``name@version`` of each listed artifact, in the server's order."""
    body = list_page(client, path, query, headers)
    return [f"{item['name']}@{item['version']}" for item in body["artifacts"]]


def pages(client: falcon.testing.TestClient, query: str, **kwargs: Any) -> list[list[str]]:
    """Follow ``next`` links; return each page's ``name@version`` items."""
    out: list[list[str]] = []
    url: str | None = f"{WIDGETS}?{query}"
    while url is not None:
        assert len(out) < 50, "pagination does not end"
        parts = urlsplit(url)
        body = list_page(client, parts.path, parts.query, **kwargs)
        out.append([f"{i['name']}@{i['version']}" for i in body["artifacts"]])
        url = body.get("next")
    return out


CATALOGUE = [
    "0.9.0",
    "1.0.0-rc.1",
    "1.0.0",
    "1.2.0",
    "1.2.5",
    "1.3.0-beta",
    "1.10.0",
    "2.0.0-alpha",
    "2.0.0",
    "2.5.0",
    "2.6.1",
    "3.0.0",
]


@pytest.fixture
def catalogue(client: falcon.testing.TestClient) -> None:
    """Widget "w" in every CATALOGUE version (also as its api_version)."""
    for version in CATALOGUE:
        create(client, name="w", version=version, api_version=version)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("field", ["version", "api_version"])
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # npm syntax: pre-releases only where a comparator names one of the same patch
        ("^1.2.0", ["1.2.0", "1.2.5", "1.10.0"]),
        ("~1.2", ["1.2.0", "1.2.5"]),
        ("1.x", ["1.0.0", "1.2.0", "1.2.5", "1.10.0"]),
        ("1.x || >=2.5.0 <3.0.0", ["1.0.0", "1.2.0", "1.2.5", "1.10.0", "2.5.0", "2.6.1"]),
        (">=1.0.0-rc.1 <1.2.0", ["1.0.0-rc.1", "1.0.0"]),
        ("1.2.0 - 2.0.0", ["1.2.0", "1.2.5", "1.10.0", "2.0.0"]),
        # semantic-version's same-patch rule: "<1.0.0" admits 1.0.0's own pre-releases
        ("<1.0.0", ["0.9.0", "1.0.0-rc.1"]),
        ("*", [v for v in CATALOGUE if "-" not in v]),
        # simple syntax: pre-releases inside the range count, but "<2.0.0" leaves out 2.0.0's
        (">=1.0.0,<2.0.0", ["1.0.0", "1.2.0", "1.2.5", "1.3.0-beta", "1.10.0"]),
        (">=1.0.0,<2.0.0,!=1.2.5", ["1.0.0", "1.2.0", "1.3.0-beta", "1.10.0"]),
        ("==1.2.0", ["1.2.0"]),
        ("!=1.0.0,<1.2.0", ["0.9.0"]),
        ("~=1.2", ["1.2.0", "1.2.5", "1.3.0-beta", "1.10.0"]),
    ],
)
def test_version_ranges(
    client: falcon.testing.TestClient, field: str, expression: str, expected: list[str]
) -> None:
    found = versions(client, f"{field}={quote(expression)}&sort=version:asc")

    assert found == [f"w@{v}" for v in expected]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("version=gt:1.2.0&version=lt:2.0.0", ["1.2.5", "1.3.0-beta", "1.10.0", "2.0.0-alpha"]),
        ("version=^1.0.0&version=neq:1.2.0", ["1.0.0", "1.2.5", "1.10.0"]),
        ("version=in:1.2.0,3,0.9", ["0.9.0", "1.2.0", "3.0.0"]),
        ("version=^1.0.0&api_version=lt:1.2.0", ["1.0.0"]),
        ("version=^1.0.0&version=^2.0.0", []),
    ],
)
def test_version_filters_are_anded(
    client: falcon.testing.TestClient, query: str, expected: list[str]
) -> None:
    assert versions(client, f"{query}&sort=version:asc") == [f"w@{v}" for v in expected]


@pytest.mark.usefixtures("catalogue")
def test_sort_by_version_follows_precedence_in_ranges(client: falcon.testing.TestClient) -> None:
    found = versions(client, f"version={quote('>=1.0.0-rc.1 <=1.10.0')}&sort=version:desc")

    assert found == ["w@1.10.0", "w@1.2.5", "w@1.2.0", "w@1.0.0", "w@1.0.0-rc.1"]


def test_build_metadata_matches_exactly_only_when_given(client: falcon.testing.TestClient) -> None:
    for version in ("1.0.0+b1", "1.0.0+b2", "1.0.1"):
        create(client, name="w", version=version)

    assert versions(client, "version=1.0.0&sort=version:asc,id:asc") in (
        ["w@1.0.0+b1", "w@1.0.0+b2"],
        ["w@1.0.0+b2", "w@1.0.0+b1"],
    )
    assert versions(client, f"version={quote('1.0.0+b2')}") == ["w@1.0.0+b2"]
    assert versions(client, f"version=neq:{quote('1.0.0+b2')}&sort=version:desc") == [
        "w@1.0.1",
        "w@1.0.0+b1",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("version=banana", "not a semantic version, nor a version range"),
        ("version=" + quote(">=1.0.0,banana"), "simple syntax"),
        ("version=" + quote("^1.2.3.4"), "npm syntax"),
        ("version=" + quote("==1.0.0+b1"), "build metadata"),
        ("version=" + quote(">=1.0.0 <"), "npm syntax"),
        ("version=gt:^1.0.0", "semantic version"),
        ("version=in:1.0.0,^2", "semantic version"),
        ("api_version=" + quote("1.2.x.4"), "npm syntax"),
        ("latest=maybe", "true or false"),
        ("total_count=2", "true or false"),
        ("latest=true&latest=false", "only once"),
        ("colour=like:r%", "not allowed"),
        ("tags=like:x%", "without operator"),
        ('name=in:"a', "not closed"),
        ("name=nope:x", "Operator 'nope' is not allowed"),
        ("metadata.os=like:l%", "not allowed"),
    ],
)
def test_bad_version_queries_are_400_saying_why(
    client: falcon.testing.TestClient, query: str, message: str
) -> None:
    result = client.simulate_get(WIDGETS, query_string=query, headers=identity())

    body = assert_error(result, 400)
    assert message in body["error"]["message"]


# --- latest ------------------------------------------------------------------------------------


@pytest.fixture
def families(client: falcon.testing.TestClient) -> None:
    """p1's a (1.0.0, 1.10.0, 2.0.0-rc.1), b (0.1.0, 0.2.0 red); p2's private a 9.0.0 and c."""
    for name, version, colour in [
        ("a", "1.0.0", "red"),
        ("a", "1.10.0", "blue"),
        ("a", "2.0.0-rc.1", "red"),
        ("b", "0.1.0", "blue"),
        ("b", "0.2.0", "red"),
    ]:
        create(client, name=name, version=version, colour=colour)
    create(client, project="p2", name="a", version="9.0.0")
    create(client, project="p2", name="c", version="1.0.0")


@pytest.mark.usefixtures("families")
@pytest.mark.parametrize("flag", ["version=latest", "latest=true", "latest=1", "latest=True"])
def test_latest_keeps_the_highest_visible_version_of_each_name(
    client: falcon.testing.TestClient, flag: str
) -> None:
    assert versions(client, f"{flag}&sort=name:asc") == ["a@2.0.0-rc.1", "b@0.2.0"]
    assert versions(client, f"{flag}&sort=name:asc", identity("p2")) == ["a@9.0.0", "c@1.0.0"]
    assert versions(client, f"{flag}&sort=name:asc", ADMIN) == [
        "a@9.0.0",
        "b@0.2.0",
        "c@1.0.0",
    ]


@pytest.mark.usefixtures("families")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("version=^1.0.0", ["a@1.10.0"]),
        ("colour=red", ["a@2.0.0-rc.1", "b@0.2.0"]),
        ("colour=blue", ["a@1.10.0", "b@0.1.0"]),
        ("version=lt:1.0.0", ["b@0.2.0"]),
        ("name=a&version=" + quote("<=1.10.0"), ["a@1.10.0"]),
        ("latest=false", ["a@1.0.0", "a@1.10.0", "a@2.0.0-rc.1", "b@0.1.0", "b@0.2.0"]),
    ],
)
def test_latest_is_the_highest_among_what_the_filters_keep(
    client: falcon.testing.TestClient, query: str, expected: list[str]
) -> None:
    latest = "" if "latest=" in query else "&latest=true"
    assert versions(client, f"{query}{latest}&sort=name:asc,version:asc") == expected


def test_latest_pages_with_markers(client: falcon.testing.TestClient) -> None:
    for i in range(7):
        for version in ("1.0.0", "1.1.0", "1.1.1-rc.1"):
            create(client, name=f"n{i}", version=version)

    walked = pages(client, "latest=true&sort=name:desc&limit=2")

    assert walked == [
        ["n6@1.1.1-rc.1", "n5@1.1.1-rc.1"],
        ["n4@1.1.1-rc.1", "n3@1.1.1-rc.1"],
        ["n2@1.1.1-rc.1", "n1@1.1.1-rc.1"],
        ["n0@1.1.1-rc.1"],
    ]


def test_latest_through_all_types_is_per_type_and_name(client: falcon.testing.TestClient) -> None:
    create(client, name="x", version="1.0.0")
    create(client, name="x", version="2.0.0")
    create(client, "gadgets", name="x", version="1.5.0")

    found = versions(client, "version=latest&sort=version:asc", path="/artifacts/all")

    assert found == ["x@1.5.0", "x@2.0.0"]


def test_latest_keeps_every_artifact_at_the_top_precedence(
    client: falcon.testing.TestClient,
) -> None:
    first = create(client, name="x", version="1.0.0+b1")
    newest = create(client, name="x", version="1.0.0+b2")
    create(client, name="x", version="0.9.0")
    other = create(client, name="x", version="1.0.0", project="p2")

    # Every build of the top version, and the same version from another owner (as in Glare).
    body = list_page(client, WIDGETS, "latest=true")
    assert [item["id"] for item in body["artifacts"]] == [newest["id"], first["id"]]
    everyone = list_page(client, WIDGETS, "latest=true", ADMIN)
    assert [item["id"] for item in everyone["artifacts"]] == [
        other["id"],
        newest["id"],
        first["id"],
    ]


def test_builds_of_one_precedence_sort_by_their_metadata(
    client: falcon.testing.TestClient,
) -> None:
    for version in ("1.0.0+b2", "1.0.0", "1.0.0+b10", "0.9.0"):
        create(client, name="x", version=version)

    # As Glare orders them: the build metadata's text, in the version's direction.
    ascending = ["x@0.9.0", "x@1.0.0", "x@1.0.0+b10", "x@1.0.0+b2"]
    assert versions(client, "sort=version:asc") == ascending
    # Paged one by one, no build is skipped (a full page has a next link, as in Glare).
    walked = pages(client, "sort=version:desc&limit=1")
    assert walked == [*([v] for v in reversed(ascending)), []]


# --- like --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("cirros%", ["cirros", "cirros-0.6", "cirros_x"]),
        ("%ros%", ["cirros", "cirros-0.6", "cirros_x", "micros"]),
        ("%os", ["cirros", "micros"]),
        ("cirros", ["cirros"]),
        ("CIRROS%", ["cirros", "cirros-0.6", "cirros_x"]),
        ("cirros_x", ["cirros_x"]),
        # "_" is any one character, as SQL LIKE (and so Glare) reads it; "\_" is an underscore.
        ("cirros_%", ["cirros-0.6", "cirros_x"]),
        ("cirros\\_%", ["cirros_x"]),
        ("c_rros", ["cirros"]),
        ("100\\%", ["100%"]),
        ("100%", ["100%", "1000"]),
        ("a\\\\b", ["a\\b"]),
        ("%\\%%", ["100%"]),
    ],
)
def test_name_like(client: falcon.testing.TestClient, pattern: str, expected: list[str]) -> None:
    for name in ("cirros", "cirros-0.6", "cirros_x", "micros", "ubuntu", "100%", "1000", "a\\b"):
        create(client, name=name)

    body = list_page(client, WIDGETS, f"name=like:{quote(pattern)}&sort=name:asc")

    assert [item["name"] for item in body["artifacts"]] == expected


# --- total_count -------------------------------------------------------------------------------


def test_total_count_when_asked(client: falcon.testing.TestClient) -> None:
    for i in range(5):
        create(client, name=f"n{i}", colour="red" if i % 2 else "blue")
    create(client, project="p2", name="hidden")

    first = list_page(client, WIDGETS, "limit=2&total_count=true")
    filtered = list_page(client, WIDGETS, "colour=blue&total_count=true&limit=1")
    following = urlsplit(first["next"])
    second = list_page(client, following.path, following.query)

    assert first["total_count"] == 5
    assert filtered["total_count"] == 3
    assert second["total_count"] == 5  # the next link keeps asking for it
    # Glare's lists always count; the parameter is accepted for clients that ask.
    assert list_page(client, WIDGETS, "limit=2")["total_count"] == 5
    assert list_page(client, WIDGETS, "total_count=false")["total_count"] == 5


def test_total_count_of_latest(client: falcon.testing.TestClient) -> None:
    for name, version in [("a", "1.0.0"), ("a", "2.0.0"), ("b", "1.0.0")]:
        create(client, name=name, version=version)

    assert list_page(client, WIDGETS, "latest=true&total_count=true")["total_count"] == 2


# --- paging while others write -----------------------------------------------------------------


@pytest.mark.parametrize("sort", ["name:asc", "name:desc", "colour:asc,name:asc", None])
def test_pages_stay_consistent_under_concurrent_inserts(
    client: falcon.testing.TestClient, sort: str | None
) -> None:
    """Artifacts created between pages never make the walk repeat or skip an earlier one."""
    originals = {create(client, name=f"m{i:02d}", colour="red")["id"] for i in range(9)}
    query = f"limit=2&sort={sort}" if sort else "limit=2"
    seen: list[str] = []
    url: str | None = f"{WIDGETS}?{query}"
    inserted = 0
    while url is not None:
        parts = urlsplit(url)
        body = list_page(client, parts.path, parts.query)
        seen.extend(item["id"] for item in body["artifacts"])
        # Someone else adds artifacts sorting before, among and after the ones already seen.
        for name in (f"a{inserted}", f"m{inserted:02d}x", f"z{inserted}"):
            create(client, name=name, colour="blue")
        inserted += 1
        url = body.get("next")

    assert len(seen) == len(set(seen))
    assert originals <= set(seen)


def test_marker_row_changed_between_pages_still_pages(client: falcon.testing.TestClient) -> None:
    made = [create(client, name=f"n{i}", colour="red", serial=SERIAL)["id"] for i in range(4)]
    first = list_page(client, WIDGETS, "sort=name:asc&limit=2")
    marker = first["artifacts"][-1]["id"]
    activate(client, "widgets", marker)
    following = urlsplit(first["next"])

    second = list_page(client, following.path, following.query)

    assert [item["id"] for item in second["artifacts"]] == made[2:]
