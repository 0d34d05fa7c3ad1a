"""Listing: filters, sorting, limits, markers and links on images and through ``all``."""

from __future__ import annotations

from tests.compat.scenario import Session, scenario

IMAGES = "/artifacts/images"


def _seed(s: Session) -> None:
    for name, version, tags, ram, fmt in (
        ("cirros", "1.0.0", ["small", "test"], 64, "qcow2"),
        ("cirros", "1.2.0", ["small"], 128, "qcow2"),
        ("cirros", "2.0.0-beta", ["test"], 128, "raw"),
        ("debian", "12.0.0", ["big"], 512, "raw"),
        ("ubuntu", "22.4.0", ["big", "lts"], 1024, "qcow2"),
    ):
        s.post(
            IMAGES,
            json={
                "name": name,
                "version": version,
                "tags": tags,
                "min_ram": ram,
                "disk_format": fmt,
                "metadata": {"os": name},
            },
        )


@scenario("list-filters", "filter operators, tags, metadata, like, in, version and latest")
def list_filters(s: Session) -> None:
    _seed(s)
    for query in (
        "name=cirros",
        "name=eq:cirros",
        "name=neq:cirros",
        "name=in:cirros,debian",
        "name=like:cir%",
        "name=like:%an%",
        "min_ram=gt:100",
        "min_ram=gte:128",
        "min_ram=lt:128",
        "min_ram=lte:128",
        "min_ram=in:64,1024",
        "min_ram=neq:128",
        "disk_format=raw",
        "tags=small",
        "tags=small,test",
        "tags-any=lts,test",
        "tags=eq:small",
        "metadata.os=debian",
        "metadata.os=in:debian,ubuntu",
        "metadata=os",
        "version=1.2.0",
        "version=gt:1.0.0",
        "version=lt:2.0.0",
        "version=gte:1-beta",
        "version=latest",
        "version=latest&name=cirros",
        "name=cirros&version=latest",
        "min_ram=gt:abc",
        "nosuchfield=1",
        "name=like",
        "min_ram=like:1%",
        "image=x",
        "created_at=gt:2000-01-01T00:00:00Z",
        "created_at=eq:2000-01-01T00:00:00Z",
        "name=or:cirros&name=or:debian",
        'name=in:"cirros",debian',
        "tags=",
    ):
        s.get(f"{IMAGES}?{query}&sort=name:asc,version:asc")


@scenario("list-sort-and-pages", "sort keys and directions, limits, markers, next and first")
def list_sort_and_pages(s: Session) -> None:
    _seed(s)
    for query in (
        "",
        "sort=name",
        "sort=name:asc",
        "sort=name:desc,version:asc",
        "sort=version:asc",
        "sort=min_ram:desc,name:asc",
        "sort=created_at:asc",
        "sort=name:up",
        "sort=nosuch",
        "sort=tags",
        "sort=min_ram:asc,disk_format:asc",
        "limit=2&sort=name:asc,version:asc",
        "limit=0",
        "limit=-1",
        "limit=abc",
        "limit=5000&sort=name:asc,version:asc",
        "limit=5&sort=name:asc,version:asc",
        "sort=name:asc&sort=version:desc",
    ):
        s.get(f"{IMAGES}?{query}")
    page = s.get(f"{IMAGES}?limit=2&sort=name:asc,version:asc").json
    while "next" in page:
        page = s.get(page["next"]).json
    s.get(f"{IMAGES}?marker=00000000-0000-4000-8000-000000000000")


@scenario("list-all", "/artifacts/all across types, type_name filter and sort")
def list_all(s: Session) -> None:
    _seed(s)
    s.post("/artifacts/heat_templates", json={"name": "stack"})
    s.post("/artifacts/tosca_templates", json={"name": "tosca", "template_format": "yaml"})
    for query in (
        "sort=name:asc,version:asc",
        "type_name=heat_templates",
        "type_name=in:images,tosca_templates&sort=name:asc,version:asc",
        "sort=type_name:asc,name:asc,version:asc",
        "name=like:c%&sort=name:asc,version:asc",
        "min_ram=gt:1",
        "limit=3&sort=name:asc,version:asc",
    ):
        s.get(f"/artifacts/all?{query}")
