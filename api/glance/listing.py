"""Glance's image-list parameters, rewritten into the engine's list query.

Glance: ``limit``, ``marker``, ``sort_key``/``sort_dir`` (repeatable) or ``sort=k:dir,…``,
``name``/``id``/``status``/``visibility``/``owner``/formats with ``in:`` and the comparison
operators, ``created_at``/``updated_at`` with ``gt:``…, ``tag`` (repeatable, all required),
``member_status``, ``os_hidden``, ``protected``, and any additional property by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from api.glance import wire
from artifacts.errors import InvalidInput

#: Glance's sort keys (its API refuses others) → artifact fields.
SORT_KEYS = ("name", "status", "container_format", "disk_format", "id", "created_at", "updated_at")
#: Glance sorts by data size too; the engine sorts by declared fields only.
UNSORTABLE = ("size",)
#: Parameters passed through unchanged (their names are the artifact's).
PASSED = frozenset(
    {
        "limit",
        "marker",
        "name",
        "id",
        "owner",
        "container_format",
        "disk_format",
        "created_at",
        "updated_at",
        "min_ram",
        "min_disk",
        "member_status",
        *wire.TYPED_ATTRIBUTES,
    }
)
#: Glance filters on the data (size, digests) that the engine's query language cannot express.
UNSUPPORTED = frozenset({"size_min", "size_max", "checksum", "os_hash_value", "os_hash_algo"})
_DIRECTIONS = ("asc", "desc")
#: What ``visibility=`` may ask for (``all``: every image the caller may see).
VISIBILITIES = ("public", "private", "shared", "community", "all")


@dataclass(frozen=True)
class Translated:
    params: list[tuple[str, str]]
    #: A filter that no image can pass (a Glance status we never have): skip the query.
    nothing: bool = False


def translate(params: Sequence[tuple[str, str]], declared: Mapping[str, Any]) -> Translated:
    """The engine's list parameters for Glance's, or a refusal naming what is wrong."""
    out: list[tuple[str, str]] = []
    sort_keys = [value for key, value in params if key == "sort_key"]
    sort_dirs = [value for key, value in params if key == "sort_dir"]
    sort = [value for key, value in params if key == "sort"]
    if sort and (sort_keys or sort_dirs):
        raise InvalidInput("The 'sort' parameter cannot be combined with sort_key or sort_dir.")
    if sort:
        out.append(("sort", _sort_from_expression(",".join(sort))))
    elif sort_keys or sort_dirs:
        out.append(("sort", _sort_from_keys(sort_keys, sort_dirs)))
    filters = [(key, value) for key, value in params if key not in ("sort", "sort_key", "sort_dir")]
    nothing = False
    for key, value in filters:
        translated = _filter(key, value, declared)
        if translated is None:
            nothing = True
        else:
            out.extend(translated)
    # Hidden images are left out of a list that does not ask for them by the engine itself
    # (the type's os_hidden hides from lists), so every door lists them alike.
    return Translated(out, nothing)


def _filter(key: str, value: str, declared: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    """One Glance filter as engine parameters (none: no filter); None when nothing can match."""
    if key in UNSUPPORTED:
        raise InvalidInput(f"Filtering images by {key!r} is not supported by this server.")
    if key == "tag":
        return [("tags", value)]
    if key == "visibility":
        if value not in VISIBILITIES:
            raise InvalidInput(f"Invalid visibility value: {value}")
        return [] if value == "all" else [("visibility", value)]
    if key == "status":
        statuses = _statuses(value)
        return [("status", f"in:{','.join(statuses)}")] if statuses else None
    if key in ("os_hidden", "protected"):
        flag = _flag(key, value)
        if key in declared:
            # "false" also matches an image stored before the type had the field.
            return [(key, "true" if flag else "neq:true")]
        # Without the field no image is hidden or protected.
        return None if flag else []
    if key in PASSED:
        return [(key, value)]
    return [(f"{wire.PROPERTIES_FIELD}.{key}", value)]


def _sort_from_expression(expression: str) -> str:
    parts = []
    for item in expression.split(","):
        key, _, direction = item.strip().partition(":")
        parts.append(_sort_part(key, direction or "desc"))
    return ",".join(parts)


def _sort_from_keys(keys: list[str], directions: list[str]) -> str:
    if not keys:
        keys = ["created_at"]
    if len(directions) > 1 and len(directions) != len(keys):
        raise InvalidInput("Give one sort_dir, or one per sort_key.")
    if len(directions) <= 1:
        directions = [directions[0] if directions else "desc"] * len(keys)
    return ",".join(_sort_part(k, d) for k, d in zip(keys, directions, strict=True))


def _sort_part(key: str, direction: str) -> str:
    if key in UNSORTABLE:
        raise InvalidInput(f"Sorting images by {key!r} is not supported by this server.")
    if key not in SORT_KEYS:
        raise InvalidInput(
            f"Invalid sort key: {key}. It must be one of the following: {', '.join(SORT_KEYS)}."
        )
    if direction not in _DIRECTIONS:
        raise InvalidInput(f"Invalid sort direction: {direction}")
    return f"{key}:{direction}"


def _statuses(value: str) -> list[str]:
    op, sep, rest = value.partition(":")
    wanted = rest.split(",") if sep and op == "in" else [value]
    found: list[str] = []
    for status in wanted:
        # An unknown status matches no image (Glance answers an empty list, not an error).
        found.extend(s for s in wire.ARTIFACT_STATUSES.get(status, ()) if s not in found)
    return found


def _flag(key: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise InvalidInput(f"Invalid value for {key}: {value!r} (true or false).")
    return lowered == "true"


def first_link(params: Sequence[tuple[str, str]]) -> str:
    """Glance's ``first`` link: the caller's parameters (one value each, the last) but a marker."""
    kept = {key: value for key, value in params if key != "marker"}
    return f"/v2/images?{urlencode(kept)}" if kept else "/v2/images"


def next_link(params: Sequence[tuple[str, str]], marker: str) -> str:
    """Glance's ``next`` link: the ``first`` link's parameters and the new marker."""
    kept = {key: value for key, value in params if key != "marker"}
    return f"/v2/images?{urlencode({**kept, 'marker': marker})}"
