"""Build the RFC 6902 JSON patches the server takes for changes, one readable call at a time.

>>> for op in Patch().set("container_format", "bare").append("tags", "tiny").operations:
...     print(op)
{'op': 'replace', 'path': '/container_format', 'value': 'bare'}
{'op': 'add', 'path': '/tags/-', 'value': 'tiny'}
"""

from __future__ import annotations

from typing import Any, Self


def pointer(field: str) -> str:
    """The JSON pointer of ``field``; ``metadata.key`` names a key inside a dict field."""
    parts = field.split(".", 1) if "." in field else [field]
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


class Patch:
    """A list of JSON-patch operations, built with chained calls."""

    def __init__(self) -> None:
        self.operations: list[dict[str, Any]] = []

    def __bool__(self) -> bool:
        return bool(self.operations)

    def set(self, field: str, value: Any) -> Self:
        """Give ``field`` a value; ``dict_field.key`` sets one key of a dict field."""
        op = "add" if "." in field else "replace"
        self.operations.append({"op": op, "path": pointer(field), "value": value})
        return self

    def unset(self, field: str) -> Self:
        """Clear ``field`` (to null), or remove one key of a dict field (``metadata.key``)."""
        if "." in field:
            self.operations.append({"op": "remove", "path": pointer(field)})
        else:
            self.operations.append({"op": "replace", "path": pointer(field), "value": None})
        return self

    def append(self, field: str, value: Any) -> Self:
        """Add ``value`` at the end of a list field."""
        self.operations.append({"op": "add", "path": pointer(field) + "/-", "value": value})
        return self

    def remove(self, path: str) -> Self:
        """Remove what a raw JSON pointer names (``/tags/0``)."""
        self.operations.append({"op": "remove", "path": path})
        return self

    def add(self, path: str, value: Any) -> Self:
        self.operations.append({"op": "add", "path": path, "value": value})
        return self

    def replace(self, path: str, value: Any) -> Self:
        self.operations.append({"op": "replace", "path": path, "value": value})
        return self

    def status(self, status: str) -> Self:
        """Move through the lifecycle: ``active``, ``deactivated``."""
        return self.replace("/status", status)

    def visibility(self, visibility: str) -> Self:
        """``private``, ``shared``, ``community`` or ``public``."""
        return self.replace("/visibility", visibility)
