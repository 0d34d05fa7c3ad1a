"""The base artifact type every plugin type extends.

A type is an oslo.versionedobjects class: ``VERSION`` is the type's schema version, ``fields`` its
declarations. Plugin classes list only their own fields; the common ones below are merged in when
the registry prepares the class (not at import, so importing a plugin has no side effects).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

from artifacts.model import fields as f
from artifacts.model import lifecycle
from artifacts.model import validators as v
from artifacts.model._ovo import ovo_base
from artifacts.model.hooks import BlobEvent, HookContext
from artifacts.model.versions import Migration


def _common_fields() -> dict[str, f.Field]:
    return {
        "id": f.String(
            system=True,
            sortable=True,
            nullable=False,
            validators=[v.UUID()],
            max_length=36,
            description="Artifact UUID, assigned by the server.",
        ),
        "name": f.String(
            nullable=False,
            sortable=True,
            validators=[v.MinLength(1)],
            filter_ops=(*f.EQUALITY_OPS, f.LIKE_OP),
            description="Artifact name; unique with version per owner and type; "
            "search with name=like:cirros% ('%' matches any run of characters).",
        ),
        "version": f.Version(
            nullable=False,
            sortable=True,
            default="0.0.0",
            description="Semantic version (SemVer 2.0); '1' is read as '1.0.0'.",
        ),
        "owner": f.String(
            system=True,
            sortable=True,
            nullable=False,
            description="Project that owns the artifact.",
        ),
        "visibility": f.String(
            mutable=True,
            sortable=True,
            nullable=False,
            default=lifecycle.PRIVATE,
            validators=[v.AllowedValues(lifecycle.VISIBILITIES)],
            description="Who can see the artifact.",
        ),
        "status": f.String(
            mutable=True,
            sortable=True,
            nullable=False,
            default=lifecycle.DRAFTED,
            validators=[v.AllowedValues(lifecycle.STATUSES)],
            description="Lifecycle state; change it with a PATCH of /status.",
        ),
        "description": f.String(
            mutable=True,
            max_length=4096,
            default="",
            filter_ops=(),
            description="Free-form description.",
        ),
        "tags": f.List(
            f.String(max_length=255, validators=[v.MinLength(1), v.Regex(r"^[^,/]+$")]),
            mutable=True,
            unique=True,
            collapse_duplicates=True,
            max_items=255,
            # Filtered by their own syntax (tags=a,b / tags-any=a,b), not by operators.
            filter_ops=(),
            description="Labels (no ',' or '/'); filter with tags=a,b (all) or tags-any=a,b.",
        ),
        "metadata": f.Dict(
            f.String(max_length=255, validators=[v.MinLength(1)]),
            max_keys=255,
            description="String key/value pairs; filter with metadata.<key>=<op>:<value>.",
        ),
        "created_at": f.DateTime(
            system=True, sortable=True, nullable=False, description="Creation time (UTC)."
        ),
        "updated_at": f.DateTime(
            system=True, sortable=True, nullable=False, description="Last change (UTC)."
        ),
        "activated_at": f.DateTime(
            system=True, sortable=True, description="First activation time (UTC)."
        ),
    }


COMMON_FIELDS: Mapping[str, f.Field] = _common_fields()
#: The common fields in the order Glare writes them, after a type's own fields: clients print
#: a document's fields in the order they arrive (glareclient's tables).
DOCUMENT_ORDER: tuple[str, ...] = (
    "id",
    "name",
    "owner",
    "status",
    "created_at",
    "updated_at",
    "activated_at",
    "description",
    "tags",
    "metadata",
    "visibility",
    "version",
)

#: The read-only field every artifact document carries: its type's display name, which lists
#: filter and sort by as Glare's do (``display_type_name=like:Heat%``).
DISPLAY_TYPE_NAME_FIELD = f.String(
    system=True,
    sortable=True,
    filter_ops=(f.LIKE_OP, *f.EQUALITY_OPS),
    description="Display name of artifact type.",
)

#: The fields of the ``all`` pseudo-type, which lists every type: the common ones and the type.
ALL_TYPE_FIELDS: Mapping[str, f.Field] = {
    **COMMON_FIELDS,
    "type_name": f.String(
        system=True,
        sortable=True,
        nullable=False,
        filter_ops=(*f.EQUALITY_OPS, f.LIKE_OP),
        description="Type of the artifact.",
    ),
}


class BaseArtifact(ovo_base.VersionedObject):
    """Subclass this to declare an artifact type."""

    OBJ_PROJECT_NAMESPACE = "artifacts"

    #: URL name of the type, e.g. ``images`` in ``/artifacts/images``.
    TYPE: ClassVar[str] = ""
    #: Human-readable name shown in schemas and catalogs.
    DISPLAY_NAME: ClassVar[str] = ""
    #: Schema version of the type's field set (oslo.versionedobjects' VERSION).
    VERSION = "1.0"
    #: Steps from each earlier schema version to the next, oldest first (see model.versions).
    MIGRATIONS: ClassVar[Sequence[Migration]] = ()
    #: Ceiling on the bytes of all blobs of one artifact together (None: fields' limits only).
    MAX_TOTAL_BLOB_SIZE: ClassVar[int | None] = None

    #: Common fields that stay changeable after activation for this type (``name`` for images,
    #: which Glance lets its users rename); system fields cannot be listed.
    MUTABLE_COMMON_FIELDS: ClassVar[frozenset[str]] = frozenset()

    fields = dict(COMMON_FIELDS)  # noqa: RUF012 - OVO declares fields as a class-level mapping

    @classmethod
    def declared_fields(cls) -> dict[str, f.Field]:
        """Return every field of the type, common ones first."""
        common = dict(COMMON_FIELDS)
        for name in cls.MUTABLE_COMMON_FIELDS:
            if name in common and not common[name].mutable:
                changeable = copy.copy(common[name])
                changeable.mutable = True
                common[name] = changeable
        own = {
            name: fld
            for name, fld in cast(Mapping[str, f.Field], cls.fields).items()
            if name not in common
        }
        return {**common, **own}

    @classmethod
    def type_fields(cls) -> dict[str, f.Field]:
        """Return the fields the plugin adds on top of the common ones."""
        declared = cast(Mapping[str, f.Field], cls.fields)
        return {name: fld for name, fld in declared.items() if name not in COMMON_FIELDS}

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> BaseArtifact:
        """Build an object from stored values without marking anything as changed."""
        obj = cls()
        for name, field in cls.declared_fields().items():
            value = values.get(name, field.initial_value())
            setattr(obj, name, value)
        obj.obj_reset_changes()
        return obj

    def to_values(self) -> dict[str, Any]:
        """Return the field values as plain Python values (datetimes stay datetimes)."""
        return {
            name: getattr(self, name) if self.obj_attr_is_set(name) else None
            for name in self.declared_fields()
        }

    def to_json(self) -> dict[str, Any]:
        """Render the artifact as the API shows it."""
        out: dict[str, Any] = {}
        for name, field in self.declared_fields().items():
            value = getattr(self, name) if self.obj_attr_is_set(name) else None
            out[name] = field.to_json(value)
        return out

    # --- hooks (see artifacts.model.hooks); the defaults do nothing and cost nothing --------

    def before_create(self, hook: HookContext) -> None:
        """Refuse a new artifact (``self``) before it is stored."""

    def after_create(self, hook: HookContext) -> None:
        """React to a stored new artifact."""

    def before_update(self, hook: HookContext) -> None:
        """Refuse a change (``hook.changed``) before it is written; ``self`` is the result."""

    def after_update(self, hook: HookContext) -> None:
        """React to a committed change."""

    def before_activate(self, hook: HookContext) -> None:
        """Refuse activation (or reactivation) of the artifact."""

    def after_activate(self, hook: HookContext) -> None:
        """React to a committed activation."""

    def before_deactivate(self, hook: HookContext) -> None:
        """Refuse deactivation of the artifact."""

    def after_deactivate(self, hook: HookContext) -> None:
        """React to a committed deactivation."""

    def before_publish(self, hook: HookContext) -> None:
        """Refuse making the artifact public."""

    def after_publish(self, hook: HookContext) -> None:
        """React to the artifact having become public."""

    def before_upload(self, hook: HookContext, blob: BlobEvent) -> None:
        """Refuse an upload into ``blob.field`` before any byte is read."""

    def after_upload(self, hook: HookContext, blob: BlobEvent) -> None:
        """React to a blob that became active."""

    def before_download(self, hook: HookContext, blob: BlobEvent) -> None:
        """Refuse a download of ``blob.field``."""

    def after_download(self, hook: HookContext, blob: BlobEvent) -> None:
        """React to a download that was allowed and opened (not to its last byte being sent)."""

    def before_delete(self, hook: HookContext) -> None:
        """Refuse deleting the artifact (``self``, as it is)."""

    def after_delete(self, hook: HookContext) -> None:
        """React to a committed deletion."""
