"""Forms, sign-in and sharing through the catalog: CSRF, cookies, and the engine's rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import falcon.testing

from artifacts.engine.services import Services
from tests.api.ui.conftest import Browser, artifact_links, text_of
from tests.factories import ADMIN, JSON, activate, create, identity, patch, replace, show


def _shared_widget(client: falcon.testing.TestClient, member: str = "p2") -> str:
    return _shared_widget_named(client, "shared-bolt", member)


def _shared_widget_named(client: falcon.testing.TestClient, name: str, member: str) -> str:
    artifact_id = str(create(client, name=name, version="1.0.0", serial="AB-1234")["id"])
    activate(client, "widgets", artifact_id)
    assert (
        patch(client, "widgets", artifact_id, [replace("visibility", "shared")]).status_code == 200
    )
    added = client.simulate_post(
        f"/artifacts/widgets/{artifact_id}/members",
        json={"member": member},
        headers={**identity("p1"), **JSON},
    )
    assert added.status_code == 201, added.text
    return artifact_id


def _token(services: Services, project: str) -> str:
    issued = services.tokens.create(
        project_id=project, user_id=f"{project}-user", roles=(), lifetime=dt.timedelta(hours=1)
    )
    return issued.token


def test_owner_activates_and_shares_through_forms(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    artifact_id = str(create(client, name="bolt", version="1.0.0", serial="AB-1234")["id"])
    owner = browser(identity("p1"))
    owner.get(f"/ui/types/widgets/{artifact_id}")
    base = f"/ui/types/widgets/{artifact_id}"

    activated = owner.post(f"{base}/status", {"status": "active"})
    shared = owner.post(f"{base}/visibility", {"visibility": "shared"})
    owner.get(base)
    invited = owner.post(f"{base}/members", {"member": "p2"})

    assert activated.status_code == 303
    assert activated.headers["Location"] == f"{base}?done=activated"
    assert shared.status_code == 303
    assert invited.status_code == 303
    page = owner.get(base)
    assert "p2 pending" in text_of(page.text)
    body = show(client, "widgets", artifact_id).json
    assert (body["status"], body["visibility"]) == ("active", "shared")


def test_forms_without_the_csrf_token_change_nothing(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    artifact_id = str(create(client, name="bolt", version="1.0.0", serial="AB-1234")["id"])
    owner = browser(identity("p1"))
    owner.get(f"/ui/types/widgets/{artifact_id}")
    path = f"/ui/types/widgets/{artifact_id}/status"

    missing = owner.post(path, {"status": "active"}, csrf=False)
    forged = owner.post(path, {"status": "active", "csrf_token": "0" * 64}, csrf=False)
    cross_site = owner.post(path, {"status": "active"}, **{"Sec-Fetch-Site": "cross-site"})
    other_browser = browser(identity("p1"))
    other_browser.csrf = owner.csrf  # a token from someone else's page, without their cookie
    stolen = other_browser.post(path, {"status": "active"})

    for result in (missing, forged, cross_site, stolen):
        assert result.status_code == 403, result.text
        assert "text/html" in result.content_type
    assert show(client, "widgets", artifact_id).json["status"] == "drafted"


def test_engine_refusals_are_shown_on_the_artifact_page(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    artifact_id = str(create(client, name="bolt", version="1.0.0")["id"])  # no serial yet
    owner = browser(identity("p1"))
    owner.get(f"/ui/types/widgets/{artifact_id}")

    refused = owner.post(f"/ui/types/widgets/{artifact_id}/status", {"status": "active"})

    assert refused.status_code == 403  # a missing requirement is 403, as in Glare
    assert "required fields are not set: serial" in text_of(refused.text)


def test_other_projects_can_neither_see_nor_change_an_artifact(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    artifact_id = str(create(client, name="secret-bolt", version="1.0.0", serial="AB-1234")["id"])
    own = create(client, project="p3", name="own-bolt", version="1.0.0")["id"]
    stranger = browser(identity("p3"))
    stranger.get(f"/ui/types/widgets/{own}")  # a page with forms: the stranger's CSRF token
    assert stranger.csrf
    base = f"/ui/types/widgets/{artifact_id}"

    assert stranger.get(base).status_code == 404
    assert stranger.get(f"{base}/download/manual").status_code == 404
    assert stranger.post(f"{base}/status", {"status": "active"}).status_code == 404
    assert stranger.post(f"{base}/members", {"member": "p3"}).status_code == 404
    assert "secret-bolt" not in stranger.get("/ui").text
    assert "secret-bolt" not in stranger.get("/ui/types/widgets").text
    assert show(client, "widgets", artifact_id).json["status"] == "drafted"


def test_a_member_accepts_a_share_from_its_shares_page(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    artifact_id = _shared_widget(client)
    public = create(client, name="public-bolt", version="1.0.0", serial="AB-1234")["id"]
    activate(client, "widgets", public)
    assert (
        patch(client, "widgets", public, [replace("visibility", "public")], ADMIN).status_code
        == 200
    )
    create(client, project="p2", name="own-bolt", version="1.0.0")
    member = browser(identity("p2"))
    bystander = browser(identity("p3"))

    before = member.get("/ui/types/widgets")
    home = member.get("/ui")
    shares = member.get("/ui/shares")
    accepted = member.post(
        f"/ui/types/widgets/{artifact_id}/answer", {"status": "accepted", "next": "/ui/shares"}
    )
    after = member.get("/ui/types/widgets")

    assert artifact_id not in artifact_links(before.text, "widgets")
    assert "1 share awaiting your answer" in text_of(home.text)
    assert artifact_links(shares.text, "widgets") == [artifact_id]
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == "/ui/shares?done=accepted"
    assert artifact_id in artifact_links(after.text, "widgets")
    assert artifact_links(member.get("/ui/shares").text, "widgets") == []
    assert artifact_links(bystander.get("/ui/shares").text, "widgets") == []
    assert bystander.get(f"/ui/types/widgets/{artifact_id}").status_code == 404
    # The member sees its own answer, never the owner's list of members.
    page = member.get(f"/ui/types/widgets/{artifact_id}")
    assert "Your answer: accepted" in text_of(page.text)
    assert "Share with project" not in page.text


def test_answer_redirects_stay_inside_the_catalog(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    artifact_id = _shared_widget(client)
    member = browser(identity("p2"))
    member.get("/ui/shares")

    answered = member.post(
        f"/ui/types/widgets/{artifact_id}/answer",
        {"status": "accepted", "next": "//evil.example/ui"},
    )

    assert answered.headers["Location"].startswith(f"/ui/types/widgets/{artifact_id}")


def test_sign_in_keeps_the_token_in_a_secure_cookie(
    client: falcon.testing.TestClient,
    services: Services,
    tokens_browser: Callable[[], Browser],
) -> None:
    token = _token(services, "p1")
    visitor = tokens_browser()
    assert "Sign in" in visitor.get("/ui").text

    visitor.get("/ui/sign-in")
    signed_in = visitor.post("/ui/sign-in", {"token": token, "next": "/ui/shares"})

    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/ui/shares?done=signed-in"
    cookie = signed_in.cookies["artifacts_ui_session"]
    assert (cookie.secure, cookie.http_only, cookie.same_site, cookie.path) == (
        True,
        True,
        "Lax",
        "/ui",
    )
    home = visitor.get("/ui")
    assert "Sign out" in home.text
    assert "p1" in text_of(home.text)
    csrf_cookie = home.cookies.get("artifacts_ui_csrf") or signed_in.cookies.get(
        "artifacts_ui_csrf"
    )
    assert csrf_cookie is None or csrf_cookie.same_site == "Strict"


def test_a_bad_token_is_refused_and_a_revoked_one_signs_out(
    services: Services, tokens_browser: Callable[[], Browser]
) -> None:
    visitor = tokens_browser()
    visitor.get("/ui/sign-in")
    refused = visitor.post("/ui/sign-in", {"token": "art_0000000000000000_" + "x" * 43})
    assert refused.status_code == 401
    assert "invalid, expired or revoked" in text_of(refused.text)
    assert "artifacts_ui_session" not in visitor.cookies

    token = _token(services, "p1")
    visitor.post("/ui/sign-in", {"token": token})
    assert "Sign out" in visitor.get("/ui").text
    services.tokens.revoke(token.split("_")[1])

    page = visitor.get("/ui")
    assert page.status_code == 200
    assert "Sign in" in page.text
    assert "artifacts_ui_session" not in visitor.cookies


def test_the_sign_in_cookie_is_no_credential_for_the_api(
    client: falcon.testing.TestClient,
    services: Services,
    tokens_browser: Callable[[], Browser],
) -> None:
    token = _token(services, "p1")
    visitor = tokens_browser()
    visitor.get("/ui/sign-in")
    visitor.post("/ui/sign-in", {"token": token})

    created = visitor.client.simulate_post(
        "/artifacts/widgets",
        json={"name": "bolt"},
        headers={"Cookie": f"artifacts_ui_session={token}", **JSON},
    )

    assert created.status_code == 401


def test_sign_out_forgets_the_session(
    services: Services, tokens_browser: Callable[[], Browser]
) -> None:
    visitor = tokens_browser()
    visitor.get("/ui/sign-in")
    visitor.post("/ui/sign-in", {"token": _token(services, "p1")})
    visitor.get("/ui")

    signed_out = visitor.post("/ui/sign-out", {})

    assert signed_out.status_code == 303
    assert "artifacts_ui_session" not in visitor.cookies
    assert "Sign in" in visitor.get("/ui").text


def test_an_administrator_sees_only_the_shares_offered_to_its_own_project(
    client: falcon.testing.TestClient, browser: Callable[..., Browser]
) -> None:
    to_admins = _shared_widget(client, member="admin-project")
    to_others = _shared_widget_named(client, "other-bolt", member="p2")

    shares = browser(ADMIN).get("/ui/shares")

    assert artifact_links(shares.text, "widgets") == [to_admins]
    assert to_others not in shares.text
