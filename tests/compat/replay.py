"""Replay a recorded conversation against a server and list where its answers differ."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.compat.transcript import IdMap, comparable, expected_for_us, response_record

RECORDINGS = Path(__file__).parent / "recordings"

#: send(method, path_with_query, headers, body) -> (status, headers, content)
Send = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def recordings(protocol: str = "glare") -> list[Path]:
    return sorted((RECORDINGS / protocol).glob("*.json"))


def request_parts(ids: IdMap, request: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    """The recorded request with this server's ids put back."""
    path = ids.to_real(request["path"])
    headers = {k: ids.to_real(v) for k, v in request.get("headers", {}).items()}
    body = b""
    if "json" in request:
        body = json.dumps(ids.request_value(request["json"], ids.to_real)).encode()
    elif "data" in request:
        body = ids.to_real(request["data"]).encode()
    elif "data_base64" in request:
        body = base64.b64decode(request["data_base64"])
    ids.learn_request(path + body.decode("utf-8", "replace"))
    return path, headers, body


#: Fields our images carry beyond Glare's (deviations ``image-inspection-fields``,
#: ``image-properties-field`` and ``image-integrity-fields`` in docs/glare-v1-wire.md): left out
#: of our image documents before they are compared.
IMAGE_EXTENSION_FIELDS = frozenset(
    {
        "virtual_size",
        "os_hash_algo",
        "os_hash_value",
        "format_details",
        "detected_format",
        "properties",
        "protected",
        "os_hidden",
        "img_signature",
        "img_signature_hash_method",
        "img_signature_key_type",
        "img_signature_certificate_uuid",
    }
)
GLOBAL_DEVIATIONS = frozenset(
    {"image-inspection-fields", "image-properties-field", "image-integrity-fields"}
)


def _without_extensions(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_extensions(v) for v in value]
    if isinstance(value, dict):
        images = value.get("display_type_name") == "Images"
        return {
            k: _without_extensions(v)
            for k, v in value.items()
            if not (images and k in IMAGE_EXTENSION_FIELDS)
        }
    return value


#: What a Glare client reads of a field in a schema document (glareclient and Glare's own UI
#: read these): the kind, the flags, the filter operators, allowed values and the default.
SCHEMA_FACETS = (
    "glareType",
    "type",
    "readOnly",
    "mutable",
    "sortable",
    "required_on_activate",
    "filter_ops",
    "enum",
    "default",
)
SCHEMA_HEADINGS = ("name", "version", "title", "display_name", "required")


def schema_view(body: Any) -> Any:
    """A ``{"schemas": {...}}`` document reduced to what clients read of it.

    Descriptions are prose, and validation bounds (lengths, patterns, limits) are checked by
    the create and patch recordings; flags compare by truth, with Glare's defaults for absent
    ones (``required_on_activate`` true, the others false), and filter operators as a set.
    """
    if not (isinstance(body, dict) and isinstance(body.get("schemas"), dict)):
        return body
    view = {}
    for name, schema in body["schemas"].items():
        fields = {}
        for field, spec in schema.get("properties", {}).items():
            if name == "images" and field in IMAGE_EXTENSION_FIELDS:
                continue
            facets = {key: spec.get(key) for key in SCHEMA_FACETS}
            for flag in ("readOnly", "mutable", "sortable"):
                facets[flag] = bool(facets[flag])
            facets["required_on_activate"] = spec.get("required_on_activate", True)
            facets["filter_ops"] = sorted(spec.get("filter_ops") or [])
            fields[field] = facets
        headings = SCHEMA_HEADINGS
        if name == "images":  # at 1.1 for its integrity fields (``image-integrity-fields``)
            headings = tuple(k for k in SCHEMA_HEADINGS if k not in ("version", "title"))
        view[name] = {**{k: schema.get(k) for k in headings}, "properties": fields}
    return {"schemas": view}


def replay(
    recording: dict[str, Any],
    send: Send,
    answers: list[dict[str, Any]] | None = None,
    *,
    ordered: Callable[[str], bool] = lambda key: True,
) -> list[str]:
    """Run every exchange in order; return one readable line per difference.

    ``answers``, when given, receives our normalised response to every exchange. The keys of
    every object must come in the peer's order, among those ``ordered`` names.
    """
    ids = IdMap()
    problems = []
    for number, exchange in enumerate(recording["exchanges"], 1):
        request = exchange["request"]
        path, headers, body = request_parts(ids, request)
        status, got_headers, content = send(request["method"], path, headers, body)
        answer = response_record(ids, status, got_headers, content)
        if "json" in answer:
            answer["json"] = _without_extensions(answer["json"])
        if answers is not None:
            answers.append(answer)
        ours = comparable(answer)
        wanted = comparable(expected_for_us(exchange))
        for side in (ours, wanted):
            if "json" in side:
                side["json"] = schema_view(side["json"])
        if ours != wanted:
            problems.append(_describe(number, request, wanted, ours))
        elif "json" in answer and not exchange.get("deviation"):
            problems.extend(
                f"#{number} {request['method']} {request['path']}\n   key order at {where}"
                for where in _order_differences(
                    exchange["response"].get("json"), answer["json"], ordered
                )
            )
    return problems


def _order_differences(
    peer: Any, ours: Any, ordered: Callable[[str], bool], where: str = "body"
) -> list[str]:
    """Where an object's keys, the same on both sides, come in another order than the peer's:
    clients print documents in the order their keys arrive (glareclient's tables)."""
    if isinstance(peer, dict) and isinstance(ours, dict):
        if set(peer) == set(ours):
            mine = [key for key in ours if ordered(key)]
            theirs = [key for key in peer if ordered(key)]
            if mine != theirs:
                return [f"{where}: peer {theirs} ours {mine}"]
        return [
            found
            for key in peer
            if key in ours
            for found in _order_differences(peer[key], ours[key], ordered, f"{where}.{key}")
        ]
    if isinstance(peer, list) and isinstance(ours, list) and len(peer) == len(ours):
        return [
            found
            for index, (a, b) in enumerate(zip(peer, ours, strict=True))
            for found in _order_differences(a, b, ordered, f"{where}[{index}]")
        ]
    return []


def _describe(
    number: int, request: dict[str, Any], wanted: dict[str, Any], ours: dict[str, Any]
) -> str:
    lines = [f"#{number} {request['method']} {request['path']}"]
    if wanted["status"] != ours["status"]:
        sent = request.get("json", request.get("data"))
        if sent is not None:
            lines.append(f"   sent: {_short(sent, 160)}")
        lines.append(f"   status: glare={wanted['status']} ours={ours['status']}")
        lines.append(f"   glare: {_short(_gist(wanted), 200)}")
        lines.append(f"   ours:  {_short(_gist(ours), 200)}")
        return "\n".join(lines)
    for key in sorted(set(wanted) | set(ours)):
        if wanted.get(key) != ours.get(key):
            if key == "headers":
                for name in sorted(set(wanted["headers"]) | set(ours.get("headers", {}))):
                    a, b = wanted["headers"].get(name), ours.get("headers", {}).get(name)
                    if a != b:
                        lines.append(f"   header {name}: peer={a!r} ours={b!r}")
            elif (
                key == "json"
                and isinstance(wanted.get(key), dict)
                and isinstance(ours.get(key), dict)
            ):
                lines.extend(_json_diff(wanted[key], ours[key], "   body"))
            else:
                lines.append(
                    f"   {key}: peer={_short(wanted.get(key))} ours={_short(ours.get(key))}"
                )
    return "\n".join(lines)


def _gist(response: dict[str, Any]) -> Any:
    body = response.get("json", response.get("text"))
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("type")
    if isinstance(body, dict) and "id" in body:
        return {k: body[k] for k in ("id", "name", "version") if k in body}
    return body


def _json_diff(a: Any, b: Any, where: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{where}.{k}: only ours={_short(b[k])}")
            elif k not in b:
                out.append(f"{where}.{k}: only peer={_short(a[k])}")
            elif a[k] != b[k]:
                out.extend(_json_diff(a[k], b[k], f"{where}.{k}"))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                out.extend(_json_diff(x, y, f"{where}[{i}]"))
        return out
    return [f"{where}: peer={_short(a)} ours={_short(b)}"]


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
