"""What text may reach the database: the one set of rules every door applies to its input.

Both databases refuse some strings outright, and answering those with a 500 is answering a
client's typo with an incident: PostgreSQL stores no NUL character in text (``\\x00``), and
neither database can encode a lone UTF-16 surrogate (``"\\ud800"``, which JSON's ``\\u``
escapes can produce) as UTF-8. Over-long values and deeply nested documents are refused
here too, with the limit in the message, before they cost a database round trip or a
recursion deep enough to crash a copy.

Project ids, which other rules treat as names in paths (``…/members/{project_id}``), are held
to a stricter shape: a member id with ``/`` or a line break could never be addressed again.
"""

from __future__ import annotations

import re
from typing import Any

from artifacts.errors import InvalidInput, InvalidValue

#: Longest text accepted in a path segment, query parameter or header the service reads.
MAX_TEXT_LENGTH = 4096
#: Deepest nesting of arrays and objects accepted in a JSON document (a body, a patch value,
#: a patched artifact); artifact data is shallow, so this leaves room and stops abuse.
MAX_JSON_DEPTH = 32
#: Longest project id (Keystone's ids are 32 or 64 characters; its column allows 64).
MAX_PROJECT_ID = 255

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_PROJECT_ID = re.compile(r"^[A-Za-z0-9_.@:-]+$")


def storable(value: str) -> bool:
    """Whether both databases can store ``value`` (no NUL, no unpaired surrogate)."""
    return _UNSTORABLE.search(value) is None


def check_text(value: str, what: str, *, max_length: int | None = MAX_TEXT_LENGTH) -> str:
    """Return ``value`` if both databases can store it and it is not too long."""
    found = _UNSTORABLE.search(value)
    if found is not None:
        nul = found.group() == "\x00"
        kind = "a NUL character (U+0000)" if nul else "an unpaired UTF-16 surrogate"
        raise InvalidInput(f"{what} contains {kind} (at position {found.start()}).")
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"{what} is longer than {max_length} characters.")
    return value


def check_document(
    document: Any, what: str = "The request body", *, max_depth: int = MAX_JSON_DEPTH
) -> None:
    """Check every key and string of a parsed JSON document, and its depth, without recursion."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            check_text(value, f"A string in {what.lower()}", max_length=None)
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise InvalidInput(f"{what} is nested more than {max_depth} levels deep.")
            if isinstance(value, dict):
                for key, item in value.items():
                    check_text(key, f"A key in {what.lower()}", max_length=None)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def check_project_id(value: str, what: str = "A project id") -> str:
    """Return ``value`` if it is a well-formed project id: the characters ids are made of."""
    if not value or len(value) > MAX_PROJECT_ID or not _PROJECT_ID.match(value):
        raise InvalidValue(
            f"{what} must be 1 to {MAX_PROJECT_ID} letters, digits or '_', '.', '@', ':', '-'."
        )
    return value
