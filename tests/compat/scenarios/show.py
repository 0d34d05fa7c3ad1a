"""Showing one artifact: by type and through ``all``, missing, invisible and malformed ids."""

from __future__ import annotations

from tests.compat.scenario import ADMIN, BOB, Session, scenario

MISSING = "00000000-0000-4000-8000-000000000000"


@scenario("show", "show of every type, through all, and the 404s")
def show(s: Session) -> None:
    ids = {}
    for type_name in (
        "images",
        "heat_templates",
        "heat_environments",
        "tosca_templates",
        "murano_packages",
    ):
        ids[type_name] = s.post(f"/artifacts/{type_name}", json={"name": f"show-{type_name}"}).json[
            "id"
        ]
    for type_name, artifact_id in ids.items():
        s.get(f"/artifacts/{type_name}/{artifact_id}")
        s.get(f"/artifacts/all/{artifact_id}")
    image = ids["images"]
    s.get(f"/artifacts/heat_templates/{image}")
    s.get(f"/artifacts/images/{image}", as_=BOB)
    s.get(f"/artifacts/images/{image}", as_=ADMIN)
    s.get(f"/artifacts/all/{image}", as_=BOB)
    s.get(f"/artifacts/images/{MISSING}")
    s.get(f"/artifacts/all/{MISSING}")
    s.get("/artifacts/images/not-a-uuid")
    s.get(f"/artifacts/nosuchtype/{image}")
    s.get(f"/artifacts/images/{image.upper()}")
    s.delete(f"/artifacts/images/{MISSING}")
    s.patch(
        f"/artifacts/images/{MISSING}",
        json=[],
        headers={"Content-Type": "application/json-patch+json"},
    )
    s.delete(f"/artifacts/images/{image}", as_=BOB)
    s.get(f"/artifacts/images/{image}/image")
    s.get(f"/artifacts/images/{image}/nosuchblob")
    s.get(f"/artifacts/images/{MISSING}/image")
