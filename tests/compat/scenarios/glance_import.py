"""Glance Images v2 interoperable import: staging, glance-direct, the tasks, and refusals.

Recorded against Glance 33 started with ``IMPORT_METHODS='[glance-direct,web-download,
copy-image]'``. The peer runs without Keystone, and Glance cannot create a task without an
owning project, so what is recorded is everything up to the task: staging, the checks of an
import request and their refusals. Imports that run (glance-direct, web-download from a
loopback source, copy-image between two stores) are tested in tests/api/glance/test_import.py
and with the real clients in tests/functional/test_glance_clients.py.
"""

from __future__ import annotations

from functools import partial

from tests.compat.scenario import Session, scenario

glance = partial(scenario, protocol="glance")

DATA = {"Content-Type": "application/octet-stream"}
JSON_ERRORS = {"Accept": "application/json"}
MISSING = "00000000-0000-4000-8000-000000000000"


def _image(s: Session, name: str = "cirros", **attrs: object) -> str:
    body: dict[str, object] = {"name": name, "visibility": "private"}
    body.update({"disk_format": "raw", "container_format": "bare", **attrs})
    return str(s.post("/v2/images", json=body).json["id"])


@glance("glance-import-direct", "stage data, import it with glance-direct, and the task")
def import_direct(s: Session) -> None:
    image = _image(s)
    s.get("/v2/info/import")
    s.put(f"/v2/images/{image}/stage", data="staged image data", headers=DATA)
    s.get(f"/v2/images/{image}")
    s.put(f"/v2/images/{image}/stage", data="again", headers={**DATA, **JSON_ERRORS})
    s.put(f"/v2/images/{image}/file", data="direct", headers={**DATA, **JSON_ERRORS})
    # The peer, without Keystone, cannot record the task: its owner is null, which Glance's
    # tasks table refuses (500). Ours queues it (202); the worker's part is tested in
    # tests/api/glance/test_import.py.
    s.post(
        f"/v2/images/{image}/import",
        json={"method": {"name": "glance-direct"}},
        deviation="import-task-needs-keystone",
    )


@glance("glance-import-refusals", "import requests Glance refuses, and why")
def import_refusals(s: Session) -> None:
    image = _image(s)
    path = f"/v2/images/{image}/import"
    s.post(path, json={}, headers=JSON_ERRORS)
    s.post(path, json={"method": {}}, headers=JSON_ERRORS)
    s.post(path, json={"method": {"name": "carrier-pigeon"}}, headers=JSON_ERRORS)
    s.post(path, json={"method": {"name": "glance-direct"}}, headers=JSON_ERRORS)
    s.post(
        path,
        json={"method": {"name": "glance-direct"}, "all_stores_must_succeed": "yes"},
        headers=JSON_ERRORS,
    )
    for uri in ("http://127.0.0.1/disk.raw", "http://169.254.169.254/latest", "ftp://x.org/a"):
        s.post(path, json={"method": {"name": "web-download", "uri": uri}}, headers=JSON_ERRORS)
    s.post(path, json={"method": {"name": "web-download"}}, headers=JSON_ERRORS)
    s.post(path, json={"method": {"name": "copy-image"}, "stores": ["fs"]}, headers=JSON_ERRORS)
    s.post(f"/v2/images/{MISSING}/import", json={"method": {"name": "glance-direct"}})
    s.put(f"/v2/images/{MISSING}/stage", data="x", headers={**DATA, **JSON_ERRORS})
    s.put(f"/v2/images/{image}/stage", data="x", headers={"Content-Type": "text/plain"})
    s.get(f"/v2/images/{image}/tasks")
    s.get(f"/v2/images/{MISSING}/tasks")
    s.get(f"/v2/tasks/{MISSING}", headers=JSON_ERRORS)


@glance("glance-import-formats", "an import needs the formats, and an active image is no target")
def import_formats(s: Session) -> None:
    bare = str(
        s.post("/v2/images", json={"name": "no-formats", "visibility": "private"}).json["id"]
    )
    s.put(f"/v2/images/{bare}/stage", data="staged", headers=DATA)
    s.get(f"/v2/images/{bare}")
    s.post(
        f"/v2/images/{bare}/import",
        json={"method": {"name": "glance-direct"}},
        headers=JSON_ERRORS,
    )
    active = _image(s, name="active")
    s.put(f"/v2/images/{active}/file", data="bytes", headers=DATA)
    path = f"/v2/images/{active}/import"
    s.post(path, json={"method": {"name": "glance-direct"}}, headers=JSON_ERRORS)
    s.post(path, json={"method": {"name": "copy-image"}, "stores": ["fs"]}, headers=JSON_ERRORS)
    s.post(
        path,
        json={"method": {"name": "copy-image"}, "stores": ["nowhere"]},
        headers=JSON_ERRORS,
    )
    s.get(f"/v2/images/{active}", deviation="stores-attribute")
