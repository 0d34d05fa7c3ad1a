"""The type registry: which artifact types this deployment serves.

Types come from the ``artifacts.types`` entry-point group, so a third-party package adds a type by
declaring an entry point, with no change here. Configuration may narrow the set. A broken or
duplicate type stops start-up with a message naming the plugin, rather than failing on first use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from artifacts.errors import Forbidden, TypeNotFound, TypeRegistrationError
from artifacts.model._ovo import ovo_base
from artifacts.model.base import COMMON_FIELDS, DOCUMENT_ORDER, BaseArtifact
from artifacts.model.fields import Field
from artifacts.model.hooks import HOOK_NAMES
from artifacts.model.schema import DocumentValidator, type_schema
from artifacts.model.versions import SchemaHistory

ENTRY_POINT_GROUP = "artifacts.types"
ALL_TYPES = "all"

_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SCHEMA_VERSION = re.compile(r"^\d+\.\d+$")


@dataclass(frozen=True)
class ArtifactType:
    """A prepared type: its class, published schema and compiled validator."""

    name: str
    cls: type[BaseArtifact]
    schema: Mapping[str, Any]
    validator: DocumentValidator
    #: The hooks the type overrides; the engine skips the others without building a context.
    hooks: frozenset[str] = frozenset()
    #: Its schema versions and the plugin's migrations between them.
    history: SchemaHistory | None = None

    @cached_property
    def fields(self) -> dict[str, Field]:
        """Every field, common ones first; built once (each request reads it several times)."""
        return self.cls.declared_fields()

    @cached_property
    def own_fields(self) -> tuple[tuple[str, Field], ...]:
        """The type's own fields (not the common ones), in declaration order."""
        return tuple(
            (name, field) for name, field in self.fields.items() if name not in COMMON_FIELDS
        )

    @cached_property
    def blob_fields(self) -> dict[str, Field]:
        """The type's blob and blob-dict fields, the only ones its blob rows fill."""
        return {name: field for name, field in self.fields.items() if field.is_blob}

    @cached_property
    def document_order(self) -> tuple[str, ...]:
        """The order of an artifact document's fields: the type's own, then the common ones,
        as Glare writes them."""
        return (*(name for name, _ in self.own_fields), *DOCUMENT_ORDER)

    @property
    def version(self) -> str:
        return self.cls.VERSION

    @property
    def display_name(self) -> str:
        return self.cls.DISPLAY_NAME or self.name

    @cached_property
    def schema_history(self) -> SchemaHistory:
        return self.history or SchemaHistory(self.version, ())


class TypeRegistry:
    """Look up enabled types by URL name."""

    def __init__(self, types: Iterable[type[BaseArtifact]]) -> None:
        self._types: dict[str, ArtifactType] = {}
        for cls in types:
            prepared = prepare_type(cls)
            if prepared.name in self._types:
                other = self._types[prepared.name].cls
                raise TypeRegistrationError(
                    f"Artifact type {prepared.name!r} is declared twice: by "
                    f"{_qualname(other)} and by {_qualname(cls)}"
                )
            self._types[prepared.name] = prepared

    def get(self, name: str) -> ArtifactType:
        """Return the type or raise :class:`TypeNotFound`."""
        try:
            return self._types[name]
        except KeyError:
            raise TypeNotFound(f"Artifact type {name!r} is not available.") from None

    def writable(self, name: str) -> ArtifactType:
        """Return the type to change an artifact of; ``all`` is a read-only view (403)."""
        if name == ALL_TYPES:
            raise Forbidden("This type is read only.")
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[ArtifactType]:
        return iter(sorted(self._types.values(), key=lambda t: t.name))

    def names(self) -> list[str]:
        return sorted(self._types)

    @classmethod
    def from_entry_points(cls, enabled: Iterable[str] | None = None) -> TypeRegistry:
        """Load types from installed plugins, keeping only ``enabled`` ones when given."""
        return cls(discover_types(enabled))


def discover_types(enabled: Iterable[str] | None = None) -> list[type[BaseArtifact]]:
    """Import the type classes that installed plugins declare in the ``artifacts.types`` group."""
    wanted = None if enabled is None else set(enabled)
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if wanted is not None and ep.name not in wanted:
            continue
        if ep.name in found and found[ep.name].value != ep.value:
            raise TypeRegistrationError(
                f"Artifact type {ep.name!r} is registered by two plugins: "
                f"{found[ep.name].value} and {ep.value}"
            )
        found[ep.name] = ep
    if wanted is not None:
        missing = wanted - set(found)
        if missing:
            raise TypeRegistrationError(
                f"Enabled artifact types {sorted(missing)} are not installed "
                f"(no '{ENTRY_POINT_GROUP}' entry point provides them)"
            )
    classes = []
    for name, ep in sorted(found.items()):
        try:
            loaded = ep.load()
        except Exception as exc:
            raise TypeRegistrationError(
                f"Artifact type plugin {name!r} ({ep.value}) failed to import: {exc}"
            ) from exc
        if not (isinstance(loaded, type) and issubclass(loaded, BaseArtifact)):
            raise TypeRegistrationError(
                f"Entry point {name!r} ({ep.value}) does not point at a BaseArtifact subclass"
            )
        if name != loaded.TYPE:
            raise TypeRegistrationError(
                f"Entry point {name!r} points at a class whose TYPE is {loaded.TYPE!r}"
            )
        classes.append(loaded)
    return classes


#: Path segments after an artifact's id that are sub-resources, not blob fields.
RESERVED_BLOB_NAMES = frozenset({"members"})


def prepare_type(cls: type[BaseArtifact]) -> ArtifactType:
    """Check a type declaration and make it a usable versioned object class."""
    where = _qualname(cls)
    if not _TYPE_NAME.match(cls.TYPE or "") or cls.TYPE == ALL_TYPES:
        raise TypeRegistrationError(
            f"{where}: TYPE {cls.TYPE!r} must be lowercase letters, digits and underscores "
            f"(and not {ALL_TYPES!r})"
        )
    if not _SCHEMA_VERSION.match(str(cls.VERSION)):
        raise TypeRegistrationError(f"{where}: VERSION {cls.VERSION!r} must look like '1.0'")
    for name in sorted(cls.MUTABLE_COMMON_FIELDS):
        if name not in COMMON_FIELDS or COMMON_FIELDS[name].system:
            raise TypeRegistrationError(
                f"{where}: MUTABLE_COMMON_FIELDS names {name!r}, which is not a common field "
                "that clients write"
            )
    own = dict(vars(cls).get("fields", {}))
    for name, fld in own.items():
        if name in COMMON_FIELDS and fld is not COMMON_FIELDS[name]:
            raise TypeRegistrationError(f"{where}: field {name!r} redefines a common field")
        if "__" in name:
            raise TypeRegistrationError(f"{where}: field name {name!r} must not contain '__'")
        if not _FIELD_NAME.match(name):
            raise TypeRegistrationError(
                f"{where}: field name {name!r} must be lowercase letters, digits and underscores"
            )
        if not isinstance(fld, Field):
            raise TypeRegistrationError(
                f"{where}: field {name!r} must be declared with a field kind from artifacts.plugin"
            )
        if name in RESERVED_BLOB_NAMES and fld.is_blob:
            raise TypeRegistrationError(
                f"{where}: blob field {name!r} would be unreachable: "
                f"/artifacts/{{type}}/{{id}}/{name} is the {name} API; choose another name"
            )
    ovo_base.VersionedObjectRegistry.objectify(cls)
    try:
        schema = type_schema(cls)
        validator = DocumentValidator(schema)
    except Exception as exc:
        raise TypeRegistrationError(
            f"{where}: its fields do not form a valid schema: {exc}"
        ) from exc
    try:
        history = SchemaHistory(str(cls.VERSION), tuple(cls.MIGRATIONS))
    except ValueError as exc:
        raise TypeRegistrationError(f"{where}: MIGRATIONS: {exc}") from exc
    hooks = frozenset(
        name for name in HOOK_NAMES if getattr(cls, name) is not getattr(BaseArtifact, name)
    )
    return ArtifactType(
        name=cls.TYPE,
        cls=cls,
        schema=schema,
        validator=validator,
        hooks=hooks,
        history=history,
    )


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
