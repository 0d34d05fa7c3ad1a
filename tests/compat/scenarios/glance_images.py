"""Glance Images v2: discovery, image CRUD and patch, data, lists, tags, members, actions.

Recorded against Glance 33 (no Keystone: the peer runs every request as a project-less admin;
the replay sends them as the actor named, see tests/compat/test_replay_glance.py).
"""

from __future__ import annotations

from functools import partial

from tests.compat.scenario import ADMIN, Session, scenario

glance = partial(scenario, protocol="glance")

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
DATA = {"Content-Type": "application/octet-stream"}
JSON_ERRORS = {"Accept": "application/json"}
MISSING = "00000000-0000-4000-8000-000000000000"


def _image(s: Session, name: str = "cirros", **attrs: object) -> str:
    body = {"name": name, "disk_format": "raw", "container_format": "bare"}
    body.update({"visibility": "private", **attrs})
    return str(s.post("/v2/images", json=body).json["id"])


@glance("glance-discovery", "/versions, /v2 and /v2/info on Glance's Images API")
def discovery(s: Session) -> None:
    s.get("/versions", deviation="versions-shared-document")
    s.get("/v2", deviation="redirect-content-length")
    s.get("/v2/info/import")
    s.get("/v2/info/stores")


@glance("glance-schemas", "the member schemas and an unknown schema")
def schemas(s: Session) -> None:
    s.get("/v2/schemas/image", deviation="schema-descriptions")
    s.get("/v2/schemas/images", deviation="schema-descriptions")
    s.get("/v2/schemas/member", deviation="schema-descriptions")
    s.get("/v2/schemas/members", deviation="schema-descriptions")
    s.get("/v2/schemas/nothing", headers=JSON_ERRORS)


@glance("glance-image-crud", "create, show, patch and delete an image, and their errors")
def image_crud(s: Session) -> None:
    created = s.post(
        "/v2/images",
        json={
            "name": "cirros",
            "disk_format": "qcow2",
            "container_format": "bare",
            "visibility": "private",
            "min_ram": 512,
            "hw_disk_bus": "virtio",
            "os_distro": "cirros",
        },
    ).json
    image = f"/v2/images/{created['id']}"
    s.get(image)
    s.patch(
        image,
        data='[{"op": "replace", "path": "/name", "value": "renamed"},'
        ' {"op": "add", "path": "/flavor", "value": "m1.tiny"},'
        ' {"op": "replace", "path": "/hw_disk_bus", "value": "scsi"},'
        ' {"op": "add", "path": "/min_disk", "value": 2}]',
        headers=PATCH,
    )
    s.patch(image, data='[{"op": "remove", "path": "/flavor"}]', headers=PATCH)
    s.patch(
        image,
        data='[{"op": "replace", "path": "/nothing", "value": "x"}]',
        headers={**PATCH, **JSON_ERRORS},
    )
    s.patch(
        image,
        data='[{"op": "remove", "path": "/nothing"}]',
        headers={**PATCH, **JSON_ERRORS},
    )
    s.patch(
        image,
        data='[{"op": "replace", "path": "/status", "value": "active"}]',
        headers={**PATCH, **JSON_ERRORS},
    )
    s.patch(
        image,
        data='[{"op": "replace", "path": "/checksum", "value": "x"}]',
        headers={**PATCH, **JSON_ERRORS},
    )
    s.patch(image, data="[]", headers={"Content-Type": "application/json", **JSON_ERRORS})
    s.post("/v2/images", json={"name": "bad", "disk_format": "floppy"}, headers=JSON_ERRORS)
    s.post("/v2/images", data="not json", headers={"Content-Type": "application/json"})
    s.get(f"/v2/images/{MISSING}", headers=JSON_ERRORS)
    s.get(f"/v2/images/{MISSING}")
    s.delete(image)
    s.get(image, headers=JSON_ERRORS)
    s.delete(image, headers=JSON_ERRORS)


@glance("glance-image-data", "upload, download, ranges, no data, deactivate and reactivate")
def image_data(s: Session) -> None:
    image = f"/v2/images/{_image(s)}"
    s.get(f"{image}/file")
    s.put(f"{image}/file", data="hello, image", headers=DATA)
    s.get(image, deviation="stores-attribute")
    s.get(f"{image}/file")
    s.get(f"{image}/file", headers={"Range": "bytes=0-4"})
    s.get(f"{image}/file", headers={"Range": "bytes=7-"})
    s.post(f"{image}/actions/deactivate", as_=ADMIN)
    s.get(image, deviation="stores-attribute")
    s.get(f"{image}/file", as_=ADMIN)
    s.post(f"{image}/actions/reactivate", as_=ADMIN)
    s.get(image, deviation="stores-attribute")
    s.delete(image)


@glance("glance-image-list", "filters, sorting, paging and next links")
def image_list(s: Session) -> None:
    _image(s, "alpha", disk_format="qcow2", flavor="small", min_ram=256)
    _image(s, "beta", flavor="large", min_ram=1024)
    _image(s, "gamma", flavor="small", min_ram=2048)
    for query in (
        "",
        "sort_key=name&sort_dir=asc",
        "sort_key=disk_format&sort_dir=asc&sort_key=name&sort_dir=desc",
        "sort=name:asc",
        "name=beta",
        "name=in:alpha,gamma&sort_key=name&sort_dir=asc",
        "disk_format=qcow2",
        "status=queued&sort_key=name&sort_dir=asc",
        "status=active",
        "flavor=small&sort_key=name&sort_dir=asc",
        "visibility=private&sort_key=name&sort_dir=asc",
        "visibility=public",
        "os_hidden=true",
        "limit=2&sort_key=name&sort_dir=asc",
    ):
        s.get(f"/v2/images?{query}" if query else "/v2/images")
    s.get("/v2/images?min_ram=gte:1000", deviation="min-ram-comparison")
    first = s.get("/v2/images?limit=2&sort_key=name&sort_dir=asc").json
    s.get(first["next"])
    s.get("/v2/images?sort_key=nothing", headers=JSON_ERRORS)
    s.get("/v2/images?sort_dir=sideways", headers=JSON_ERRORS)
    s.get("/v2/images?limit=-1", headers=JSON_ERRORS)
    s.get("/v2/images?status=bogus", headers=JSON_ERRORS)
    s.get(f"/v2/images?marker={MISSING}", headers=JSON_ERRORS)


@glance("glance-tags-members", "tags, and sharing an image with a member project")
def tags_members(s: Session) -> None:
    image_id = _image(s)
    image = f"/v2/images/{image_id}"
    s.put(f"{image}/tags/blue")
    s.put(f"{image}/tags/blue")
    s.put(f"{image}/tags/red")
    s.get("/v2/images?tag=blue&tag=red")
    s.delete(f"{image}/tags/blue")
    s.delete(f"{image}/tags/blue", headers=JSON_ERRORS)
    s.get(image)
    s.put(f"{image}/file", data="shared bytes", headers=DATA)
    s.patch(image, data='[{"op": "replace", "path": "/visibility", "value": "shared"}]',
            headers=PATCH, deviation="stores-attribute")  # fmt: skip
    s.post(f"{image}/members", json={"member": "project-b"})
    s.get(f"{image}/members")
    s.get(f"{image}/members/project-b")
    s.post(f"{image}/members", json={"member": "project-b"}, headers=JSON_ERRORS)
    s.get(f"{image}/members/project-x", headers=JSON_ERRORS)
    s.delete(f"{image}/members/project-b")
    s.get(f"{image}/members")


@glance("glance-image-protection", "protected images refuse deletion; hidden ones leave lists")
def image_protection(s: Session) -> None:
    image_id = _image(s, "guarded", protected=True, os_hidden=True)
    image = f"/v2/images/{image_id}"
    _image(s, "plain")
    s.get(image)
    s.get("/v2/images")
    s.get("/v2/images?os_hidden=true")
    s.get("/v2/images?os_hidden=false")
    s.get("/v2/images?protected=true")
    s.delete(image, headers=JSON_ERRORS)
    s.delete(image)
    s.put(f"{image}/file", data="guarded bytes", headers=DATA)
    s.get(image, deviation="stores-attribute")
    s.put(f"{image}/file", data="other bytes", headers={**DATA, **JSON_ERRORS})
    s.post(f"{image}/actions/deactivate", as_=ADMIN)
    s.delete(image, as_=ADMIN, headers=JSON_ERRORS)
    s.post(f"{image}/actions/reactivate", as_=ADMIN)
    s.patch(
        image,
        data='[{"op": "replace", "path": "/protected", "value": "yes"}]',
        headers={**PATCH, **JSON_ERRORS},
    )
    s.patch(
        image,
        data='[{"op": "replace", "path": "/os_hidden", "value": false}]',
        headers=PATCH,
        deviation="stores-attribute",
    )
    s.get("/v2/images?sort_key=name&sort_dir=asc", deviation="stores-attribute")
    s.patch(
        image,
        data='[{"op": "replace", "path": "/protected", "value": false}]',
        headers=PATCH,
        deviation="stores-attribute",
    )
    s.delete(image)
    s.get(image, headers=JSON_ERRORS)
