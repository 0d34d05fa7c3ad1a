"""The typed artifact routes of the document: list, create, show, patch and delete, one set
of paths per enabled type, with its fields as list parameters."""

from __future__ import annotations

from typing import Any

from api.openapi.components import (
    DELETE_403,
    EXTENSION,
    JSON_PATCH,
    UPDATE_403,
    UPDATE_409,
    error_because,
    error_responses,
    json_content,
    ref,
)
from api.openapi.operations import ID, Operation, TypeInfo, artifact_response, operation


def _list_parameters(info: TypeInfo) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": info.max_list_limit},
            "description": "Page size; 0 lists nothing but still counts (total_count).",
        },
        {
            "name": "marker",
            "in": "query",
            "schema": {"type": "string"},
            "description": "The id after which the page starts (from a next link); an id "
            "the caller cannot see is a 404.",
        },
        {
            "name": "tags",
            "in": "query",
            "schema": {"type": "string"},
            "description": "[and:|or:]t1,t2: every tag (no operator).",
        },
        {
            "name": "tags-any",
            "in": "query",
            "schema": {"type": "string"},
            "description": "[and:|or:]t1,t2: any of the tags (no operator).",
        },
        {
            "name": "sort",
            "in": "query",
            "schema": {"type": "string"},
            "description": "key:asc|desc[,…] over the sortable fields: "
            + ", ".join(sorted(n for n, s in info.properties.items() if s.get("sortable"))),
        },
        {"name": "total_count", "in": "query", "schema": {"enum": ["true", "false"]}},
        {
            "name": "latest",
            "in": "query",
            "schema": {"enum": ["true", "false"]},
            "description": "Only the newest version of each name.",
        },
        {
            "name": "member_status",
            "in": "query",
            "schema": {"enum": ["pending", "all"]},
            "description": "Shares offered to the caller's project: awaiting an answer, or all.",
            EXTENSION: True,
        },
    ]
    for name, spec in sorted(info.properties.items()):
        ops = spec.get("filter_ops") or []
        if ops and name not in {"limit", "marker", "sort"}:
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": f"[and:|or:][op:]value with op one of {', '.join(ops)}"
                    + (
                        "; or a SemVer range (^1.2, >=1.0,<2) or 'latest'"
                        if name == "version"
                        else ""
                    ),
                }
            )
    return params


def _list_schema(info: TypeInfo) -> dict[str, Any]:
    items = {"type": "array", "items": ref("schemas", info.component)}
    return {
        "type": "object",
        "required": ["type_name", "artifacts", "first", "schema", "total_count"],
        "description": "Glare 5's list envelope; 'next' is there whenever the page is full.",
        "properties": {
            "type_name": {"type": "string"},
            "artifacts": items,
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
            "total_count": {
                "type": "integer",
                "minimum": 0,
                "description": "Matches on all pages; past the server's count limit "
                "(api.count_limit), that limit, with total_count_limited; with filters "
                "tested row by row, the matches among the rows a count may examine "
                "(api.count_scan_limit) when it stopped there, with total_count_limited.",
            },
            "total_count_limited": {
                "type": "boolean",
                "enum": [True],
                "description": "Present when counting stopped at the count limit or at "
                "the rows it may examine: at least total_count artifacts match.",
            },
        },
    }


def list_artifacts(info: TypeInfo) -> Operation:
    return operation(
        f"List {info.name} artifacts",
        info.name,
        {
            "200": {"description": "One page.", "content": json_content(_list_schema(info))},
            **error_responses("400", "404", "406", "503"),
        },
        parameters=_list_parameters(info),
    )


def create_artifact(info: TypeInfo) -> Operation:
    return operation(
        f"Create a {info.name} artifact (drafted, private)",
        info.name,
        {
            "201": artifact_response(info, "Created."),
            **error_responses("400", "401", "403", "409", "413", "415", "503"),
        },
        requestBody={"required": True, "content": json_content(ref("schemas", info.component))},
    )


def show_artifact(info: TypeInfo) -> Operation:
    return operation(
        f"Show a {info.name} artifact",
        info.name,
        {"200": artifact_response(info, "The artifact."), **error_responses("404", "503")},
        parameters=[ID],
    )


def update_artifact(info: TypeInfo) -> Operation:
    return operation(
        f"Change a {info.name} artifact with a JSON patch",
        info.name,
        {
            "200": artifact_response(info, "The changed artifact."),
            **error_responses("400", "401", "403", "404", "409", "413", "415", "503"),
            **error_because("403", UPDATE_403),
            **error_because("409", UPDATE_409),
        },
        parameters=[ID],
        requestBody={
            "required": True,
            "content": {JSON_PATCH: {"schema": ref("schemas", "JsonPatch")}},
        },
    )


def delete_artifact(info: TypeInfo) -> Operation:
    return operation(
        f"Delete a {info.name} artifact and its blobs",
        info.name,
        {
            "204": {"description": "Deleted."},
            **error_responses("401", "403", "404", "409", "503"),
            **error_because("403", DELETE_403),
        },
        parameters=[ID],
    )
