from __future__ import annotations

from typing import Any

import pytest

from artifacts.engine.registry import prepare_type
from artifacts.errors import InvalidValue
from tests.sample_types import Widget

WIDGET = prepare_type(Widget)


def _document(**overrides: Any) -> dict[str, Any]:
    document = {name: field.to_json(field.initial_value()) for name, field in WIDGET.fields.items()}
    document.update(
        id="5b3a7f8e-8a43-4f4e-9d43-3bd2d6f1f1a1",
        name="w",
        owner="p1",
        created_at="2026-01-01T00:00:00.000000Z",
        updated_at="2026-01-01T00:00:00.000000Z",
    )
    document.update(overrides)
    return document


def test_schema_lists_every_field_with_the_type_version() -> None:
    schema = WIDGET.schema
    assert schema["name"] == "widgets"
    assert schema["version"] == "1.2"
    assert schema["display_name"] == "Widgets"
    assert schema["required"] == ["name"]
    assert {"id", "name", "version", "tags", "metadata", "colour", "manual"} <= set(
        schema["properties"]
    )
    assert schema["properties"]["id"]["readOnly"] is True
    assert schema["properties"]["secret_code"]["readOnly"] is True
    assert schema["additionalProperties"] is False


def test_a_valid_document_passes() -> None:
    WIDGET.validator.validate(_document(colour="red", size=3, parts=["a", "b"]))


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"colour": "purple"}, "colour"),
        ({"size": -1}, "size"),
        ({"size": 1001}, "size"),
        ({"size": "3"}, "size"),
        ({"serial": "ab-12"}, "serial"),
        ({"parts": ["a", "a"]}, "parts"),
        ({"parts": ["a", "b", "c", "d", "e", "f"]}, "parts"),
        ({"labels": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}}, "labels"),
        ({"counts": {"a": "x"}}, "counts/a"),
        ({"version": "banana"}, "version"),
        ({"made_at": "yesterday"}, "made_at"),
        ({"parent": "/artifacts/widgets/not-a-uuid"}, "parent"),
        ({"name": ""}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"tags": ["t" * 256]}, "tags/0"),
        ({"fragile": None}, "fragile"),
        ({"unknown": 1}, "artifact"),
    ],
)
def test_invalid_documents_name_the_offending_field(overrides: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidValue, match=f"'{where}'"):
        WIDGET.validator.validate(_document(**overrides))


def test_partial_versions_are_valid_input() -> None:
    WIDGET.validator.validate(_document(version="1", api_version="2.1"))
