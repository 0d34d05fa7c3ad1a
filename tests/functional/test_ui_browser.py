"""The web catalog in a real browser, against ``artifacts serve`` (gunicorn) in the tokens mode.

Seeded through the JSON API: a team publishes cirros and ubuntu images and a heat template,
keeps a private image and shares it with a second team; a third team and anonymous visitors
must see nothing of the private one. Every page visited is checked with axe-core; the main
pages are saved as screenshots (see ``tests/functional/browser.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from artifacts.config import Settings
from artifacts.engine.services import build_services
from tests.functional.browser import PHONE, Browser, chromium, console_errors
from tests.functional.conftest import Server, start_server

pytestmark = pytest.mark.functional

JSON = {"Content-Type": "application/json"}
PATCH = {"Content-Type": "application/json-patch+json"}
SECRET = "team-secret-image"


@dataclass(frozen=True)
class Seeded:
    server: Server
    tokens: dict[str, str]
    cirros: dict[str, str]
    secret: str
    cirros_data: bytes


def _tokens(data_dir: Path) -> dict[str, str]:
    """API tokens for the three teams and an admin, issued into the server's own database."""
    services = build_services(Settings(data_dir=data_dir))
    try:
        issued = {
            project: services.tokens.create(
                project_id=project,
                user_id=f"{project}-user",
                roles=roles,
                lifetime=dt.timedelta(days=1),
            ).token
            for project, roles in (
                ("team-a", ()),
                ("team-b", ()),
                ("team-c", ()),
                ("operators", ("admin",)),
            )
        }
    finally:
        services.close()
    issued["admin"] = issued.pop("operators")
    return issued


class _Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["X-Auth-Token"] = token

    def create(self, type_name: str, **fields: object) -> str:
        result = self.session.post(f"{self.url}/artifacts/{type_name}", json=fields, headers=JSON)
        assert result.status_code == 201, result.text
        return str(result.json()["id"])

    def upload(self, type_name: str, artifact_id: str, field: str, data: bytes) -> None:
        result = self.session.put(f"{self.url}/artifacts/{type_name}/{artifact_id}/{field}", data)
        assert result.status_code == 200, result.text

    def patch(self, type_name: str, artifact_id: str, **values: str) -> None:
        operations = [{"op": "replace", "path": f"/{k}", "value": v} for k, v in values.items()]
        result = self.session.patch(
            f"{self.url}/artifacts/{type_name}/{artifact_id}", json=operations, headers=PATCH
        )
        assert result.status_code == 200, result.text

    def share(self, type_name: str, artifact_id: str, project: str) -> None:
        result = self.session.post(
            f"{self.url}/artifacts/{type_name}/{artifact_id}/members",
            json={"member": project},
            headers=JSON,
        )
        assert result.status_code == 201, result.text


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    data_dir = tmp_path_factory.mktemp("ui-server")
    for server in start_server(data_dir, extra_env={"ARTIFACTS_AUTH_MODE": "tokens"}):
        tokens = _tokens(data_dir)
        team_a, admin = _Api(server.url, tokens["team-a"]), _Api(server.url, tokens["admin"])
        cirros: dict[str, str] = {}
        cirros_data = b""
        images = [
            ("cirros", v, ["tiny", "test"]) for v in ("0.5.2", "0.6.1", "0.6.2", "1.0.0-rc.1")
        ] + [
            ("ubuntu-server", "22.4.5", ["lts"]),
            ("ubuntu-server", "24.4.1", ["lts"]),
            ("debian", "12.8.0", ["stable"]),
            ("fedora-cloud", "41.1.4", []),
        ]
        for name, version, tags in images:
            image = team_a.create(
                "images",
                name=name,
                version=version,
                disk_format="raw",
                container_format="bare",
                min_ram=512 if name == "cirros" else 2048,
                min_disk=1 if name == "cirros" else 10,
                tags=tags,
                description=f"{name} {version} cloud image for tests.",
            )
            data = hashlib.sha256(f"{name}-{version}".encode()).digest() * 4096
            team_a.upload("images", image, "image", data)
            team_a.patch("images", image, status="active")
            admin.patch("images", image, visibility="public")
            if name == "cirros":
                cirros[version] = image
                cirros_data = data if version == "0.6.2" else cirros_data
        template = team_a.create("heat_templates", name="web-stack", version="2.1.0")
        team_a.upload(
            "heat_templates", template, "template", b"heat_template_version: 2021-04-16\n"
        )
        team_a.patch("heat_templates", template, status="active")
        admin.patch("heat_templates", template, visibility="public")
        environment = team_a.create("heat_environments", name="production", version="1.4.0")
        team_a.upload("heat_environments", environment, "environment", b"parameters: {}\n")
        team_a.patch("heat_environments", environment, status="active")
        admin.patch("heat_environments", environment, visibility="public")
        secret = team_a.create(
            "images", name=SECRET, version="1.0.0", disk_format="raw", container_format="bare"
        )
        team_a.upload("images", secret, "image", b"classified" * 1000)
        team_a.patch("images", secret, status="active")
        team_a.patch("images", secret, visibility="shared")
        team_a.share("images", secret, "team-b")
        yield Seeded(server, tokens, cirros, secret, cirros_data)


@pytest.fixture(scope="module")
def browser(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    yield from chromium(seeded.server.url, tmp_path_factory.mktemp("chromium"))


@pytest.fixture
def anonymous(browser: Browser) -> Browser:
    browser.sign_out()
    return browser


def _sign_in(browser: Browser, token: str) -> None:
    browser.sign_out()
    browser.open("/ui/sign-in")
    browser.find("#token").send_keys(token)
    browser.follow("form.stack button[type=submit]")
    assert "You are signed in." in browser.find("main").text


def test_browse_search_and_filter_by_a_version_range(anonymous: Browser) -> None:
    browser = anonymous
    browser.open("/ui")
    assert browser.title == "Catalog · artifact-repo"
    headings = browser.texts(".type-head h2")
    assert {"Images", "Heat Templates", "TOSCA Templates"} <= set(headings)
    assert "8 artifacts" in browser.find("#type-images").find_element("xpath", "..").text
    browser.check_accessibility()
    browser.screenshot("home")
    browser.screenshot("home-phone", PHONE)

    browser.follow(".types a[href='/ui/types/images']")
    browser.find("#q").send_keys("cir")
    browser.find("#version").send_keys("^0.6")
    browser.follow(".search button[type=submit]")

    # Newest first; both were seeded within one second, where the order falls to their ids.
    assert sorted(browser.texts("table.artifacts td.version")) == ["0.6.1", "0.6.2"]
    assert browser.find(".page-head .count").text == "2 matches"
    assert "version=%5E0.6" in browser.find("details.api code").get_attribute("textContent")
    browser.check_accessibility()
    browser.screenshot("type-filtered")


def test_type_page_sorts_and_fits_a_phone(anonymous: Browser) -> None:
    browser = anonymous
    browser.open("/ui/types/images?sort=name:asc&latest=1")
    names = browser.texts("table.artifacts td:first-child a")
    assert names == ["cirros", "debian", "fedora-cloud", "ubuntu-server"]
    browser.screenshot("type")
    browser.driver.set_window_size(*PHONE)
    assert not browser.overflows_horizontally()
    browser.check_accessibility()
    browser.screenshot("type-phone", PHONE)


def test_open_an_artifact_and_download_its_image(anonymous: Browser, seeded: Seeded) -> None:
    browser = anonymous
    browser.open("/ui/types/images?q=cirros&version=0.6.2")
    browser.follow("table.artifacts td:first-child a")

    assert browser.find("h1").text == "cirros 0.6.2"
    timeline = browser.texts(".timeline .version")
    assert timeline == ["1.0.0-rc.1", "0.6.2", "0.6.1", "0.5.2"]
    sha256 = hashlib.sha256(seeded.cirros_data).hexdigest()
    assert sha256 in browser.find(".blob").text
    assert "128.0 KiB (131,072 bytes)" in browser.find(".blob").text
    browser.check_accessibility()
    assert not [e for e in console_errors(browser) if "Content Security Policy" in e]
    browser.screenshot("artifact")

    saved = browser.download(browser.find(".blob a.button"), "cirros-0.6.2-image")
    assert saved == seeded.cirros_data


def test_sign_in_and_accept_a_share(browser: Browser, seeded: Seeded) -> None:
    _sign_in(browser, seeded.tokens["team-b"])
    assert "team-b" in browser.find(".who").text
    assert SECRET not in browser.source
    browser.follow(".hero .notice a")

    assert browser.texts(".share .card-title") == [SECRET]
    browser.check_accessibility()
    browser.screenshot("shares")
    browser.follow(".share button[value=accepted]")

    assert "You accepted the share" in browser.find("main").text
    browser.open("/ui/types/images?q=secret")
    assert browser.texts("table.artifacts td:first-child a") == [SECRET]
    browser.follow("table.artifacts td:first-child a")
    assert "Your answer: accepted" in browser.find("main").text
    saved = browser.download(browser.find(".blob a.button"), f"{SECRET}-1.0.0-image")
    assert saved == b"classified" * 1000


def test_the_owner_sees_members_and_may_manage_sharing(browser: Browser, seeded: Seeded) -> None:
    _sign_in(browser, seeded.tokens["team-a"])
    browser.open(f"/ui/types/images/{seeded.secret}")

    members = browser.find("ul.members").text
    assert "team-b" in members
    assert {o.get_attribute("value") for o in browser.find_all("#visibility option")} == {
        "private",
        "community",
    }
    browser.check_accessibility()
    browser.driver.set_window_size(*PHONE)
    assert not browser.overflows_horizontally()
    browser.screenshot("artifact-owner")
    browser.screenshot("artifact-owner-phone", PHONE)


@pytest.mark.parametrize("who", ["team-c", "anonymous"])
def test_nothing_private_leaks_to_others(browser: Browser, seeded: Seeded, who: str) -> None:
    if who == "anonymous":
        browser.sign_out()
    else:
        _sign_in(browser, seeded.tokens[who])
    for path in ("/ui", "/ui/types/images", "/ui/types/images?q=secret", "/ui/shares"):
        browser.open(path)
        assert SECRET not in browser.source, path
        assert seeded.secret not in browser.source, path
    for path in (
        f"/ui/types/images/{seeded.secret}",
        f"/ui/types/images/{seeded.secret}/download/image",
    ):
        browser.open(path)
        assert browser.find("h1").text == "Not Found", path
        assert SECRET not in browser.source
    browser.check_accessibility()
