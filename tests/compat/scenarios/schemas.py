"""``/schemas`` and ``/schemas/{type}``: the documents clients build their forms and tables from."""

from __future__ import annotations

from tests.compat.scenario import Session, scenario

TYPES = ("images", "heat_templates", "heat_environments", "tosca_templates", "murano_packages")


@scenario("schemas", "every type's schema, alone and in the full map, and unknown types")
def schemas(s: Session) -> None:
    s.get("/schemas")
    for type_name in (*TYPES, "all"):
        s.get(f"/schemas/{type_name}")
    s.get("/schemas/images", as_=None)
    s.get("/schemas/nosuchtype")
    s.get("/schemas/Images")
    s.get("/schemas/images/extra")
    s.post("/schemas", json={})
    s.put("/schemas/images", json={})
    s.delete("/schemas/images")
