"""JSON schema of a type, generated from its field declarations and used to enforce them.

One generator serves both ``GET /schemas/{type}`` and input validation, so a client that validates
against the published schema and the server can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

from artifacts.errors import InvalidValue
from artifacts.model import semver
from artifacts.model.base import DISPLAY_TYPE_NAME_FIELD

if TYPE_CHECKING:
    from artifacts.model.base import BaseArtifact

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("semver", raises=semver.InvalidVersion)
def _is_semver(value: object) -> bool:
    if isinstance(value, str):
        semver.parse_version(value)
    return True


@_FORMATS.checks("date-time", raises=(ValueError, OverflowError))
def _is_datetime(value: object) -> bool:
    if isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a timezone is required")
        parsed.astimezone(dt.UTC)  # must be representable in UTC, where it is stored
    return True


def type_schema(artifact_type: type[BaseArtifact]) -> dict[str, Any]:
    """Build the published JSON schema of an artifact type."""
    fields = artifact_type.declared_fields()
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": artifact_type.TYPE,
        "display_name": artifact_type.DISPLAY_NAME or artifact_type.TYPE,
        "version": artifact_type.VERSION,
        "title": f"Artifact type {artifact_type.TYPE} of version {artifact_type.VERSION}",
        "type": "object",
        "properties": {
            **{name: field.json_schema() for name, field in fields.items()},
            "display_type_name": DISPLAY_TYPE_NAME_FIELD.json_schema(),
        },
        # What a create request must contain; the other non-null fields have defaults or are
        # set by the server, and "type" without "null" already refuses null for them.
        "required": ["name"],
        "additionalProperties": False,
    }


class DocumentValidator:
    """Validate whole artifact documents (as rendered for the wire) against a type's schema."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        checked = {k: v for k, v in schema.items() if k != "$schema"}
        Draft202012Validator.check_schema(checked)
        self._validator = Draft202012Validator(checked, format_checker=_FORMATS)

    def validate(self, document: Mapping[str, Any]) -> None:
        """Raise :class:`InvalidValue` naming the first offending field and why."""
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(document))
        if error is None:
            return
        where = "/".join(str(part) for part in error.absolute_path) or "artifact"
        raise InvalidValue(f"Invalid value for '{where}': {error.message}")


def common_schema(type_name: str, common_fields: Mapping[str, Any]) -> dict[str, Any]:
    """Build the schema of the ``all`` pseudo-type from its fields (base.ALL_TYPE_FIELDS)."""
    properties = {name: field.json_schema() for name, field in common_fields.items()}
    properties["display_type_name"] = DISPLAY_TYPE_NAME_FIELD.json_schema()
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": type_name,
        "display_name": "All Artifacts",
        "version": "1.0",
        "title": f"Artifact type {type_name} of version 1.0",
        "type": "object",
        "properties": properties,
        "required": ["name"],
        "additionalProperties": False,
    }
