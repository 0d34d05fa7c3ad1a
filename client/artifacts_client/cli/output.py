"""What commands print: tables for people, JSON for scripts, messages on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from artifacts_client.models import Artifact, Member

TABLE, JSON = "table", "json"

format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice([TABLE, JSON]),
    default=TABLE,
    envvar="ARTIFACTS_FORMAT",
    show_default=True,
    help="A table for people, or JSON for scripts.",
)

#: Columns of an artifact list, in order.
LIST_COLUMNS = ("id", "name", "version", "status", "visibility", "owner", "updated_at")


def console() -> Console:
    # Piped output is read by grep and awk, not a terminal of 80 columns: keep rows whole.
    wide = None if sys.stdout.isatty() else 240
    return Console(soft_wrap=False, width=wide)


def errors() -> Console:
    return Console(stderr=True, soft_wrap=True)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str | None = None,
    header: bool = True,
) -> None:
    out = Table(title=title, show_edge=False, header_style="bold", show_header=header)
    for column in columns:
        # Ids are copied into the next command: never cut or wrap them.
        out.add_column(column, no_wrap=column == "id", min_width=36 if column == "id" else None)
    for row in rows:
        out.add_row(*(_cell(value) for value in row))
    console().print(out)


def artifacts(items: Iterable[Artifact], output_format: str, with_type: bool = False) -> None:
    rows = list(items)
    if output_format == JSON:
        print_json(
            [item.data | ({"type_name": item.type_name} if with_type else {}) for item in rows]
        )
        return
    if not rows:
        errors().print("no artifacts match")
        return
    columns = ("type", *LIST_COLUMNS) if with_type else LIST_COLUMNS
    table(
        columns,
        (
            ([item.type_name] if with_type else []) + [_short(item.get(c)) for c in LIST_COLUMNS]
            for item in rows
        ),
    )


def _short(value: Any) -> Any:
    """Timestamps to the minute in lists (``show`` keeps them whole)."""
    if isinstance(value, str) and len(value) > 16 and value[10:11] == "T":
        return value[:16].replace("T", " ")
    return value


def artifact(item: Artifact, output_format: str) -> None:
    """Every field of one artifact; blobs as one line each (size and sha256)."""
    if output_format == JSON:
        print_json(item.data)
        return
    rows: list[tuple[str, str]] = [("type_name", item.type_name)] if item.type_name else []
    for key in sorted(item.data):
        value = item.data[key]
        if isinstance(value, Mapping) and "sha256" in value and "status" in value:
            rows.append((key, _blob_line(value)))
        elif (
            isinstance(value, Mapping)
            and value
            and all(isinstance(v, Mapping) and "status" in v for v in value.values())
        ):
            for blob_key, blob in sorted(value.items()):
                rows.append((f"{key}/{blob_key}", _blob_line(blob)))
        else:
            rows.append((key, _cell(value)))
    table(("field", "value"), rows)


def _blob_line(blob: Mapping[str, Any]) -> str:
    if blob.get("external"):
        return f"external {blob.get('url')}"
    if blob.get("status") != "active":
        return str(blob.get("status"))
    return f"{blob.get('size')} bytes, sha256 {blob.get('sha256')}"


def members(items: Iterable[Member], output_format: str) -> None:
    rows = list(items)
    if output_format == JSON:
        print_json([vars(member) for member in rows])
        return
    table(
        ("member", "status", "created_at", "updated_at"),
        ((m.member_id, m.status, m.created_at, m.updated_at) for m in rows),
    )
