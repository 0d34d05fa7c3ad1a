"""Ties: the order of what a sort does not tell apart; ``latest`` across types and owners."""

from __future__ import annotations

from tests.compat.scenario import ADMIN, BOB, Query, Session, scenario, split_query

IMAGES = "/artifacts/images"
HEAT = "/artifacts/heat_templates"
TOSCA = "/artifacts/tosca_templates"
ALL = "/artifacts/all"
#: Glare pages by a version's precedence and then its exact text, so it skips the builds that
#: tie with a marker's version; Glare compares names across the types of ``all`` for latest.
BUILDS = "paging-past-builds"
PER_TYPE = "latest-per-type"


def _walk(s: Session, first: str, deviate_from: int, **kw: object) -> None:
    """Follow ``next`` links from ``first``; pages from number ``deviate_from`` on are marked."""
    page = s.get(first, **kw).json
    number = 1
    while "next" in page:
        number += 1
        deviation = BUILDS if number >= deviate_from else None
        page = s.get(page["next"], deviation=deviation, **kw).json


def _image(s: Session, name: str, version: str, **kw: object) -> None:
    body = {"name": name, "version": version, "container_format": "bare", "disk_format": "raw"}
    s.post(IMAGES, json=body, **kw)


@scenario("list-sort-ties", "the order of ties under sort=name, one key or two, both directions")
def list_sort_ties(s: Session) -> None:
    # Created in this order: each later one is newer. Bob's copies share name and version.
    for name, version in (
        ("cirros", "1.0.0"),
        ("debian", "1.0.0"),
        ("cirros", "2.0.0"),
        ("cirros", "1.0.0+b1"),
        ("debian", "1.0.0+b2"),
    ):
        _image(s, name, version)
    _image(s, "cirros", "1.0.0", as_=BOB)
    _image(s, "debian", "1.0.0", as_=BOB)
    s.post(HEAT, json={"name": "cirros", "version": "1.0.0"})
    for query in (
        "sort=name",
        "sort=name:asc",
        "sort=name:desc",
        "sort=name:asc,version:asc",
        "sort=name:asc,version:desc",
        "sort=name:desc,version:asc",
        "sort=name:desc,version:desc",
        "sort=name:asc,created_at:asc",
        "sort=name:desc,created_at:asc",
        "sort=name:asc,owner:asc",
        "sort=version:asc",
        "sort=version:desc",
        "sort=visibility:asc",
        "sort=status,name",
    ):
        s.get(f"{IMAGES}?{query}", as_=ADMIN)
    for query in ("sort=name:asc", "sort=name:desc", "sort=name:asc,version:asc"):
        s.get(f"{IMAGES}?{query}")
        s.get(f"{ALL}?{query}", as_=ADMIN)
    # Pages cut inside a run of ties.
    _walk(s, f"{IMAGES}?limit=2&sort=name:asc", 99, as_=ADMIN)
    _walk(s, f"{IMAGES}?limit=2&sort=name:desc,version:asc", 2, as_=ADMIN)
    _walk(s, f"{IMAGES}?limit=2&sort=version:asc", 3, as_=ADMIN)


@scenario("list-latest-ties", "version=latest: grouping by name through all, builds, owners")
def list_latest_ties(s: Session) -> None:
    _image(s, "shared", "1.0.0")
    s.post(HEAT, json={"name": "shared", "version": "2.0.0"})
    s.post(TOSCA, json={"name": "shared", "version": "1.0.0", "template_format": "yaml"})
    _image(s, "even", "3.0.0")
    s.post(HEAT, json={"name": "even", "version": "3.0.0"})
    _image(s, "solo", "1.0.0")
    _image(s, "solo", "1.1.0")
    s.post(HEAT, json={"name": "solo", "version": "0.9.0"})
    _image(s, "build", "1.0.0+b1")
    _image(s, "build", "1.0.0+b2")
    _image(s, "pre", "2.0.0-beta")
    _image(s, "pre", "1.0.0")
    _image(s, "owners", "1.0.0")
    _image(s, "owners", "1.0.0", as_=BOB)
    _image(s, "owners", "0.5.0", as_=BOB)
    entry: Query
    for entry in (
        ("version=latest", PER_TYPE),
        ("version=latest&sort=name:asc", PER_TYPE),
        ("version=latest&sort=name:asc,version:asc", PER_TYPE),
        ("version=latest&sort=type_name:asc,name:asc", PER_TYPE),
        "version=latest&type_name=images&sort=name:asc",
        "version=latest&type_name=heat_templates&sort=name:asc",
        "version=latest&type_name=in:images,tosca_templates&sort=name:asc",
        ("version=latest&name=shared", PER_TYPE),
        ("version=latest&name=solo&sort=type_name:asc", PER_TYPE),
        "version=latest&name=even&sort=type_name:asc",
        ("version=latest&limit=2&sort=name:asc", PER_TYPE),
    ):
        query, deviation = split_query(entry)
        s.get(f"{ALL}?{query}", deviation=deviation)
        s.get(f"{ALL}?{query}", as_=ADMIN, deviation=deviation)
    for query in (
        "version=latest&sort=name:asc",
        "version=latest&name=owners",
        "version=latest&name=build",
        "version=latest&name=pre",
    ):
        s.get(f"{IMAGES}?{query}")
        s.get(f"{IMAGES}?{query}", as_=ADMIN)
        s.get(f"{IMAGES}?{query}", as_=BOB)
    s.get(f"{HEAT}?version=latest&sort=name:asc")
    page = s.get(f"{ALL}?version=latest&limit=2&sort=name:asc", as_=ADMIN, deviation=PER_TYPE).json
    while "next" in page:
        page = s.get(page["next"], as_=ADMIN, deviation=PER_TYPE).json
