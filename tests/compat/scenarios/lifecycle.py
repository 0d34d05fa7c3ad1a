"""The status machine and visibility: activate, deactivate, reactivate, publish, and who may."""

from __future__ import annotations

from tests.compat.scenario import ADMIN, BOB, Actor, Session, scenario, send_patch

IMAGES = "/artifacts/images"
#: A member of Alice's project who is not Alice.
CAROL = Actor("carol", "project-a")
#: The admin role written as Glare's policy matches it: case-insensitively.
SHOUTING_ADMIN = Actor("root2", "project-admin", ("Admin",))


def _ready_image(s: Session, name: str) -> str:
    """A drafted image with what activation requires."""
    body = {"name": name, "container_format": "bare", "disk_format": "raw"}
    return f"{IMAGES}/{s.post(IMAGES, json=body).json['id']}"


def _active_image(s: Session, name: str) -> str:
    image = _ready_image(s, name)
    send_patch(s, image, ("replace", "/status", "active"))
    return image


@scenario("lifecycle-activate", "activation: required fields, blobs, status values, who may")
def lifecycle_activate(s: Session) -> None:
    bare = s.post(IMAGES, json={"name": "bare"}).json["id"]
    send_patch(s, f"{IMAGES}/{bare}", ("replace", "/status", "active"))
    send_patch(s, f"{IMAGES}/{bare}", ("add", "/container_format", "bare"))
    send_patch(s, f"{IMAGES}/{bare}", ("add", "/status", "active"))
    send_patch(s, f"{IMAGES}/{bare}", ("add", "/disk_format", "qcow2"))
    image = _ready_image(s, "ready")
    send_patch(s, image, ("replace", "/status", "drafted"))
    for status in ("deleted", "nonsense", 5, None, "ACTIVE"):
        send_patch(s, image, ("replace", "/status", status))
    send_patch(s, image, ("replace", "/status", "deactivated"))
    send_patch(s, image, ("replace", "/status", "active"), as_=BOB)
    send_patch(s, image, ("replace", "/status", "active"), as_=None)
    send_patch(s, image, ("replace", "/status", "active"), as_=CAROL)
    send_patch(s, image, ("replace", "/status", "active"))
    send_patch(s, image, ("replace", "/status", "active"))
    send_patch(s, image, ("replace", "/status", "drafted"))
    send_patch(s, image, ("remove", "/status"))
    by_admin = _ready_image(s, "by-admin")
    send_patch(s, by_admin, ("replace", "/status", "active"), as_=ADMIN)
    together = s.post(IMAGES, json={"name": "together"}).json["id"]
    send_patch(
        s,
        f"{IMAGES}/{together}",
        ("add", "/container_format", "ova"),
        ("add", "/disk_format", "vmdk"),
        ("replace", "/status", "active"),
    )
    order = s.post(IMAGES, json={"name": "order"}).json["id"]
    send_patch(
        s,
        f"{IMAGES}/{order}",
        ("replace", "/status", "active"),
        ("add", "/container_format", "ova"),
        ("add", "/disk_format", "vmdk"),
    )
    for type_name in ("heat_templates", "heat_environments", "tosca_templates", "murano_packages"):
        other = s.post(f"/artifacts/{type_name}", json={"name": "no-blob"}).json["id"]
        send_patch(s, f"/artifacts/{type_name}/{other}", ("replace", "/status", "active"))
    s.get(f"{IMAGES}?sort=name:asc")


@scenario("lifecycle-active-changes", "what may change once active: mutable fields only")
def lifecycle_active_changes(s: Session) -> None:
    image = _active_image(s, "active")
    send_patch(s, image, ("replace", "/description", "changed"))
    send_patch(s, image, ("add", "/tags/-", "t"))
    send_patch(s, image, ("add", "/metadata/k", "v"))
    send_patch(s, image, ("replace", "/version", "9.0.0"))
    send_patch(s, image, ("replace", "/disk_format", "qcow2"))
    send_patch(s, image, ("replace", "/status", "active"), ("replace", "/version", "2"))
    package = s.post(
        "/artifacts/murano_packages",
        json={
            "name": "pkg",
            "display_name": "Package",
            "categories": ["web"],
            "class_definitions": ["io.A"],
            "inherits": {"io.A": "io.Base"},
            "keywords": ["k"],
        },
    ).json["id"]
    path = f"/artifacts/murano_packages/{package}"
    send_patch(s, path, ("replace", "/status", "active"))
    send_patch(s, path, ("replace", "/display_name", "Renamed"))
    send_patch(s, path, ("add", "/categories/-", "db"))
    send_patch(s, path, ("add", "/keywords/-", "k2"))
    send_patch(s, path, ("add", "/inherits/io.B", "io.Base"))
    send_patch(s, path, ("add", "/class_definitions/-", "io.C"))
    send_patch(s, path, ("replace", "/type", "Library"))
    s.get(path)
    # Our images' descriptive fields stay mutable, as the Glance door needs them to be.
    send_patch(s, image, ("replace", "/name", "renamed"), deviation="image-fields-mutable")
    send_patch(s, image, ("replace", "/min_ram", 1), deviation="image-fields-mutable")


@scenario("lifecycle-deactivate", "deactivate and reactivate: admins only, and what they block")
def lifecycle_deactivate(s: Session) -> None:
    image = _active_image(s, "toggled")
    send_patch(s, image, ("replace", "/status", "deactivated"))
    send_patch(s, image, ("replace", "/status", "deactivated"), as_=BOB)
    send_patch(s, image, ("replace", "/status", "deactivated"), as_=ADMIN)
    send_patch(s, image, ("replace", "/status", "deactivated"), as_=ADMIN)
    s.get(image)
    s.get(image, as_=ADMIN)
    s.get(image, as_=BOB)
    s.get(f"{IMAGES}?status=deactivated")
    send_patch(s, image, ("replace", "/description", "while deactivated"))
    send_patch(s, image, ("replace", "/description", "while deactivated"), as_=ADMIN)
    send_patch(s, image, ("add", "/tags/-", "t"), as_=ADMIN)
    send_patch(s, image, ("replace", "/visibility", "public"), as_=ADMIN)
    send_patch(s, image, ("replace", "/status", "drafted"), as_=ADMIN)
    send_patch(s, image, ("replace", "/status", "active"))
    send_patch(s, image, ("replace", "/status", "active"), as_=SHOUTING_ADMIN)
    send_patch(s, image, ("replace", "/status", "deactivated"), as_=SHOUTING_ADMIN)
    send_patch(s, image, ("replace", "/status", "active"), as_=ADMIN)
    drafted = _ready_image(s, "drafted")
    send_patch(s, drafted, ("replace", "/status", "deactivated"), as_=ADMIN)
    s.get(f"{IMAGES}?sort=name:asc", as_=ADMIN)


@scenario("lifecycle-publish", "visibility: publishing, withdrawing, and changes to public ones")
def lifecycle_publish(s: Session) -> None:
    drafted = _ready_image(s, "drafted")
    send_patch(s, drafted, ("replace", "/visibility", "public"), as_=ADMIN)
    send_patch(s, drafted, ("replace", "/visibility", "private"))
    image = _active_image(s, "published")
    send_patch(s, image, ("replace", "/visibility", "public"))
    send_patch(s, image, ("replace", "/visibility", "public"), as_=BOB)
    for visibility in ("shared", "community"):
        send_patch(
            s, image, ("replace", "/visibility", visibility), deviation="visibility-extensions"
        )
    for visibility in ("nonsense", 5, None):
        send_patch(s, image, ("replace", "/visibility", visibility))
    send_patch(s, image, ("replace", "/visibility", "private"))
    send_patch(s, image, ("replace", "/visibility", "public"), as_=ADMIN)
    send_patch(s, image, ("replace", "/visibility", "public"), as_=ADMIN)
    s.get(image, as_=BOB)
    s.get(image, as_=None)
    s.get(f"{IMAGES}?sort=name:asc", as_=BOB)
    s.get(f"{IMAGES}?visibility=public", as_=None)
    send_patch(s, image, ("replace", "/visibility", "private"))
    send_patch(s, image, ("add", "/tags/-", "t"))
    send_patch(s, image, ("add", "/tags/-", "t"), as_=BOB)
    send_patch(s, image, ("add", "/tags/-", "t"), as_=ADMIN)
    send_patch(s, image, ("replace", "/status", "deactivated"), as_=ADMIN)
    s.get(image, as_=BOB)
    send_patch(s, image, ("replace", "/status", "active"), as_=ADMIN)
    together = _ready_image(s, "together")
    send_patch(
        s,
        together,
        ("replace", "/status", "active"),
        ("replace", "/visibility", "public"),
        as_=ADMIN,
    )
    # Public names are unique across projects: Bob's active image may not take the same one.
    clash = s.post(
        IMAGES,
        json={"name": "published", "container_format": "bare", "disk_format": "raw"},
        as_=BOB,
    ).json["id"]
    send_patch(s, f"{IMAGES}/{clash}", ("replace", "/status", "active"), as_=BOB)
    send_patch(s, f"{IMAGES}/{clash}", ("replace", "/visibility", "public"), as_=ADMIN)
    s.get(f"{IMAGES}?sort=name:asc,owner:asc", as_=ADMIN)
    send_patch(
        s, image, ("replace", "/visibility", "private"), as_=ADMIN, deviation="withdraw-public"
    )


@scenario("deletion-rules", "who may delete what, in which status and visibility")
def deletion_rules(s: Session) -> None:
    drafted = _ready_image(s, "drafted")
    s.delete(drafted, as_=BOB)
    s.delete(drafted, as_=None)
    s.delete(drafted, as_=CAROL)
    s.get(drafted)
    active = _active_image(s, "active")
    s.delete(active)
    s.get(active)
    deactivated = _active_image(s, "deactivated")
    send_patch(s, deactivated, ("replace", "/status", "deactivated"), as_=ADMIN)
    s.delete(deactivated)
    s.delete(deactivated, as_=ADMIN)
    public = _active_image(s, "public")
    send_patch(s, public, ("replace", "/visibility", "public"), as_=ADMIN)
    s.delete(public, as_=BOB)
    s.delete(public, as_=None)
    s.delete(public)
    s.get(public)
    s.delete(public, as_=ADMIN)
    s.get(public)
    by_admin = _ready_image(s, "by-admin")
    s.delete(by_admin, as_=ADMIN)
    s.delete(by_admin, as_=ADMIN)
    s.delete(f"/artifacts/heat_templates/{by_admin.rsplit('/', 1)[1]}")
    kept = _ready_image(s, "kept")
    s.delete(f"/artifacts/all/{kept.rsplit('/', 1)[1]}")
    s.delete(
        kept,
        data='{"reason": "x"}',
        headers={"Content-Type": "application/json"},
        deviation="json-error-pages",
    )
    s.get(f"{IMAGES}?sort=name:asc", as_=ADMIN)


@scenario("anonymous-callers", "no identity at all: reads of public artifacts only, no writes")
def anonymous_callers(s: Session) -> None:
    private = _active_image(s, "private")
    public = _active_image(s, "public")
    send_patch(s, public, ("replace", "/visibility", "public"), as_=ADMIN)
    s.get(IMAGES, as_=None)
    s.get("/artifacts/all", as_=None)
    s.get(private, as_=None)
    s.get(public, as_=None)
    s.get(f"/artifacts/all/{public.rsplit('/', 1)[1]}", as_=None)
    s.post(IMAGES, json={"name": "anon"}, as_=None)
    send_patch(s, public, ("add", "/tags/-", "t"), as_=None)
    send_patch(s, private, ("add", "/tags/-", "t"), as_=None)
    s.delete(public, as_=None)
    s.put(
        f"{public}/image",
        data="bytes",
        headers={"Content-Type": "application/octet-stream"},
        as_=None,
    )
    s.get(f"{public}/image", as_=None, deviation="public-download")
    s.post(
        IMAGES,
        json={"name": "tenant-header"},
        as_=None,
        headers={
            "X-Identity-Status": "Confirmed",
            "X-Tenant-Id": "project-a",
            "X-User-Id": "alice",
        },
    )
    s.post(
        IMAGES,
        json={"name": "no-project"},
        as_=None,
        headers={"X-Identity-Status": "Confirmed", "X-User-Id": "alice"},
    )
    s.get(f"{IMAGES}?sort=name:asc")
    # Glare's no-auth pipeline believes identity headers only with X-Identity-Status: Confirmed.
    s.get(
        private, as_=None, headers={"X-Project-Id": "project-a"}, deviation="trusted-headers-mode"
    )
    s.post(
        IMAGES,
        json={"name": "unconfirmed"},
        as_=None,
        headers={"X-Project-Id": "project-a", "X-User-Id": "alice", "X-Roles": "member"},
        deviation="trusted-headers-mode",
    )
