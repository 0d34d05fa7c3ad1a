"""URL paths of the API, built in one place with every segment escaped."""

from __future__ import annotations

from urllib.parse import quote

from artifacts_client.models import Artifact

#: The pseudo-type that lists and shows artifacts of every type.
ALL_TYPES = "all"

#: An artifact given by object, or as (type name, id).
ArtifactLike = Artifact | tuple[str, str]


def split(artifact: ArtifactLike) -> tuple[str, str]:
    """(type name, id) of an artifact given either way."""
    if isinstance(artifact, Artifact):
        if not artifact.type_name:
            raise ValueError(f"{artifact!r} does not say its type; pass (type_name, id)")
        return artifact.type_name, artifact.id
    return artifact


def artifact_path(type_name: str, artifact_id: str | None = None, *rest: str) -> str:
    parts = ["artifacts", type_name, *([artifact_id] if artifact_id else []), *rest]
    return "/" + "/".join(quote(part, safe="") for part in parts)


def blob_path(artifact: ArtifactLike, field: str, key: str | None = None) -> str:
    type_name, artifact_id = split(artifact)
    return artifact_path(type_name, artifact_id, field, *([key] if key else []))
