"""What the server answers, as typed objects that keep the raw JSON at hand.

Artifacts carry type-specific fields that only their type's schema knows, so an
:class:`Artifact` exposes the common fields as attributes and every field by ``artifact["x"]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BlobInfo:
    """One blob of an artifact, as the artifact's JSON describes it."""

    status: str | None
    size: int | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    content_type: str | None
    url: str | None
    external: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BlobInfo:
        return cls(
            status=data.get("status"),
            size=data.get("size"),
            md5=data.get("md5"),
            sha1=data.get("sha1"),
            sha256=data.get("sha256"),
            content_type=data.get("content_type"),
            url=data.get("url"),
            external=bool(data.get("external")),
        )


class Artifact(Mapping[str, Any]):
    """An artifact: common fields as attributes, every field by key."""

    def __init__(self, data: Mapping[str, Any], type_name: str | None = None) -> None:
        self.data: dict[str, Any] = dict(data)
        self.type_name: str = str(data.get("type_name") or type_name or "")

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"<Artifact {self.type_name}/{self.name}@{self.version} {self.id} {self.status}>"

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.data.get("version", ""))

    @property
    def status(self) -> str:
        return str(self.data.get("status", ""))

    @property
    def visibility(self) -> str:
        return str(self.data.get("visibility", ""))

    @property
    def owner(self) -> str | None:
        owner = self.data.get("owner")
        return str(owner) if owner is not None else None

    @property
    def tags(self) -> list[str]:
        return list(self.data.get("tags") or [])

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.data.get("metadata") or {})

    def blob(self, field: str, key: str | None = None) -> BlobInfo | None:
        """The blob in ``field`` (``key`` within a blob dict), or None when it has none."""
        value = self.data.get(field)
        if key is not None:
            value = value.get(key) if isinstance(value, Mapping) else None
        if not isinstance(value, Mapping) or "status" not in value:
            return None
        return BlobInfo.from_json(value)


@dataclass(frozen=True)
class Member:
    """A project an artifact is shared with, and its answer."""

    artifact_id: str
    member_id: str
    status: str
    created_at: str | None
    updated_at: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Member:
        return cls(
            artifact_id=str(data.get("artifact_id", "")),
            member_id=str(data["member_id"]),
            status=str(data["status"]),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
        )


@dataclass(frozen=True)
class Identity:
    """Who the server takes the caller to be."""

    project_id: str | None
    user_id: str | None
    roles: tuple[str, ...]
    authenticated: bool


@dataclass(frozen=True)
class Transfer:
    """The outcome of an upload or download: bytes moved and the digests computed locally."""

    size: int
    md5: str
    sha1: str
    sha256: str
    #: Bytes that were already in place from an earlier, interrupted download.
    resumed_from: int = 0
