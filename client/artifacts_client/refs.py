"""References to artifacts as people type them: ``TYPE/NAME@RANGE``, ``TYPE/ID`` or ``ID``.

``images/cirros@^0.6`` is the newest visible ``cirros`` image whose version is in ``^0.6``;
``images/cirros`` the newest of any version; ``images/<uuid>`` and a bare ``<uuid>`` name one
artifact by id (the bare form looks it up across every type).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from artifacts_client.errors import BadReference

_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Reference:
    type_name: str | None
    artifact_id: str | None = None
    name: str | None = None
    version_range: str | None = None

    def __str__(self) -> str:
        if self.artifact_id is not None:
            return f"{self.type_name}/{self.artifact_id}" if self.type_name else self.artifact_id
        suffix = f"@{self.version_range}" if self.version_range else ""
        return f"{self.type_name}/{self.name}{suffix}"


def parse_reference(text: str) -> Reference:
    """Parse a reference; raise :class:`BadReference` with what is wrong."""
    raw = text.strip()
    if not raw:
        raise BadReference("an empty reference; expected TYPE/NAME[@RANGE], TYPE/ID or ID")
    if "/" not in raw:
        if _UUID.match(raw):
            return Reference(type_name=None, artifact_id=raw)
        raise BadReference(
            f"{raw!r} is not an artifact id; name an artifact as TYPE/NAME[@RANGE], "
            "e.g. images/cirros@^0.6"
        )
    type_name, _, rest = raw.partition("/")
    if not _TYPE.match(type_name):
        raise BadReference(f"{type_name!r} is not an artifact type name")
    if not rest:
        raise BadReference(f"{raw!r} names a type but no artifact")
    if _UUID.match(rest):
        return Reference(type_name=type_name, artifact_id=rest)
    name, at, version_range = rest.partition("@")
    if not name:
        raise BadReference(f"{raw!r} has no artifact name before '@'")
    if at and not version_range.strip():
        raise BadReference(f"{raw!r} has an empty version range after '@'")
    return Reference(type_name=type_name, name=name, version_range=version_range.strip() or None)
