"""The catalog's pages: what they show, and that their controls are the API's query language."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

import falcon.testing
import pytest

from api.ui.query import SearchForm
from tests.api.ui.conftest import Browser, artifact_links, text_of
from tests.factories import ADMIN, JSON, activate, create, identity, list_ids, publish


def _widget(client: falcon.testing.TestClient, name: str, version: str, **fields: object) -> str:
    fields.setdefault("serial", "AB-1234")  # required on activation
    return str(create(client, name=name, version=version, **fields)["id"])


def test_home_lists_every_type_with_counts_and_newest(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    first = _widget(client, "bolt", "1.0.0")
    newest = _widget(client, "nut", "2.0.0")

    page = browser(identity("p1")).get("/ui")

    assert page.status_code == 200
    text = text_of(page.text)
    for title in ("Widgets", "Images", "Heat Templates", "TOSCA Templates"):
        assert title in text
    assert "2 artifacts" in text
    assert artifact_links(page.text, "widgets") == [newest, first]


def test_anonymous_visitors_see_public_artifacts_only(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    public = _widget(client, "public-bolt", "1.0.0")
    publish(client, "widgets", public)
    private = _widget(client, "private-bolt", "1.0.0")
    anonymous = browser()

    home = anonymous.get("/ui")
    listing = anonymous.get("/ui/types/widgets")

    assert artifact_links(home.text, "widgets") == [public]
    assert artifact_links(listing.text, "widgets") == [public]
    assert "private-bolt" not in home.text + listing.text
    assert anonymous.get(f"/ui/types/widgets/{private}").status_code == 404
    assert anonymous.get(f"/ui/types/widgets/{public}").status_code == 200


@pytest.mark.parametrize(
    ("form", "query"),
    [
        ({"version": "^1.2"}, "version=^1.2"),
        ({"version": ">=1.0.0,<2.0.0"}, "version=>=1.0.0,<2.0.0"),
        ({"q": "bo"}, "name=like:%bo%"),
        ({"latest": "1"}, "latest=true"),
        ({"tags": "steel"}, "tags=steel"),
        ({"field": "size", "op": "gte", "value": "5"}, "size=gte:5"),
        ({"sort": "version:asc"}, "sort=version:asc"),
        (
            {"version": "^1.0", "latest": "1", "sort": "name:asc"},
            "version=^1.0&latest=true&sort=name:asc",
        ),
    ],
)
def test_type_page_controls_select_what_the_api_query_selects(
    client: falcon.testing.TestClient,
    browser: Callable[..., Browser],
    form: dict[str, str],
    query: str,
) -> None:
    for name, version, size, tags in [
        ("bolt", "1.1.0", 3, ["steel"]),
        ("bolt", "1.2.5", 7, []),
        ("bolt", "2.0.0", 9, ["steel"]),
        ("nut", "1.3.0", 1, ["brass"]),
        ("nut", "0.9.0", 5, ["steel"]),
    ]:
        _widget(client, name, version, size=size, tags=tags)

    page = browser(identity("p1")).get("/ui/types/widgets", urlencode(form))

    assert page.status_code == 200, text_of(page.text)
    expected = list_ids(client, "/artifacts/widgets", query)
    assert expected, "the case must select something"
    assert artifact_links(page.text, "widgets") == expected
    assert f"{len(expected)} match" in text_of(page.text)


def test_type_page_shows_the_engines_message_for_a_bad_range(
    browser: Callable[..., Browser],
) -> None:
    page = browser(identity("p1")).get("/ui/types/widgets", "version=>=1.0.0,banana")

    assert page.status_code == 400
    assert "is not a version range" in text_of(page.text)
    assert 'value="&gt;=1.0.0,banana"' in page.text


def test_type_page_pages_with_markers_like_the_api(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    ids = [_widget(client, f"w{n:02d}", "1.0.0") for n in range(23)]
    visitor = browser(identity("p1"))

    seen: list[str] = []
    page = visitor.get("/ui/types/widgets", "limit=10&sort=name:asc")
    while True:
        seen.extend(artifact_links(page.text, "widgets"))
        following = re.search(
            r'href="(/ui/types/widgets\?[^"]+)" class="button" rel="next"', page.text
        )
        if following is None:
            break
        path, _, query = following.group(1).replace("&amp;", "&").partition("?")
        assert "marker=" in query
        page = visitor.get(path, query)

    assert seen == ids


def test_artifact_page_shows_files_fields_versions_and_downloads(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    older = _widget(client, "bolt", "1.0.0", colour="red")
    current = _widget(client, "bolt", "1.1.0", colour="blue", serial="CD-5678")
    data = b"manual contents " * 100
    upload = client.simulate_put(
        f"/artifacts/widgets/{current}/manual", body=data, headers=identity("p1")
    )
    assert upload.status_code == 200, upload.text
    sha256 = upload.json["manual"]["sha256"]
    other_projects = create(client, project="p2", name="bolt", version="9.0.0")["id"]
    visitor = browser(identity("p1"))

    page = visitor.get(f"/ui/types/widgets/{current}")

    text = text_of(page.text)
    assert page.status_code == 200
    assert "1.6 KiB (1,600 bytes)" in text
    assert sha256 in text
    assert "Colour blue" in text
    assert "Serial CD-5678" in text
    assert re.search(rf'href="/ui/types/widgets/{older}" class="version">1.0.0<', page.text)
    assert other_projects not in page.text
    download = visitor.get(f"/ui/types/widgets/{current}/download/manual")
    assert download.status_code == 200
    assert download.content == data
    assert (
        download.headers["Content-Disposition"] == "attachment; filename*=UTF-8''bolt-1.1.0-manual"
    )
    assert download.headers["X-Openstack-Glare-Content-SHA256"] == sha256


def test_pages_are_small_and_carry_the_security_headers(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    for n in range(100):
        _widget(client, f"widget-{n:03d}", "1.0.0", tags=["a", "b"], colour="green")

    page = browser(identity("p1")).get("/ui/types/widgets", "limit=100")

    assert len(artifact_links(page.text, "widgets")) == 100
    assert len(page.content) < 100 * 1024
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_static_assets_are_packaged_and_cached_by_content(
    browser: Callable[..., Browser],
) -> None:
    visitor = browser()
    home = visitor.get("/ui")
    stylesheet = re.search(r'href="(/ui/static/catalog.css)\?v=([0-9a-f]+)"', home.text)
    assert stylesheet is not None

    css = visitor.get(stylesheet.group(1), f"v={stylesheet.group(2)}")

    assert css.status_code == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in css.headers["Cache-Control"]
    assert "http" not in home.text.split("<body>")[0].replace("http-equiv", "")


def test_unknown_catalog_paths_are_html_not_found(browser: Callable[..., Browser]) -> None:
    visitor = browser()
    for path in ("/ui/nothing/here", "/ui/types/no_such_type", "/ui/static/missing.css"):
        assert visitor.get(path).status_code == 404, path
    assert "text/html" in visitor.get("/ui/types/no_such_type").content_type


def test_admins_see_everything_and_may_publish(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    private = _widget(client, "bolt", "1.0.0")
    activate(client, "widgets", private)

    owner_page = browser(identity("p1")).get(f"/ui/types/widgets/{private}")
    admin_page = browser(ADMIN).get(f"/ui/types/widgets/{private}")

    assert 'value="public"' not in owner_page.text
    assert 'value="shared"' in owner_page.text
    assert 'value="public"' in admin_page.text


def test_json_api_is_unchanged_beside_the_catalog(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/artifacts/widgets", headers={**identity("p1"), **JSON})
    assert result.status_code == 200
    assert result.json["artifacts"] == []


def test_the_search_box_matches_its_text_literally() -> None:
    # "%" and "_" are wildcards of the API's like filter, not of the catalog's search box.
    params = SearchForm(q="a_b%").query_params()

    assert ("name", "like:%a\\_b\\%%") in params
