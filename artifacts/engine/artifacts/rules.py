"""The rules a created or patched artifact must meet before it is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db import repository as repo
from artifacts.db import rows
from artifacts.engine.context import RequestContext
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.engine.versions import stamp
from artifacts.errors import (
    DuplicateArtifact,
    InvalidInput,
    InvalidValue,
    ReadOnlyField,
    UnknownField,
)
from artifacts.model import fields as f
from artifacts.model.base import BaseArtifact


def check_writable_on_create(fields: Mapping[str, f.Field], name: str, value: Any) -> None:
    """Refuse a field a creating request may not set: unknown, the server's, a blob, a state."""
    field = fields.get(name)
    if field is None:
        raise UnknownField(f"Unknown field {name!r}.")
    if field.system:
        raise ReadOnlyField(f"Field {name!r} is set by the server.")
    if field.is_blob:
        raise InvalidInput(f"Blob field {name!r} is uploaded with PUT on its own path.")
    if name in ("status", "visibility"):
        raise InvalidInput(
            f"{name} is not allowed in a request at creation: an artifact starts drafted "
            "and private; change it with PATCH."
        )


def check_links(
    session: Session,
    ctx: RequestContext,
    types: TypeRegistry,
    artifact_type: ArtifactType,
    obj: BaseArtifact,
    *,
    names: Iterable[str],
) -> None:
    """Refuse links to artifacts that do not exist or that the caller cannot see."""
    for name in names:
        field = artifact_type.fields[name]
        value = getattr(obj, name)
        for target in field.links(value):
            _, _, link_type, link_id = target.split("/")
            if link_type not in types:
                raise InvalidValue(f"Field {name!r} links to unknown type {link_type!r}.")
            linked = repo.get_visible(
                session,
                link_id,
                type_name=link_type,
                project_id=ctx.project_id,
                is_admin=ctx.is_admin,
            )
            if linked is None:
                raise InvalidValue(f"Field {name!r} links to {target}, which does not exist.")


def check_public_name(
    session: Session, type_name: str, artifact_id: str, obj: BaseArtifact
) -> None:
    """A public artifact's name and version are unique among the type's public artifacts.

    Every project sees public artifacts, so two with one name and version would make
    ``name=…&version=…`` ambiguous for all of them (Glare's public scope).
    """
    name, version = getattr(obj, "name"), getattr(obj, "version")  # noqa: B009
    if repo.public_name_taken(session, type_name, name, version, artifact_id):
        raise DuplicateArtifact(
            f"A public {type_name} artifact named {name!r} with version {version} already exists."
        )


def build(cls: type[BaseArtifact], values: Mapping[str, Any]) -> BaseArtifact:
    """Coerce validated values through the versioned object (e.g. '1' becomes '1.0.0')."""
    obj = cls()
    for name, value in values.items():
        try:
            setattr(obj, name, value)
        except (ValueError, TypeError) as exc:
            raise InvalidValue(f"Invalid value for {name!r}: {exc}") from None
    return obj


def row_values(artifact_type: ArtifactType, obj: BaseArtifact) -> dict[str, Any]:
    """The columns storing an artifact at its type's current schema version."""
    values = rows.row_values(artifact_type.name, obj.to_values(), artifact_type.fields)
    values.update(stamp(artifact_type, values["properties"]))
    return values
