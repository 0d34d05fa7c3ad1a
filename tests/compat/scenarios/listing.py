"""Listing: filters, sorting, limits, markers and links on images and through ``all``."""

from __future__ import annotations

from tests.compat.scenario import Query, Session, scenario, split_query

IMAGES = "/artifacts/images"
#: Glare refuses these sorts and filters as its fields declare less (docs/glare-v1-wire.md).
WIDER = "wider-field-capabilities"


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


def _get(s: Session, path: str, entry: Query, suffix: str = "") -> None:
    query, deviation = split_query(entry)
    s.get(f"{path}?{query}{suffix}", deviation=deviation)


@scenario("list-filters", "filter operators, tags, metadata, like, in, version and latest")
def list_filters(s: Session) -> None:
    _seed(s)
    entry: Query
    for entry in (
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
        ("created_at=eq:2000-01-01T00:00:00Z", WIDER),
        "name=or:cirros&name=or:debian",
        'name=in:"cirros",debian',
        'name=in:"cir,ros",debian',
        'name=in:"cirros',
        'name=in:cirros"x",debian',
        "name=in:cirros,,debian",
        "tags=",
        "tags=eq:",
        "tags=small,",
        'tags="small"',
        "tags=or:big&tags=or:lts",
        "tags-any=or:lts&name=or:debian",
        "tags-any=",
        "name=like:CIR%",
        "name=like:cir_os",
        "name=like:%",
        "min_ram=neq:64&min_ram=neq:1024",
        "name=or:debian&min_ram=or:gt:500",
        "name=and:cirros&version=or:1.2.0&version=or:2.0.0-beta",
        "min_ram=or:lt:100&tags=or:lts",
        "name=xor:cirros",
        "name=or:eq:cirros&name=or:eq:ubuntu",
        "metadata=in:os,nokey",
        "metadata=neq:os",
        "metadata.os=neq:debian",
        "metadata.os=like:deb%",
        "metadata.os=gt:c",
        "metadata.nokey=x",
        "name.x=1",
        "version=in:1.0.0,1.2",
        "version=neq:1.2.0",
        "version=lte:1.2.0",
        "version=gt:bogus",
        "id=neq:00000000-0000-4000-8000-000000000000",
        "owner=project-a",
        "status=drafted",
        "status=in:active,deactivated",
        "visibility=private",
        "display_type_name=Images",
        "display_type_name=like:Im%",
        ("created_at=2000-01-01T00:00:00Z", WIDER),
        "created_at=lt:2000-01-01T00:00:00",
        "activated_at=gt:notadate",
        "description=x",
        "limit=1&limit=2",
        "marker=x&marker=y",
    ):
        _get(s, IMAGES, entry, "&sort=name:asc,version:asc")


@scenario("list-sort-and-pages", "sort keys and directions, limits, markers, next and first")
def list_sort_and_pages(s: Session) -> None:
    _seed(s)
    entry: Query
    for entry in (
        "",
        "sort=name",
        "sort=name:asc",
        "sort=name:desc,version:asc",
        "sort=version:asc",
        ("sort=min_ram:desc,name:asc,version:asc", WIDER),
        "sort=created_at:asc",
        "sort=name:up",
        "sort=nosuch",
        "sort=tags",
        ("sort=min_ram:asc,disk_format:asc", WIDER),
        "limit=2&sort=name:asc,version:asc",
        "limit=0",
        "limit=-1",
        "limit=abc",
        "limit=5000&sort=name:asc,version:asc",
        "limit=5&sort=name:asc,version:asc",
        "sort=name:asc&sort=version:desc",
    ):
        _get(s, IMAGES, entry)
    page = s.get(f"{IMAGES}?limit=2&sort=name:asc,version:asc").json
    while "next" in page:
        page = s.get(page["next"]).json
    s.get(f"{IMAGES}?marker=00000000-0000-4000-8000-000000000000")
    s.get(f"{IMAGES}?&limit=20&sort=name:asc")  # glareclient's query begins with "?&"
    for sort in ("name:desc,version:asc", "version:desc", "created_at:asc", "name:asc"):
        page = s.get(f"{IMAGES}?limit=2&sort={sort}").json
        while "next" in page:
            page = s.get(page["next"]).json
    page = s.get(f"{IMAGES}?limit=1&version=latest&sort=name:asc").json
    while "next" in page:
        page = s.get(page["next"]).json
    for entry in (
        "sort=",
        "sort=,",
        "sort=name:asc,",
        "sort=name:asc:x",
        "sort=name:ASC",
        "sort=name:asc,name:desc",
        "sort=display_type_name:asc",
        "sort=activated_at:asc",
        ("sort=min_ram,version", WIDER),
        "limit=",
        "marker=",
        "limit=1000",
        "limit=1001",
        "limit=0&sort=name:asc",
        "limit=3.5",
    ):
        _get(s, IMAGES, entry)


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
        "type_name=neq:images&sort=name:asc",
        "type_name=like:heat%",
        "type_name=images&name=cirros&sort=version:asc",
        "type_name=or:tosca_templates&name=or:debian&sort=name:asc",
        "sort=type_name:desc,name:asc,version:asc",
        "sort=type_name",
        "sort=display_type_name:asc,name:asc,version:asc",
        "display_type_name=Heat Templates",
        "version=latest&sort=name:asc",
        "tags=big&sort=name:asc",
        "metadata.os=cirros&sort=version:asc",
        "type_name=nosuchtype",
        "sort=min_ram",
        "sort=nosuch",
    ):
        s.get(f"/artifacts/all?{query}")
    page = s.get("/artifacts/all?limit=2&sort=type_name:asc,name:asc,version:asc").json
    while "next" in page:
        page = s.get(page["next"]).json
    heat = s.get("/artifacts/all?type_name=heat_templates").json["artifacts"][0]["id"]
    s.get(f"/artifacts/images?marker={heat}&sort=name:asc")


@scenario("list-errors", "unknown types and which of several bad parameters is reported")
def list_errors(s: Session) -> None:
    for path in (
        "/artifacts/nosuchtype",
        "/artifacts/nosuchtype?limit=abc",
        "/artifacts/Images",
        f"{IMAGES}?limit=abc&sort=nosuch",
        f"{IMAGES}?sort=name:up&nosuch=1",
        f"{IMAGES}?nosuch=1&sort=nosuch",
        f'{IMAGES}?min_ram=gt:x&name=in:"a',
        f"{IMAGES}?marker=00000000-0000-4000-8000-000000000000&limit=abc",
        f"{IMAGES}?marker=00000000-0000-4000-8000-000000000000&sort=nosuch",
        f"{IMAGES}?marker=00000000-0000-4000-8000-000000000000&nosuch=1",
    ):
        s.get(path)
    s.get("/artifacts/nosuchtype", as_=None)
    s.get(f"{IMAGES}?sort=nosuch", as_=None)
