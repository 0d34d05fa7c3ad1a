from __future__ import annotations

import pytest

from artifacts import plugin as p
from artifacts.model import fields as f


def test_string_schema_carries_glare_keywords_and_validators() -> None:
    field = p.String(
        sortable=True,
        mutable=True,
        validators=[p.AllowedValues(["a", "b"]), p.MinLength(1)],
        description="letters",
        max_length=10,
    )
    schema = field.json_schema()
    assert schema["type"] == ["string", "null"]
    assert schema["enum"] == ["a", "b", None]
    assert schema["minLength"] == 1
    assert schema["maxLength"] == 10
    assert schema["glareType"] == "String"
    assert schema["sortable"] is True
    assert schema["mutable"] is True
    assert schema["readOnly"] is False
    assert schema["filter_ops"] == ["eq", "neq", "in"]
    assert schema["description"] == "letters"


def test_non_nullable_field_with_default_publishes_default() -> None:
    schema = p.Boolean(default=False, nullable=False).json_schema()
    assert schema["type"] == "boolean"
    assert schema["default"] is False


def test_numeric_kinds_allow_ordering_operators_by_default() -> None:
    assert p.Integer().filter_ops == ("eq", "neq", "in", "gt", "gte", "lt", "lte")
    assert p.Boolean().filter_ops == ("eq", "neq")


def test_unknown_filter_operator_is_refused_at_declaration() -> None:
    with pytest.raises(ValueError, match="unknown filter operators"):
        p.String(filter_ops=["eq", "like-ish"])


def test_validator_of_the_wrong_kind_is_refused_at_declaration() -> None:
    with pytest.raises(ValueError, match="does not apply"):
        p.Integer(validators=[p.MinLength(2)])


def test_list_and_dict_describe_their_elements() -> None:
    tags = p.List(p.String(max_length=5), max_items=3, unique=True)
    schema = tags.json_schema()
    assert schema["type"] == "array"
    assert schema["items"] == {"type": "string", "maxLength": 5}
    assert schema["maxItems"] == 3
    assert schema["uniqueItems"] is True
    assert schema["glareType"] == "StringList"
    assert tags.initial_value() == []
    assert tags.initial_value() is not tags.initial_value()

    counts = p.Dict(p.Integer(validators=[p.MinNumber(0)]), max_keys=2)
    schema = counts.json_schema()
    assert schema["additionalProperties"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 2**63 - 1,
    }
    assert schema["maxProperties"] == 2
    assert schema["glareType"] == "IntegerDict"


def test_containers_take_only_scalar_elements() -> None:
    with pytest.raises(ValueError, match="scalar"):
        p.List(p.List(p.String()))
    with pytest.raises(ValueError, match="scalar"):
        p.Dict(p.Blob())


def test_blob_fields_are_read_only_and_not_filterable() -> None:
    blob = p.Blob(max_size=100)
    schema = blob.json_schema()
    assert schema["readOnly"] is True
    assert schema["maxSize"] == 100
    assert schema["filter_ops"] == []
    assert blob.is_blob
    folder = p.BlobDict(max_size=10, max_keys=2)
    assert folder.json_schema()["maxProperties"] == 2
    assert folder.initial_value() == {}


def test_link_pattern_may_pin_the_target_type() -> None:
    schema = p.Link(target_type="images").json_schema()
    assert "images" in schema["pattern"]
    assert schema["glareType"] == "Link"


def test_version_field_coerces_partial_versions() -> None:
    field = p.Version()
    assert field.coerce(None, "version", "1") == "1.0.0"
    with pytest.raises(ValueError, match="version"):
        field.coerce(None, "version", "not-a-version")


def test_datetime_renders_utc_with_z_suffix() -> None:
    import datetime as dt

    value = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)
    assert f.DateTime().to_json(value) == "2026-05-04T03:02:01Z"


def test_like_is_only_for_strings() -> None:
    assert p.String(filter_ops=["eq", "like"]).filter_ops == ("eq", "like")
    with pytest.raises(ValueError, match="only String"):
        p.Integer(filter_ops=["like"])
