"""Listing every other built-in type by its own fields, missing values, and who sees what."""

from __future__ import annotations

from tests.compat.scenario import ADMIN, BOB, Query, Session, patch_body, scenario, split_query

PATCH = {"Content-Type": "application/json-patch+json"}


def _list(s: Session, type_name: str, *queries: Query) -> None:
    for entry in queries:
        query, deviation = split_query(entry)
        s.get(f"/artifacts/{type_name}?{query}", deviation=deviation)


@scenario("list-heat", "heat templates and environments by link dicts, string dicts and sort")
def list_heat(s: Session) -> None:
    envs = [
        s.post("/artifacts/heat_environments", json={"name": name, "version": version}).json
        for name, version in (("env-a", "1.0.0"), ("env-b", "1.0.0"), ("env-a", "2.0.0"))
    ]
    link = f"/artifacts/heat_environments/{envs[0]['id']}"
    s.post(
        "/artifacts/heat_templates",
        json={"name": "stack-a", "environments": {"prod": link}, "default_envs": {"p": "x"}},
    )
    s.post("/artifacts/heat_templates", json={"name": "stack-b", "default_envs": {"q": "y"}})
    s.post("/artifacts/heat_templates", json={"name": "stack-c", "tags": ["t"]})
    _list(
        s,
        "heat_environments",
        "",
        "sort=name:asc,version:desc",
        "name=env-a&version=latest",
        "version=gt:1.0.0",
        "name=like:env%&sort=version:asc,name:desc",
    )
    _list(
        s,
        "heat_templates",
        "sort=name:asc",
        "default_envs=p",
        "default_envs=in:p,q&sort=name:asc",
        "default_envs.p=x",
        "default_envs.q=neq:x",
        "environments=prod",
        (f"environments.prod={link}", "link-filters"),
        "environments.prod=in:x",
        ("nested_templates=x", "blob-dict-filters"),
        "template=x",
        "sort=environments",
        "tags=t",
    )


@scenario("list-tosca-murano", "tosca templates and murano packages by their fields and lists")
def list_tosca_murano(s: Session) -> None:
    for name, fmt in (("t1", "yaml"), ("t2", "json"), ("t3", "yaml")):
        s.post("/artifacts/tosca_templates", json={"name": name, "template_format": fmt})
    _list(
        s,
        "tosca_templates",
        "template_format=yaml&sort=name:asc",
        "template_format=neq:yaml",
        "template_format=in:json,xml",
        "template_format=like:y%",
        "sort=template_format",
    )
    base = s.post(
        "/artifacts/murano_packages",
        json={"name": "base", "type": "Library", "categories": ["core"], "keywords": ["k"]},
    ).json
    dependency = f"/artifacts/murano_packages/{base['id']}"
    s.post(
        "/artifacts/murano_packages",
        json={
            "name": "app",
            "display_name": "An app",
            "categories": ["web", "db"],
            "class_definitions": ["io.App"],
            "inherits": {"io.App": "io.Base"},
            "keywords": ["k", "web"],
            "dependencies": [dependency],
        },
    )
    s.post("/artifacts/murano_packages", json={"name": "lone", "categories": ["db"]})
    _list(
        s,
        "murano_packages",
        "sort=name:asc",
        "type=Library",
        "type=neq:Library&sort=name:asc",
        "categories=db&sort=name:asc",
        "categories=in:core,web&sort=name:asc",
        "categories=neq:db&sort=name:asc",
        "keywords=k&keywords=web",
        "class_definitions=io.App",
        "inherits=io.App",
        ("inherits.io.App=io.Base", "dotted-dict-keys"),
        "display_name=An app",
        "display_name=like:An%",
        (f"dependencies={dependency}", "link-filters"),
        "dependencies=in:x",
        "sort=display_name",
        ("sort=type:asc,name:asc", "wider-field-capabilities"),
    )


@scenario("list-missing-values", "filters and sorts over fields some artifacts leave unset")
def list_missing_values(s: Session) -> None:
    s.post("/artifacts/images", json={"name": "a", "min_ram": 64, "os_distro": "debian"})
    s.post("/artifacts/images", json={"name": "b", "min_ram": 128})
    s.post("/artifacts/images", json={"name": "c"})
    active = s.post(
        "/artifacts/images",
        json={"name": "d", "container_format": "bare", "disk_format": "raw"},
    ).json
    s.patch(
        f"/artifacts/images/{active['id']}",
        data=_json(patch_body(("replace", "/status", "active"))),
        headers=PATCH,
    )
    _list(
        s,
        "images",
        "min_ram=neq:128&sort=name:asc",
        "min_ram=lt:100&sort=name:asc",
        "os_distro=neq:debian&sort=name:asc",
        "os_distro=in:debian,ubuntu",
        "sort=activated_at:asc,name:asc",
        "sort=activated_at:desc,name:asc",
        "activated_at=gt:2000-01-01T00:00:00Z",
        "description=",
        "status=active",
        "status=neq:active&sort=name:asc",
        "limit=1&sort=activated_at:asc,name:asc",
    )
    page = s.get("/artifacts/images?limit=1&sort=activated_at:desc").json
    while "next" in page:
        page = s.get(page["next"], deviation="paging-past-missing-values").json


@scenario("list-visibility", "what the owner, another project, an admin and anonymous callers list")
def list_visibility(s: Session) -> None:
    mine = s.post(
        "/artifacts/images",
        json={"name": "shared", "container_format": "bare", "disk_format": "raw"},
    ).json
    s.post("/artifacts/images", json={"name": "private-a"})
    s.post("/artifacts/images", json={"name": "private-b"}, as_=BOB)
    url = f"/artifacts/images/{mine['id']}"
    s.patch(url, data=_json(patch_body(("replace", "/status", "active"))), headers=PATCH)
    s.patch(
        url, data=_json(patch_body(("replace", "/visibility", "public"))), headers=PATCH, as_=ADMIN
    )
    for actor in (None, BOB, ADMIN):
        s.get("/artifacts/images?sort=name:asc", as_=actor)
        s.get("/artifacts/all?sort=name:asc", as_=actor)
    s.get("/artifacts/images?sort=name:asc")
    s.get("/artifacts/images?visibility=public")
    s.get("/artifacts/images?visibility=private&sort=name:asc", as_=ADMIN)
    s.get("/artifacts/images?owner=project-b", as_=ADMIN)
    s.get("/artifacts/images?owner=project-b")
    private_b = s.get("/artifacts/images?owner=project-b", as_=ADMIN).json["artifacts"][0]["id"]
    s.get(f"/artifacts/images?marker={private_b}")
    s.get(f"/artifacts/images?marker={private_b}", as_=ADMIN)


def _json(value: object) -> str:
    import json

    return json.dumps(value)
