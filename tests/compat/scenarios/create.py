"""Creating artifacts of every type: valid bodies, coercions and every kind of refusal."""

from __future__ import annotations

from tests.compat.scenario import BOB, Session, scenario

IMAGES = "/artifacts/images"


@scenario("create-every-type", "the smallest and the fullest valid artifact of every type")
def create_every_type(s: Session) -> None:
    for type_name in (
        "images",
        "heat_templates",
        "heat_environments",
        "tosca_templates",
        "murano_packages",
    ):
        s.post(f"/artifacts/{type_name}", json={"name": f"min-{type_name}"})
    s.post(
        IMAGES,
        json={
            "name": "full",
            "version": "2.1.0-rc.1+build.5",
            "description": "all of it",
            "tags": ["a", "b"],
            "metadata": {"k": "v", "os": "linux"},
            "container_format": "bare",
            "disk_format": "qcow2",
            "min_ram": 512,
            "min_disk": 0,
            "kernel_id": "5b6a8f3e-1c3d-4b8e-9a34-3fba2f9d1c11",
            "ramdisk_id": "5b6a8f3e-1c3d-4b8e-9a34-3fba2f9d1c12",
            "instance_uuid": "inst",
            "architecture": "x86_64",
            "os_distro": "debian",
            "os_version": "12",
        },
    )
    s.post(
        "/artifacts/heat_templates",
        json={
            "name": "tmpl",
            "default_envs": {"prod": "p.yaml"},
            "version": "1.0.0",
        },
    )
    s.post("/artifacts/tosca_templates", json={"name": "tosca", "template_format": "yaml"})
    s.post(
        "/artifacts/murano_packages",
        json={
            "name": "pkg",
            "type": "Library",
            "display_name": "A package",
            "categories": ["web"],
            "class_definitions": ["io.A", "io.B"],
            "inherits": {"io.A": "io.Base"},
            "keywords": ["k1"],
        },
    )


@scenario("create-coercion", "versions, tags and numbers Glare normalises on the way in")
def create_coercion(s: Session) -> None:
    for version in (
        "1",
        "1.2",
        "1-beta",
        "1.0.0-alpha.1",
        "01.02.03",
        "1.0.0+meta",
        "v1",
        "1.0.0.0",
        "",
        "latest",
        "1.2.3-",
    ):
        s.post(IMAGES, json={"name": f"v-{version}", "version": version})
    s.post(IMAGES, json={"name": "int-version", "version": 3})
    s.post(IMAGES, json={"name": "float-version", "version": 1.5})
    s.post(IMAGES, json={"name": "null-version", "version": None})
    s.post(IMAGES, json={"name": "dup-tags", "tags": ["x", "y", "x"]})
    s.post(IMAGES, json={"name": "int-string", "min_ram": "1024"})
    s.post(IMAGES, json={"name": "float-int", "min_ram": 2.0})
    s.post(IMAGES, json={"name": "bool-int", "min_ram": True})
    s.post(IMAGES, json={"name": "int-os", "os_version": 12})
    s.post(IMAGES, json={"name": "null-description", "description": None})
    s.post(IMAGES, json={"name": "null-tags", "tags": None})
    s.post(IMAGES, json={"name": "null-metadata", "metadata": None})
    s.post(IMAGES, json={"name": "  spaced  "})
    s.post(IMAGES, json={"name": "huge", "version": "65536.0.0"}, deviation="large-version-numbers")


@scenario("create-refusals", "bodies Glare refuses, and with which status and exception")
def create_refusals(s: Session) -> None:
    bad_bodies = [
        {},
        {"name": ""},
        {"name": None},
        {"name": 5},
        {"name": "x" * 256},
        {"name": "ok", "nosuchfield": 1},
        {"name": "ok", "visibility": "public"},
        {"name": "ok", "visibility": "private"},
        {"name": "ok", "status": "active"},
        {"name": "ok", "owner": "someone"},
        {"name": "ok", "id": "5b6a8f3e-1c3d-4b8e-9a34-3fba2f9d1c11"},
        {"name": "ok", "created_at": "2020-01-01T00:00:00Z"},
        {"name": "ok", "display_type_name": "Mine"},
        {"name": "ok", "image": {"url": "http://example.com"}},
        {"name": "ok", "min_ram": -1},
        {"name": "ok", "min_ram": "lots"},
        {"name": "ok", "min_ram": 1.5},
        {"name": "ok", "disk_format": "floppy"},
        {"name": "ok", "container_format": 7},
        {"name": "ok", "kernel_id": "not-a-uuid"},
        {"name": "ok", "tags": "a,b"},
        {"name": "ok", "tags": ["a,b"]},
        {"name": "ok", "tags": ["a/b"]},
        {"name": "ok", "tags": [""]},
        {"name": "ok", "tags": [1]},
        {"name": "ok", "tags": ["t" * 256]},
        {"name": "ok", "metadata": ["a"]},
        {"name": "ok", "metadata": {"k": 1}},
        {"name": "ok", "metadata": {"k": ""}},
        {"name": "ok", "metadata": {"": "v"}},
        {"name": "ok", "description": "d" * 4097},
        {"name": "ok", "os_distro": "o" * 256},
    ]
    for number, body in enumerate(bad_bodies):
        # A distinct name each, so a body Glare accepts does not turn the next into a 409.
        named = {**body, "name": f"ok-{number}"} if body.get("name") == "ok" else body
        s.post(IMAGES, json=named)
    s.post(IMAGES, json=["name", "x"])
    s.post(IMAGES, json="name", deviation="json-error-pages")
    s.post(
        IMAGES,
        data="{not json",
        headers={"Content-Type": "application/json"},
        deviation="json-error-pages",
    )
    s.post(
        IMAGES, data="", headers={"Content-Type": "application/json"}, deviation="json-error-pages"
    )
    s.post(IMAGES, data='{"name": "x"}', headers={"Content-Type": "text/plain"})
    s.post(IMAGES, data='{"name": "x"}')
    s.post(
        IMAGES, data='{"name": "x"}', headers={"Content-Type": "application/json; charset=utf-8"}
    )
    s.post("/artifacts/heat_templates", json={"name": "ok", "environments": {"e": "nowhere"}})
    s.post("/artifacts/murano_packages", json={"name": "ok", "type": "Plugin"})
    s.post("/artifacts/murano_packages", json={"name": "ok", "class_definitions": ["a", "a"]})
    s.post("/artifacts/nosuchtype", json={"name": "ok"})
    s.post("/artifacts/all", json={"name": "in-all"})
    s.post(IMAGES, json={"name": "ok-1"})


@scenario("create-duplicates", "name and version unique per owner; who may create at all")
def create_duplicates(s: Session) -> None:
    s.post(IMAGES, json={"name": "same", "version": "1.0.0"})
    s.post(IMAGES, json={"name": "same", "version": "1.0.0"})
    s.post(IMAGES, json={"name": "same", "version": "1"})
    s.post(IMAGES, json={"name": "same", "version": "1.0.1"})
    s.post(IMAGES, json={"name": "same"})
    s.post(IMAGES, json={"name": "same"})
    s.post("/artifacts/heat_templates", json={"name": "same", "version": "1.0.0"})
    s.post(IMAGES, json={"name": "same", "version": "1.0.0"}, as_=BOB)
    s.get(f"{IMAGES}?sort=name:asc,version:asc")
