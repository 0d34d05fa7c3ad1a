"""``key=value`` arguments turned into typed field values, by the type's JSON schema.

``min_ram=512`` is a number because the schema says ``min_ram`` is an integer, while
``name=123`` stays a string; lists take JSON (``tags=["a","b"]``) or commas (``tags=a,b``),
dicts take JSON, and ``metadata.key=value`` sets one key of a dict field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import click

_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def split_assignment(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{text!r} is not KEY=VALUE")
    return key.strip(), value


def _types(spec: Mapping[str, Any]) -> list[str]:
    raw = spec.get("type", "string")
    return [t for t in (raw if isinstance(raw, list) else [raw]) if t != "null"]


def coerce(schema: Mapping[str, Any], field: str, raw: str) -> Any:
    """The JSON value of ``raw`` for ``field`` of a type whose schema is ``schema``."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    name, _, key = field.partition(".")
    spec = properties.get(name)
    if spec is None:
        raise click.BadParameter(
            f"the type has no field {name!r}; 'artifacts schema TYPE' lists its fields"
        )
    if key:
        if "object" not in _types(spec):
            raise click.BadParameter(f"{name!r} is not a dict field, so {field!r} means nothing")
        spec = spec.get("additionalProperties") or {"type": "string"}
        if not isinstance(spec, Mapping):
            spec = {"type": "string"}
    return _value(spec, raw, field)


def _value(spec: Mapping[str, Any], raw: str, field: str) -> Any:
    kinds = _types(spec)
    kind = kinds[0] if kinds else "string"
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
        if kind == "boolean":
            lowered = raw.strip().lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ValueError(raw)
        if kind == "array":
            if raw.lstrip().startswith("["):
                return json.loads(raw)
            items = spec.get("items") or {"type": "string"}
            return [_value(items, part.strip(), field) for part in raw.split(",") if part.strip()]
        if kind == "object":
            return json.loads(raw)
    except ValueError as exc:
        raise click.BadParameter(f"{field}={raw!r}: expected {kind}") from exc
    return raw


def assignments(schema: Mapping[str, Any], pairs: Iterable[str]) -> dict[str, Any]:
    """``{field: value}`` from ``KEY=VALUE`` strings, typed by ``schema``."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, raw = split_assignment(pair)
        values[key] = coerce(schema, key, raw)
    return values


def blob_fields(schema: Mapping[str, Any]) -> list[str]:
    """The type's blob and blob-dict fields, required-on-activation ones first."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    blobs = [
        (not spec.get("required_on_activate", False), name)
        for name, spec in properties.items()
        if spec.get("glareType") in ("Blob", "BlobDict")
    ]
    return [name for _, name in sorted(blobs)]
