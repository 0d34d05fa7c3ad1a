"""Glance Images v2 beyond the basics: the rest of the list filters, what a create or a patch
refuses, tags' limits, and what each status allows of an image's data.

Recorded against Glance 33 as a project-less admin (see glance_images.py).
"""

from __future__ import annotations

import uuid
from functools import partial

from tests.compat.scenario import ADMIN, Session, scenario

glance = partial(scenario, protocol="glance")

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
DATA = {"Content-Type": "application/octet-stream"}
JSON_ERRORS = {"Accept": "application/json"}


def _image(s: Session, name: str, **attrs: object) -> str:
    body = {"name": name, "disk_format": "raw", "container_format": "bare"}
    body.update({"visibility": "private", **attrs})
    return str(s.post("/v2/images", json=body).json["id"])


def _patch(s: Session, image: str, ops: str) -> None:
    s.patch(f"/v2/images/{image}", data=ops, headers={**PATCH, **JSON_ERRORS})


@glance("glance-list-filters", "size, id, in:, protected, tags, multi-key sorts, bad filters")
def list_filters(s: Session) -> None:
    small = _image(s, "small")
    s.put(f"/v2/images/{small}/file", data=b"0123456789", headers=DATA)
    large = _image(s, "large", protected=True)
    s.put(f"/v2/images/{large}/file", data=b"x" * 3000, headers=DATA)
    _image(s, "empty", container_format="ova", disk_format="vmdk")
    for query in (
        "size_min=100&sort_key=name&sort_dir=asc",
        "size_max=100&sort_key=name&sort_dir=asc",
        "size_min=5&size_max=5000&sort_key=name&sort_dir=asc",
        "size_min=-1",
        "sort=size:desc,name",
        "sort_key=size&sort_key=name&sort_dir=desc&sort_dir=asc",
    ):
        s.get(f"/v2/images?{query}", deviation="size-filters")
    for query in (
        f"id={small}",
        f"id=in:{small},{large}&sort_key=name&sort_dir=asc",
        "disk_format=in:raw,vmdk&sort_key=name&sort_dir=asc",
        "container_format=ova",
        "protected=false&sort_key=name&sort_dir=asc",
        "sort=status:asc,name:desc",
        "sort_key=created_at&sort_dir=desc&limit=1",
        "name=in:small,nothing",
        "member_status=accepted&sort_key=name&sort_dir=asc",
        "visibility=all&sort_key=name&sort_dir=asc",
        "sort_dir=asc",
    ):
        s.get(f"/v2/images?{query}", deviation="stores-attribute")
    for query in (
        "protected=maybe",
        "sort=name:sideways",
        "sort=name&sort_key=size",
        "sort_key=name&sort_dir=asc&sort_dir=desc",
        "limit=abc",
        "visibility=everyone",
        "member_status=pending-ish",
        "created_at=gte:not-a-date",
    ):
        s.get(f"/v2/images?{query}", headers=JSON_ERRORS)


@glance("glance-create-refusals", "what a create or a patch refuses: ids, names, properties")
def create_refusals(s: Session) -> None:
    # Fresh for every recording: Glance never gives an id twice, not even a deleted image's.
    chosen = str(uuid.uuid4())
    s.post("/v2/images", json={"id": chosen, "name": "chosen", "visibility": "private"})
    s.post("/v2/images", json={"id": chosen, "name": "again"}, headers=JSON_ERRORS)
    s.post("/v2/images", json={"id": "not-a-uuid", "name": "x"}, headers=JSON_ERRORS)
    s.get(f"/v2/images/{chosen}", headers=JSON_ERRORS)
    for body in (
        {"name": "n" * 256},
        {"name": 5},
        {"container_format": "tarball"},
        {"min_ram": -1},
        {"min_disk": "two"},
        {"visibility": "everyone"},
        {"protected": "yes"},
        {"tags": "single"},
        {"tags": ["t" * 256]},
        {"status": "active"},
        {"size": 10},
        {"checksum": "abc"},
        {"self": "/v2/images/x"},
        {"os_glance_import_task": "t"},
        {"property": ["not", "a", "string"]},
        {"k" * 256: "long key"},
    ):
        s.post("/v2/images", json=body, headers=JSON_ERRORS)
    s.post("/v2/images", json={"name": "props", "custom": "v", "visibility": "private"})
    image = _image(s, "patched")
    for ops in (
        '[{"op": "add", "path": "/os_glance_thing", "value": "x"}]',
        '[{"op": "replace", "path": "/id", "value": "x"}]',
        '[{"op": "replace", "path": "/min_ram", "value": -5}]',
        '[{"op": "add", "path": "/tags/-", "value": "t"}]',
        '[{"op": "replace", "path": "/tags", "value": ["a", "b", "a"]}]',
        '[{"op": "move", "path": "/name", "from": "/os_distro"}]',
        '[{"op": "test", "path": "/name", "value": "patched"}]',
        '[{"op": "replace", "path": "/visibility", "value": "community"}]',
        '[{"op": "replace", "path": "/protected", "value": "true"}]',
        '[{"op": "add", "path": "/custom", "value": 5}]',
    ):
        _patch(s, image, ops)
    s.get(f"/v2/images/{image}")
    # Last: Glance creates an image here where we refuse, which would shift the ids after it.
    hashed = {"name": "hashed", "os_hash_value": "abc", "visibility": "private"}
    s.post("/v2/images", json=hashed, headers=JSON_ERRORS, deviation="read-only-hash-value")
    s.post("/v2/images", json=[], headers=JSON_ERRORS, deviation="glance-server-errors")


@glance("glance-data-states", "what each status allows: re-upload, deactivated, deleted, protected")
def data_states(s: Session) -> None:
    image = _image(s, "stateful")
    s.put(f"/v2/images/{image}/file", data=b"data", headers=DATA)
    s.put(f"/v2/images/{image}/file", data=b"again", headers={**DATA, **JSON_ERRORS})
    s.put(f"/v2/images/{image}/file", data=b"", headers={**DATA, **JSON_ERRORS})
    s.post(f"/v2/images/{image}/actions/deactivate", as_=ADMIN)
    s.get(f"/v2/images/{image}/file", headers=JSON_ERRORS, as_=ADMIN)
    s.post(f"/v2/images/{image}/actions/deactivate", as_=ADMIN)
    s.post(f"/v2/images/{image}/actions/reactivate", as_=ADMIN)
    s.post(f"/v2/images/{image}/actions/reactivate", as_=ADMIN)
    s.post(f"/v2/images/{image}/actions/nothing", headers=JSON_ERRORS, as_=ADMIN)
    queued = _image(s, "queued")
    s.post(f"/v2/images/{queued}/actions/deactivate", headers=JSON_ERRORS, as_=ADMIN)
    s.post(f"/v2/images/{queued}/actions/reactivate", headers=JSON_ERRORS, as_=ADMIN)
    s.get(f"/v2/images/{queued}")
    s.put(f"/v2/images/{queued}/file", data=b"x", headers={"Content-Type": "text/plain"})
    qcow2 = _image(s, "declared-qcow2", disk_format="qcow2")
    s.put(
        f"/v2/images/{qcow2}/file",
        data=b"not a qcow2 image",
        headers={**DATA, **JSON_ERRORS},
        deviation="format-mismatch-status",
    )
    guarded = _image(s, "guarded", protected=True)
    s.delete(f"/v2/images/{guarded}", headers=JSON_ERRORS)
    _patch(s, guarded, '[{"op": "replace", "path": "/protected", "value": false}]')
    s.delete(f"/v2/images/{guarded}")
    s.put(f"/v2/images/{guarded}/file", data=b"x", headers={**DATA, **JSON_ERRORS})
    s.delete(f"/v2/images/{image}/tags/nothing", headers=JSON_ERRORS)
    s.put(f"/v2/images/{image}/tags/{'t' * 256}", headers=JSON_ERRORS)
    s.put(f"/v2/images/{image}/tags/ok")
    s.put(f"/v2/images/{image}/tags/ok")
    s.get(f"/v2/images/{image}", deviation="stores-attribute")
