"""Glance's image list: filters, sorting, paging and its next links."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import falcon.testing
import pytest

from tests.api.glance.conftest import ACCEPT_JSON, ADMIN, OWNER, ImageMaker, listed


@pytest.fixture
def catalog(client: falcon.testing.TestClient, make_image: ImageMaker) -> None:
    make_image(b"a", name="alpha", disk_format="raw", os_distro="ubuntu", flavor="small")
    make_image(name="beta", disk_format="qcow2", flavor="large", min_ram=1024)
    make_image(b"c", name="gamma", disk_format="raw", flavor="small", min_ram=2048)


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", ["gamma", "beta", "alpha"]),
        ("sort_key=name&sort_dir=asc", ["alpha", "beta", "gamma"]),
        (
            "sort_key=disk_format&sort_key=name&sort_dir=asc&sort_dir=desc",
            ["beta", "gamma", "alpha"],
        ),
        ("sort=disk_format:desc,name", ["gamma", "alpha", "beta"]),
        ("name=beta", ["beta"]),
        ("name=in:alpha,gamma&sort_key=name&sort_dir=asc", ["alpha", "gamma"]),
        ("disk_format=raw&sort_key=name&sort_dir=asc", ["alpha", "gamma"]),
        ("status=active&sort_key=name&sort_dir=asc", ["alpha", "gamma"]),
        ("status=queued", ["beta"]),
        ("status=killed", []),
        ("status=bogus", []),
        ("flavor=small&sort_key=name&sort_dir=asc", ["alpha", "gamma"]),
        ("os_distro=ubuntu", ["alpha"]),
        ("min_ram=gte:1500", ["gamma"]),
        ("min_ram=lt:1500&sort_key=name&sort_dir=asc", ["beta"]),
        ("visibility=shared&sort_key=name&sort_dir=asc", ["alpha", "beta", "gamma"]),
        ("visibility=private", []),
        ("visibility=public", []),
        ("visibility=all&sort_key=name&sort_dir=asc", ["alpha", "beta", "gamma"]),
        ("os_hidden=false&sort_key=name&sort_dir=asc", ["alpha", "beta", "gamma"]),
        ("os_hidden=true", []),
        ("protected=true", []),
    ],
)
def test_filters_and_sorting(
    client: falcon.testing.TestClient, query: str, names: list[str]
) -> None:
    assert listed(client, query) == names


def test_tags_filter_requires_every_tag(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    both = make_image(name="both", tags=["a", "b"])
    make_image(name="one", tags=["a"])

    assert listed(client, "tag=a&tag=b") == [both["name"]]
    assert listed(client, "tag=a&sort_key=name&sort_dir=asc") == ["both", "one"]


@pytest.mark.usefixtures("catalog")
def test_paging_follows_next_links_to_the_end(client: falcon.testing.TestClient) -> None:
    names: list[str] = []
    query = "limit=2&sort_key=name&sort_dir=asc"
    pages = 0
    while True:
        page = client.simulate_get("/v2/images", query_string=query, headers=OWNER).json
        names += [image["name"] for image in page["images"]]
        pages += 1
        if "next" not in page:
            break
        link = urlsplit(page["next"])
        assert link.path == "/v2/images"
        assert dict(parse_qsl(link.query))["limit"] == "2"
        query = link.query
    assert names == ["alpha", "beta", "gamma"]
    assert pages == 2
    # Glance's first link keeps the query, without the marker.
    assert page["first"] == "/v2/images?limit=2&sort_key=name&sort_dir=asc"
    assert page["schema"] == "/v2/schemas/images"


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize(
    "query",
    [
        "sort_key=nope",
        "sort_key=name&sort_dir=sideways",
        "sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc",
        "sort=name&sort_key=id",
        "os_hidden=maybe",
        "limit=zero",
        "marker=00000000-0000-4000-8000-000000000000",
        "size_min=10",
        "sort_key=size",
    ],
)
def test_bad_list_parameters_are_400(client: falcon.testing.TestClient, query: str) -> None:
    result = client.simulate_get("/v2/images", query_string=query, headers={**OWNER, **ACCEPT_JSON})

    assert result.status_code == 400, result.text
    assert result.json["code"] == "400 Bad Request"


def test_an_admin_lists_every_project_image_and_owner_filters(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    make_image(name="mine")
    make_image(name="theirs", headers={"X-Project-Id": "p2", "X-User-Id": "u2"})

    assert listed(client, "sort_key=name&sort_dir=asc", headers=ADMIN) == ["mine", "theirs"]
    assert listed(client, "owner=p2", headers=ADMIN) == ["theirs"]
    assert listed(client, "") == ["mine"]
