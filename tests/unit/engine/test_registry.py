from __future__ import annotations

import pytest

from artifacts import plugin as p
from artifacts.engine.registry import TypeRegistry, discover_types
from artifacts.errors import TypeNotFound, TypeRegistrationError
from tests.sample_types import Gadget, Widget


def _type(type_name: str = "things", **fields: p.Field) -> type[p.BaseArtifact]:
    return type("Thing", (p.BaseArtifact,), {"TYPE": type_name, "VERSION": "1.0", "fields": fields})


def test_registry_serves_declared_types_by_name() -> None:
    registry = TypeRegistry([Widget, Gadget])
    assert registry.names() == ["gadgets", "widgets"]
    assert registry.get("widgets").cls is Widget
    assert "colour" in registry.get("widgets").fields
    assert "colour" not in registry.get("gadgets").fields
    with pytest.raises(TypeNotFound):
        registry.get("nope")


def test_objects_of_a_registered_type_coerce_values() -> None:
    registry = TypeRegistry([Widget])
    obj = registry.get("widgets").cls()
    obj.version = "2"
    assert obj.version == "2.0.0"
    assert "version" in obj.obj_what_changed()


def test_duplicate_type_names_stop_start_up() -> None:
    with pytest.raises(TypeRegistrationError, match="declared twice"):
        TypeRegistry([_type("things"), _type("things")])


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (_type("Bad-Name"), "TYPE"),
        (_type("all"), "TYPE"),
        (_type("ok", name=p.String()), "redefines a common field"),
        (_type("ok", **{"Bad": p.String()}), "field name"),
        (_type("ok", a__b=p.String()), "must not contain"),
        (_type("ok", members=p.Blob()), "blob field 'members' would be unreachable"),
        (_type("ok", members=p.BlobDict()), "is the members API"),
    ],
)
def test_broken_declarations_are_refused_with_a_clear_message(
    cls: type[p.BaseArtifact], message: str
) -> None:
    with pytest.raises(TypeRegistrationError, match=message):
        TypeRegistry([cls])


def test_bad_schema_version_is_refused() -> None:
    cls = _type("things")
    cls.VERSION = "one"
    with pytest.raises(TypeRegistrationError, match="VERSION"):
        TypeRegistry([cls])


def test_builtin_types_are_discovered_through_entry_points() -> None:
    names = {cls.TYPE for cls in discover_types()}
    assert {
        "images",
        "heat_templates",
        "heat_environments",
        "tosca_templates",
        "murano_packages",
    } <= names


def test_configuration_can_narrow_the_enabled_types() -> None:
    assert [cls.TYPE for cls in discover_types(["images"])] == ["images"]


def test_enabling_a_type_that_is_not_installed_stops_start_up() -> None:
    with pytest.raises(TypeRegistrationError, match="not installed"):
        discover_types(["images", "no_such_type"])


def test_a_non_blob_field_may_be_called_members() -> None:
    registry = TypeRegistry([_type("teams", members=p.List(p.String()))])
    assert "members" in registry.get("teams").fields
