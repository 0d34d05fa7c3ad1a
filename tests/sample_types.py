"""Artifact types used only by tests: every field kind and option in one small declaration."""

from __future__ import annotations

from artifacts import plugin as p


class Widget(p.BaseArtifact):
    TYPE = "widgets"
    DISPLAY_NAME = "Widgets"
    VERSION = "1.2"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "colour": p.String(
            sortable=True,
            validators=[p.AllowedValues(["red", "green", "blue"])],
            description="Paint colour.",
        ),
        "size": p.Integer(sortable=True, validators=[p.MinNumber(0), p.MaxNumber(1000)]),
        "weight": p.Float(sortable=True, mutable=True),
        "fragile": p.Boolean(default=False, nullable=False),
        "made_at": p.DateTime(sortable=True),
        "api_version": p.Version(sortable=True),
        "serial": p.String(
            validators=[p.Regex(r"^[A-Z]{2}-\d{4}$")], required_on_activate=True, max_length=7
        ),
        "parts": p.List(p.String(max_length=32), max_items=5, unique=True),
        "sizes": p.List(p.Integer()),
        "labels": p.Dict(p.String(max_length=64), max_keys=4, mutable=True),
        "counts": p.Dict(p.Integer()),
        "parent": p.Link(),
        "friends": p.Dict(p.Link()),
        "notes": p.String(mutable=True, max_length=1000),
        "secret_code": p.String(system=True),
        "manual": p.Blob(max_size=1024 * 1024),
        "attachments": p.BlobDict(max_size=1024, max_keys=3),
    }


class Gadget(p.BaseArtifact):
    TYPE = "gadgets"
    VERSION = "1.0"
    MAX_TOTAL_BLOB_SIZE = 100

    fields = {  # noqa: RUF012 - see Widget
        "kind": p.String(sortable=True),
        "front": p.Blob(),
        "back": p.Blob(),
    }


SAMPLE_TYPES = (Widget, Gadget)
