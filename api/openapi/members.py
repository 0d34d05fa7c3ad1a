"""The membership routes of the document (our sharing extension)."""

from __future__ import annotations

from typing import Any

from api.openapi.components import error_responses, json_content, ref
from api.openapi.operations import ID, PROJECT, Operation, TypeInfo, operation


def _member_json() -> dict[str, Any]:
    return json_content(ref("schemas", "Member"))


def list_members(info: TypeInfo) -> Operation:
    listing = {
        "type": "object",
        "properties": {"members": {"type": "array", "items": ref("schemas", "Member")}},
    }
    return operation(
        "List an artifact's members",
        "sharing",
        {
            "200": {"description": "Memberships.", "content": json_content(listing)},
            **error_responses("401", "403", "404", "503"),
        },
        parameters=[ID],
    )


def add_member(info: TypeInfo) -> Operation:
    body = {"type": "object", "required": ["member"], "properties": {"member": {"type": "string"}}}
    return operation(
        "Share an artifact with a project (pending until it answers)",
        "sharing",
        {
            "201": {"description": "Shared.", "content": _member_json()},
            **error_responses("400", "401", "403", "404", "409", "413", "415", "503"),
        },
        parameters=[ID],
        requestBody={"required": True, "content": json_content(body)},
    )


def show_member(info: TypeInfo) -> Operation:
    return operation(
        "Show one membership",
        "sharing",
        {
            "200": {"description": "The membership.", "content": _member_json()},
            **error_responses("401", "403", "404", "503"),
        },
        parameters=[ID, PROJECT],
    )


def answer_member(info: TypeInfo) -> Operation:
    body = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"enum": ["accepted", "rejected", "pending"]}},
    }
    return operation(
        "Answer a share (the member project)",
        "sharing",
        {
            "200": {"description": "The membership.", "content": _member_json()},
            **error_responses("400", "401", "403", "404", "413", "415", "503"),
        },
        parameters=[ID, PROJECT],
        requestBody={"required": True, "content": json_content(body)},
    )


def remove_member(info: TypeInfo) -> Operation:
    return operation(
        "Stop sharing with a project",
        "sharing",
        {"204": {"description": "Removed."}, **error_responses("401", "403", "404", "503")},
        parameters=[ID, PROJECT],
    )
