"""Glare's trusted-auth pipeline: identity from ``X-Auth-Token: <user>:<project>:<roles>``."""

from __future__ import annotations

from tests.compat.scenario import JSON_PATCH, Session, patch_body, scenario

IMAGES = "/artifacts/images"


def _token(value: str) -> dict[str, str]:
    return {"X-Auth-Token": value}


ALICE = _token("alice:project-a:member")
BOB = _token("bob:project-b:member")
ADMIN = _token("root:project-admin:admin")


@scenario("trusted-auth", "the token form, malformed tokens, roles and anonymous", flavor="trusted")
def trusted_auth(s: Session) -> None:
    created = s.post(IMAGES, as_=None, headers=ALICE, json={"name": "mine"}).json["id"]
    image = f"{IMAGES}/{created}"
    s.get(image, as_=None, headers=ALICE)
    s.get(image, as_=None, headers=BOB)
    s.get(image, as_=None, headers=ADMIN)
    s.get(image, as_=None, headers=_token("carol:project-a:"))
    s.get(image, as_=None, headers=_token("root:project-admin:ADMIN"))
    s.get(image, as_=None, headers=_token("root:project-admin:member,admin"))
    # Without a token Glare's trusted-auth pipeline answers 401; our trusted-headers mode, which
    # also serves Glare's no-auth conversations, takes such a caller as anonymous.
    s.get(image, as_=None, deviation="trusted-headers-mode")
    s.get(IMAGES, as_=None, deviation="trusted-headers-mode")
    for malformed in (
        "alice",
        "alice:project-a",
        "alice:project-a:member:extra",
        "alice::member",
        "",
        ":::",
    ):
        s.get(IMAGES, as_=None, headers=_token(malformed))
    s.get(IMAGES, as_=None, headers=_token("anon:none:"))
    s.post(IMAGES, as_=None, headers=_token("anon:none:"), json={"name": "anon"})
    s.get(image, as_=None, headers=_token(":project-a:"))
    s.get(
        image,
        as_=None,
        headers={
            "X-Identity-Status": "Confirmed",
            "X-Project-Id": "project-a",
            "X-User-Id": "alice",
        },
        deviation="trusted-headers-mode",
    )
    patch = {"Content-Type": JSON_PATCH}
    s.patch(
        image,
        as_=None,
        headers={**BOB, **patch},
        json=patch_body(("replace", "/description", "bob")),
    )
    s.patch(
        image,
        as_=None,
        headers={**ALICE, **patch},
        json=patch_body(
            ("add", "/container_format", "bare"),
            ("add", "/disk_format", "raw"),
            ("replace", "/status", "active"),
        ),
    )
    s.patch(
        image,
        as_=None,
        headers={**ALICE, **patch},
        json=patch_body(("replace", "/visibility", "public")),
    )
    s.patch(
        image,
        as_=None,
        headers={**_token("root:project-admin:Admin"), **patch},
        json=patch_body(("replace", "/visibility", "public")),
    )
    s.get(image, as_=None, headers=BOB)
    s.get(image, as_=None, headers=_token("anon:none:"))
    s.delete(image, as_=None, headers=ALICE)
    s.delete(image, as_=None, headers=ADMIN)
    s.get(f"{IMAGES}?sort=name:asc", as_=None, headers=ADMIN)
