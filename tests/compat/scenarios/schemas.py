"""``/schemas`` and ``/schemas/{type}``: the documents clients build their forms and tables from."""

from __future__ import annotations

from tests.compat.scenario import Session, scenario

#: Where our schemas describe fields otherwise (docs/glare-v1-wire.md).
FLAGS = "schema-field-flags"
TYPES = ("images", "heat_templates", "heat_environments", "tosca_templates", "murano_packages")


@scenario("schemas", "every type's schema, alone and in the full map, and unknown types")
def schemas(s: Session) -> None:
    s.get("/schemas", deviation=FLAGS)
    for type_name in (*TYPES, "all"):
        s.get(f"/schemas/{type_name}", deviation=FLAGS)
    s.get("/schemas/images", as_=None, deviation=FLAGS)
    s.get("/schemas/nosuchtype")
    s.get("/schemas/Images")
    s.get("/schemas/images/extra", deviation="json-error-pages")
    s.post("/schemas", json={}, deviation="json-error-pages")
    s.put("/schemas/images", json={}, deviation="json-error-pages")
    s.delete("/schemas/images", deviation="json-error-pages")
