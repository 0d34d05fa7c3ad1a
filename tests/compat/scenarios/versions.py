"""``/``, ``/versions`` and microversion negotiation."""

from __future__ import annotations

from tests.compat.scenario import Session, scenario

VERSION_HEADER = "OpenStack-API-Version"


@scenario("versions", "the version document on / and /versions, for every method and caller")
def versions(s: Session) -> None:
    s.get("/")
    s.get("/versions")
    s.get("/", as_=None)
    s.get("/versions", headers={VERSION_HEADER: "artifact 1.1"})
    s.get("/", headers={VERSION_HEADER: "artifact 9.9"})
    s.post("/versions", json={})
    s.put("/", data="x", headers={"Content-Type": "text/plain"})
    s.delete("/versions")
    s.patch("/")


@scenario("microversions", "OpenStack-API-Version and Accept negotiation on API routes")
def microversions(s: Session) -> None:
    for value in (
        "artifact 1.0",
        "artifact 1.1",
        "artifact latest",
        "artifact 1.2",
        "artifact 2.0",
        "artifact 0.9",
        "artifact 1",
        "artifact abc",
        "artifact 1.1.1",
        "artifact",
        "compute 1.1",
        "ARTIFACT 1.1",
        "artifact  1.1",
        "",
    ):
        s.get("/artifacts/heat_environments", headers={VERSION_HEADER: value})
    for accept in (
        "application/vnd.openstack.artifacts-1.1",
        "application/vnd.openstack.artifacts-1.0",
        "application/vnd.openstack.artifacts-7.0",
        "application/vnd.openstack.artifacts-x",
        "application/json",
        "*/*",
    ):
        s.get("/artifacts/heat_environments", headers={"Accept": accept})
    s.get(
        "/artifacts/heat_environments",
        headers={
            VERSION_HEADER: "artifact 1.0",
            "Accept": "application/vnd.openstack.artifacts-1.1",
        },
    )
    s.get("/artifacts/images", headers={VERSION_HEADER: "artifact 1.1"})
    s.get("/artifacts/images", headers={VERSION_HEADER: "artifact 3.0"})
    s.get("/artifacts/nosuchtype", headers={VERSION_HEADER: "artifact 1.1"})
    s.get("/nowhere", headers={VERSION_HEADER: "artifact 1.1"}, deviation="json-error-pages")
