"""Quotas: Glare's admin API for limits (`/quotas`, `/project-quotas`) and how limits refuse.

Quotas outlive the recorder's clean-up between scenarios (it deletes artifacts only), so every
scenario here starts and ends by clearing the limits it sets.
"""

from __future__ import annotations

from typing import Any

from tests.compat.scenario import ADMIN, ALICE, BOB, Session, scenario

IMAGES = "/artifacts/images"
OCTETS = {"Content-Type": "application/octet-stream"}
#: Every quota route is an API 1.1 method.
V11 = {"OpenStack-API-Version": "artifact 1.1"}


def _limits(project: str, **values: int) -> dict[str, Any]:
    """One project's entry of a PUT /quotas body; ``max_uploaded_data__images`` for ``:images``."""
    quotas = [
        {"quota_name": name.replace("__", ":"), "quota_value": value}
        for name, value in values.items()
    ]
    return {"project_id": project, "project_quotas": quotas}


def _clear(s: Session, *projects: str) -> None:
    body = [{"project_id": project, "project_quotas": []} for project in projects]
    s.put("/quotas", json=body, as_=ADMIN, headers=V11)


@scenario("quotas-admin-api", "setting and reading quotas: bodies, values, who may")
def quotas_admin_api(s: Session) -> None:
    _clear(s, "project-a", "project-b")
    s.get("/quotas", as_=ADMIN, headers=V11)
    body = [
        _limits("project-a", max_artifact_number=5, max_uploaded_data__images=1000),
        _limits("project-b", max_uploaded_data=-1),
    ]
    s.put("/quotas", json=body, as_=ADMIN, headers=V11)
    s.get("/quotas", as_=ADMIN, headers=V11)
    s.get("/project-quotas", as_=ALICE, headers=V11)
    s.get("/project-quotas/project-a", as_=ADMIN, headers=V11)
    s.get("/project-quotas/project-b", as_=ADMIN, headers=V11)
    s.get("/quotas", as_=ALICE, headers=V11)
    s.put("/quotas", json=[_limits("project-a", max_artifact_number=50)], as_=ALICE, headers=V11)
    s.get("/project-quotas/project-b", as_=ALICE, headers=V11)
    s.put("/quotas", json=[_limits("project-a", max_artifact_number=7)], as_=ADMIN, headers=V11)
    s.get("/project-quotas", as_=ALICE, headers=V11)
    for bad in (
        {"project_id": "project-a"},
        [{"project_quotas": []}],
        [_limits("project-a", max_artifact_number=-2)],
        [{"project_id": "project-a", "project_quotas": [{"quota_name": "max_artifact_number"}]}],
        [{"project_id": "project-a", "project_quotas": [{"quota_value": 3}]}],
        [_limits("project-a", max_artifact_number="many")],
    ):
        s.put("/quotas", json=bad, as_=ADMIN, headers=V11)
    s.put("/quotas", json="quotas", as_=ADMIN, headers=V11, deviation="json-error-pages")
    s.put(
        "/quotas",
        json=[_limits("project-a", max_x=3)],
        as_=ADMIN,
        headers=V11,
        deviation="quota-unknown-name",
    )
    s.get("/project-quotas", as_=ALICE, headers=V11, deviation="quota-unknown-name")
    _clear(s, "project-a", "project-b")
    s.get("/quotas", as_=ADMIN, headers=V11)
    s.get("/project-quotas", as_=BOB, headers=V11, deviation="quota-defaults-without-own")


@scenario("quotas-blob-size", "our per-blob maximum, which Glare stores as an unknown name")
def quotas_blob_size(s: Session) -> None:
    _clear(s, "project-a")
    limits = _limits("project-a", max_blob_size__images=4)
    s.put("/quotas", json=[limits], as_=ADMIN, headers=V11, deviation="quota-blob-size")
    s.get("/quotas", as_=ADMIN, headers=V11)
    image = s.post(
        IMAGES, json={"name": "small", "container_format": "bare", "disk_format": "raw"}
    ).json["id"]
    s.put(f"{IMAGES}/{image}/image", data=b"12345", headers=OCTETS, deviation="quota-blob-size")
    _clear(s, "project-a")


@scenario("quotas-enforced", "an artifact-count and a byte quota refusing, per project and type")
def quotas_enforced(s: Session) -> None:
    _clear(s, "project-a")
    limits = _limits("project-a", max_artifact_number=2, max_uploaded_data__images=10)
    s.put("/quotas", json=[limits], as_=ADMIN, headers=V11)
    raw = {"container_format": "bare", "disk_format": "raw"}
    first = s.post(IMAGES, json={"name": "first", **raw}).json["id"]
    s.post("/artifacts/heat_templates", json={"name": "second"})
    s.post(IMAGES, json={"name": "third"}, deviation="quota-error-details")
    s.post(IMAGES, json={"name": "bobs"}, as_=BOB)
    s.put(
        f"{IMAGES}/{first}/image",
        data=b"0123456789ab",
        headers=OCTETS,
        deviation="quota-error-details",
    )
    s.get(f"{IMAGES}/{first}")
    s.put(f"{IMAGES}/{first}/image", data=b"0123456", headers=OCTETS)
    s.get(f"{IMAGES}/{first}")
    s.delete(f"{IMAGES}/{first}")
    s.post(IMAGES, json={"name": "after-delete"})
    _clear(s, "project-a")
