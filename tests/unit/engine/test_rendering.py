"""An artifact document as rendered from its row: field order, defaults, blobs."""

from __future__ import annotations

import datetime as dt

from artifacts.db.reads import ArtifactRecord, BlobRecord
from artifacts.engine.artifacts.rendering import DISPLAY_TYPE_NAME, render, render_common
from artifacts.engine.registry import TypeRegistry, prepare_type
from artifacts.model.base import DOCUMENT_ORDER
from tests.sample_types import Widget

WIDGETS = prepare_type(Widget)
CREATED = dt.datetime(2026, 1, 2, 3, 4, 5)


def _row(**properties: object) -> ArtifactRecord:
    return ArtifactRecord(
        id="a1",
        type_name="widgets",
        name="w",
        version="1.0.0",
        version_key="k",
        owner="p1",
        visibility="private",
        status="drafted",
        description=None,
        tags=["t"],
        metadata_={"m": "v"},
        properties=dict(properties),
        created_at=CREATED,
        updated_at=CREATED,
        activated_at=None,
        revision=1,
        type_version=WIDGETS.version,
    )


def _blob(field: str, key: str = "") -> BlobRecord:
    return BlobRecord(
        artifact_id="a1",
        field=field,
        key=key,
        status="active",
        size=3,
        md5="m",
        sha1="s1",
        sha256="s2",
        content_type="text/plain",
        store="fs",
        location="loc",
        external_url=None,
        pending_upload_id=None,
        pending_store=None,
        pending_location=None,
        pending_started_at=None,
        created_at=CREATED,
        updated_at=CREATED,
    )


def test_a_document_lists_the_types_fields_then_the_common_ones_in_glares_order() -> None:
    document = render(WIDGETS, _row(colour="red"), [])
    assert tuple(document) == (*WIDGETS.document_order, DISPLAY_TYPE_NAME)
    assert document["colour"] == "red"
    assert document["created_at"] == "2026-01-02T03:04:05Z"
    assert document[DISPLAY_TYPE_NAME] == "Widgets"


def test_missing_fields_read_as_their_defaults_and_no_two_documents_share_one() -> None:
    first = render(WIDGETS, _row(), [])
    second = render(WIDGETS, _row(), [])
    assert first["fragile"] is False
    assert first["parts"] == []
    assert first["labels"] == {}
    first["parts"].append("x")
    assert second["parts"] == []


def test_blobs_fill_their_fields_and_folders() -> None:
    document = render(WIDGETS, _row(), [_blob("manual"), _blob("attachments", "a.txt")])
    assert document["manual"]["size"] == 3
    assert list(document["attachments"]) == ["a.txt"]


def test_a_document_of_all_types_holds_the_common_fields_in_glares_order() -> None:
    document = render_common(TypeRegistry([Widget]), _row())
    assert tuple(document) == ("type_name", *DOCUMENT_ORDER, DISPLAY_TYPE_NAME)
