"""Database models.

One ``artifacts`` table serves every type (see docs/adr/0001-artifact-storage.md): the common
fields are real, indexed columns; the fields a plugin adds live in one ``properties`` JSON document
(JSONB on PostgreSQL), which both databases can filter and sort on with JSON path expressions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names let Alembic alter them on both SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSONB on PostgreSQL (indexable with GIN, containment operators); plain JSON text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

#: Marks an index that exists only on PostgreSQL (and, with "extension", only where that
#: extension is installed); the migration environment skips it elsewhere when it compares.
POSTGRESQL_ONLY = "postgresql_only"
EXTENSION = "extension"


def _gin(name: str, column: str, opclass: str, **info: str) -> Index:
    """A PostgreSQL GIN index; see migration 0005 for why these exist."""
    return Index(
        name,
        column,
        postgresql_using="gin",
        postgresql_ops={column: opclass},
        info={POSTGRESQL_ONLY: True, **info},
    ).ddl_if(dialect="postgresql")


#: Version sort keys compare bytewise; PostgreSQL needs the "C" collation for that.
SortKey = String(1024).with_variant(String(1024, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ArtifactRow(Base):
    __tablename__ = "artifacts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type_name: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(255))
    # SemVer precedence as a bytewise-sortable string: ORDER BY and range filters become plain
    # index scans (artifacts.model.semver.sort_key).
    version_key: Mapped[str] = mapped_column(SortKey)
    owner: Mapped[str] = mapped_column(String(255))
    visibility: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONDocument)
    # "metadata" is reserved by SQLAlchemy's declarative base, hence the attribute name.
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONDocument)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped by every update; an optimistic check for clients (ETag / If-Match).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The type's schema VERSION ``properties`` was written with (NULL: before versions were
    # recorded, i.e. the type's first version); older rows are upgraded on read and write.
    type_version: Mapped[str | None] = mapped_column(String(16))
    # ``properties`` as the type's previous version reads them, so nodes still running the
    # previous plugin keep reading rows written by the new one during a rolling upgrade.
    backport_version: Mapped[str | None] = mapped_column(String(16))
    backport: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)

    __table_args__ = (
        UniqueConstraint("type_name", "owner", "name", "version"),
        Index("ix_artifacts_type_name_version", "type_name", "name", "version_key", "id"),
        Index("ix_artifacts_type_created", "type_name", "created_at", "id"),
        Index("ix_artifacts_type_updated", "type_name", "updated_at", "id"),
        Index("ix_artifacts_owner", "owner", "type_name"),
        Index("ix_artifacts_visibility", "visibility", "type_name"),
        Index("ix_artifacts_created", "created_at", "id"),
        # Start-up's census of stored schema versions, and migrate-types' batches.
        Index("ix_artifacts_type_version", "type_name", "type_version", "backport_version"),
        # Containment (@>) for tag, dict-value and type-field equality filters, every type.
        _gin("ix_artifacts_tags_gin", "tags", "jsonb_path_ops"),
        _gin("ix_artifacts_metadata_gin", "metadata", "jsonb_path_ops"),
        _gin("ix_artifacts_properties_gin", "properties", "jsonb_path_ops"),
        # name=like:%…% (ILIKE), where pg_trgm is installed.
        _gin("ix_artifacts_name_trgm", "name", "gin_trgm_ops", **{EXTENSION: "pg_trgm"}),
    )


class BlobRow(Base):
    """One blob field value (or one blob-dict entry) of an artifact.

    The row always points at the last complete data (``store``/``location``, or
    ``external_url``). An upload in flight is recorded beside it in the ``pending_*`` columns,
    so a crash mid-upload loses neither the old data nor the location of the partial new data,
    which the sweeper removes once the upload's lease has lapsed: ``pending_started_at`` is
    set when the upload starts and renewed by the uploading process while it lives
    (``artifacts.engine.uploads``).
    """

    __tablename__ = "blobs"

    artifact_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    # "" for a plain blob field; the entry's name for a blob dict.
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    size: Mapped[int | None] = mapped_column(BigInteger)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(255))
    store: Mapped[str | None] = mapped_column(String(63))
    location: Mapped[str | None] = mapped_column(String(1024))
    external_url: Mapped[str | None] = mapped_column(Text)
    pending_upload_id: Mapped[str | None] = mapped_column(String(36))
    pending_store: Mapped[str | None] = mapped_column(String(63))
    pending_location: Mapped[str | None] = mapped_column(String(1024))
    pending_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Bytes the pending upload holds against its project's quotas (``quota_usage.reserved``);
    # whoever ends the upload (commit, abort, a takeover of a lapsed lease) releases them.
    pending_reserved: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_blobs_pending_started_at", "pending_started_at"),)


class OrphanRow(Base):
    """Blob data that could not be deleted when it stopped being referenced.

    ``artifacts scrub`` retries these deletions; until then nothing is forgotten.
    """

    __tablename__ = "orphans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    store: Mapped[str] = mapped_column(String(63))
    location: Mapped[str] = mapped_column(String(1024))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class UploadSessionRow(Base):
    """A resumable upload to one blob: where its bytes go, how many have arrived, until when.

    The bytes received so far sit in the store's resumable area under ``location``; nothing
    names them as blob data until the last byte has arrived and the upload is promoted like any
    other (``status`` then turns ``complete``, and the row stays until it expires so a client
    that lost the answer can still ask for the offset). ``reserved`` bytes of the declared
    length are held against the owner's quotas while the session lives. A request appending
    bytes holds ``patch_token`` with a lease (``patch_renewed_at``), so two appends never write
    at once; a lease older than the upload lease belongs to a process that died.
    """

    __tablename__ = "upload_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type_name: Mapped[str] = mapped_column(String(63))
    artifact_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("artifacts.id", ondelete="CASCADE")
    )
    field: Mapped[str] = mapped_column(String(63))
    key: Mapped[str] = mapped_column(String(255))
    #: The project that created the session: the only one that may see or touch it.
    project: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str] = mapped_column(String(255))
    #: receiving | complete
    status: Mapped[str] = mapped_column(String(16))
    store: Mapped[str] = mapped_column(String(63))
    location: Mapped[str] = mapped_column(String(1024))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(255))
    upload_metadata: Mapped[str | None] = mapped_column(Text)
    patch_token: Mapped[str | None] = mapped_column(String(36))
    patch_renewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: tus (bytes sent through the service) | direct (parts sent to S3 with presigned URLs)
    kind: Mapped[str] = mapped_column(String(16), default="tus", server_default="tus")
    #: A direct upload's S3 multipart upload id, its part size and the sha256 its client
    #: declared (checked at commit).
    remote_id: Mapped[str | None] = mapped_column(String(1024))
    part_size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_upload_sessions_expires_at", "expires_at"),
        Index("ix_upload_sessions_artifact_id", "artifact_id"),
    )


class ContentRow(Base):
    """Blob data as the store holds it: one object per content, shared by every blob naming it.

    A blob names its data by ``(store, location)``; ``refs`` counts the blobs that do. An
    upload whose bytes equal stored content (same sha256 and size in the same store) takes a
    reference to it instead of keeping its own copy. When ``refs`` falls to 0 the data is
    removed at once, or, with a delete delay, ``unreferenced_at`` is set and ``artifacts gc``
    removes it once the delay has passed (an upload of the same bytes meanwhile revives it).
    """

    __tablename__ = "contents"

    store: Mapped[str] = mapped_column(String(63), primary_key=True)
    location: Mapped[str] = mapped_column(String(1024), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    refs: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    unreferenced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_contents_store_sha256", "store", "sha256", "size"),
        Index("ix_contents_unreferenced_at", "unreferenced_at"),
    )


class QuotaRow(Base):
    """Limits set by an administrator for one project (or ``*``, every project's default).

    ``type_name`` is ``""`` for limits on the project as a whole, or a type's name for limits
    on that type alone; NULL leaves a limit unset (the default's, or none).
    """

    __tablename__ = "quotas"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    max_artifacts: Mapped[int | None] = mapped_column(BigInteger)
    max_bytes: Mapped[int | None] = mapped_column(BigInteger)
    max_blob_size: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class QuotaUsageRow(Base):
    """What a project uses, kept exact by the transactions that change it.

    One row per (project, type) and one with ``type_name`` ``""`` for the project's total.
    ``bytes`` counts committed blob data (logical sizes: every artifact's own blobs, however
    the store keeps them); ``reserved`` counts bytes that uploads in flight hold. A write
    raises a counter with ``UPDATE … WHERE counter + n <= limit``, which takes the row's lock
    on PostgreSQL and the database's write lock on SQLite, so concurrent writers on any node
    can never overshoot a limit together.
    """

    __tablename__ = "quota_usage"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    artifacts: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)


class StoredObjectRow(Base):
    """An object of the ``database`` blob store driver; readable once ``committed``."""

    __tablename__ = "stored_objects"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    committed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class StoredChunkRow(Base):
    """One fixed-size piece of a database-stored object, in order by ``seq``."""

    __tablename__ = "stored_chunks"

    key: Mapped[str] = mapped_column(
        String(512), ForeignKey("stored_objects.key", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class MemberRow(Base):
    """A project an artifact is shared with, and what that project answered.

    The owner creates the row (``pending``); only the member project moves it to ``accepted``
    or ``rejected``. Whether a membership makes the artifact visible depends on the artifact's
    visibility, decided in one place: ``artifacts.db.visibility.visible_to``.
    """

    __tablename__ = "artifact_members"

    artifact_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    # Lists ask "which artifacts has this project accepted?": project first, then status.
    __table_args__ = (Index("ix_artifact_members_project_id", "project_id", "status"),)


class TokenRow(Base):
    """An API token of the ``tokens`` authentication mode.

    Only the SHA-256 of the secret is kept: the secret is 256 random bits, so a fast hash is
    enough (nothing to brute-force) and a stolen table authenticates nobody.
    """

    __tablename__ = "api_tokens"

    #: Public handle for listing and revoking; also the prefix of the token string.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSONDocument)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_api_tokens_project_id", "project_id"),)


class TaskRow(Base):
    """A job for ``artifacts worker``: an import into an artifact's blob, and its outcome.

    The queue is this table: a worker claims the oldest runnable row (``pending`` and due, or
    ``processing`` with a lapsed lease) by setting ``lease_owner`` and ``lease_expires_at``
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), renews the lease while it works and records the
    result. The caller's identity is kept so the worker acts with exactly their rights.
    """

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    #: pending → processing → success | failure (a retry goes back to pending).
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSONDocument)
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: The artifact the task works on (no foreign key: a task outlives a deleted artifact).
    type_name: Mapped[str | None] = mapped_column(String(63))
    artifact_id: Mapped[str | None] = mapped_column(String(36))
    input: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    message: Mapped[str] = mapped_column(Text, default="")
    #: Bytes transferred so far by the running attempt.
    progress: Mapped[int] = mapped_column(BigInteger, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # The claim's scan: runnable rows in due order.
        Index("ix_tasks_status_run_after", "status", "run_after"),
        Index("ix_tasks_artifact_id", "artifact_id", "created_at"),
        Index("ix_tasks_owner_created", "owner", "created_at", "id"),
    )


class StagedDataRow(Base):
    """Data staged for an artifact's blob (Glance's ``glance-direct``), awaiting its import.

    The bytes are in a store under their own key; the import task copies them into the blob
    through the ordinary upload, then removes them.
    """

    __tablename__ = "staged_data"

    artifact_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    store: Mapped[str] = mapped_column(String(63))
    location: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BlobCopyRow(Base):
    """A further copy of a blob's data in another store (Glance's ``copy-image``).

    The blob row names the data's first store; each copy names one more that holds the same
    bytes. A copy is valid while the blob still points at the data it was copied from
    (``source_location``); it goes, data and all, with the artifact.
    """

    __tablename__ = "blob_copies"

    artifact_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    store: Mapped[str] = mapped_column(String(63), primary_key=True)
    location: Mapped[str] = mapped_column(String(1024))
    source_location: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
