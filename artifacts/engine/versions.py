"""Rows of older and newer schema versions: upgrade on read and write, backports, migration.

- A row written at an older version is upgraded through the plugin's migrations whenever it is
  read; any write stores it at the current version (with a backport for the previous one).
- A row written by a newer plugin (a node upgraded before this one) is read through the
  backport it carries for this version. This node does not write it: the change is refused
  with a 409 that says to retry on an upgraded node, since writing it at this version would
  drop what only the newer version knows.
- :func:`check_stored_versions` refuses to start a plugin older than rows it cannot read.
- :func:`migrate_types` rewrites old rows in bounded, resumable batches, online.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from artifacts.db import rows, type_versions
from artifacts.db.models import ArtifactRow
from artifacts.db.reads import ArtifactRecord
from artifacts.db.session import Database
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.errors import ArtifactError, InvalidInput, NewerSchema, TypeRegistrationError
from artifacts.model.base import COMMON_FIELDS
from artifacts.model.versions import UnknownSchemaVersion, version_tuple

Row = ArtifactRow | ArtifactRecord


def readable_properties(artifact_type: ArtifactType, row: Row) -> dict[str, Any]:
    """The row's type-specific values at this node's version of the type."""
    properties = row.properties or {}
    stored = row.type_version
    history = artifact_type.schema_history
    if stored == artifact_type.version or history.effective(stored) == artifact_type.version:
        return properties  # the common case, and rows of a type that never changed: as stored
    if history.is_newer(stored):
        if row.backport_version == artifact_type.version and row.backport is not None:
            return row.backport
        return properties  # no backport: the fields both versions share still read right
    try:
        upgraded = history.upgrade(_plain(properties), stored)
    except UnknownSchemaVersion:
        return properties
    return with_sort_keys(artifact_type, upgraded)


def writable_properties(artifact_type: ArtifactType, row: Row) -> dict[str, Any]:
    """Like :func:`readable_properties`, refusing rows a newer plugin wrote."""
    if artifact_type.schema_history.is_newer(row.type_version):
        raise NewerSchema(
            f"Artifact {row.id} was written by version {row.type_version} of the "
            f"{artifact_type.name} type; this server runs version {artifact_type.version} and "
            "cannot change it without losing data. Retry on an upgraded server."
        )
    return readable_properties(artifact_type, row)


def stamp(artifact_type: ArtifactType, properties: Mapping[str, Any]) -> dict[str, Any]:
    """The version columns of a row whose ``properties`` are at the current version."""
    backport = artifact_type.schema_history.backport(_plain(properties))
    return {
        "type_version": artifact_type.version,
        "backport_version": backport[0] if backport else None,
        "backport": backport[1] if backport else None,
    }


def with_sort_keys(artifact_type: ArtifactType, values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored values plus the hidden sort keys of their Version fields."""
    fields = artifact_type.fields
    known = {
        name: value
        for name, value in values.items()
        if name in fields and name not in COMMON_FIELDS and not fields[name].is_blob
    }
    return rows.property_values(fields, known)


def _plain(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The field values a migration step sees: no hidden sort keys."""
    return {name: value for name, value in properties.items() if "__" not in name}


# --- start-up ----------------------------------------------------------------------------------


def check_stored_versions(database: Database, types: TypeRegistry) -> None:
    """Refuse to serve a type whose stored rows this plugin version can neither read nor write."""
    with database.read() as session:
        counts = type_versions.census(session)
    problems = []
    for count in counts:
        if count.type_name not in types:
            continue
        artifact_type = types.get(count.type_name)
        history = artifact_type.schema_history
        if not history.is_newer(count.type_version):
            if _reachable(artifact_type, count.type_version):
                continue
            problems.append(
                f"{count.count} {count.type_name} artifacts were written at version "
                f"{count.type_version}, from which the installed plugin (version "
                f"{artifact_type.version}) declares no migration: install a plugin release "
                "whose MIGRATIONS start at that version."
            )
            continue
        if count.backport_version == artifact_type.version:
            continue  # written during a rolling upgrade, with a backport for this version
        problems.append(
            f"{count.count} {count.type_name} artifacts were written by version "
            f"{count.type_version} of the type's plugin, newer than the installed "
            f"{artifact_type.version}, and carry no backport to it: upgrade the package "
            f"providing {count.type_name} ({_module(artifact_type)}) to version "
            f"{count.type_version} or later on this node."
        )
    if problems:
        raise TypeRegistrationError(" ".join(problems))


def _reachable(artifact_type: ArtifactType, stored: str | None) -> bool:
    try:
        artifact_type.schema_history.upgrade({}, stored)
    except UnknownSchemaVersion:
        return False
    except Exception:
        return True
    return True


def _module(artifact_type: ArtifactType) -> str:
    return artifact_type.cls.__module__.split(".")[0]


# --- migrate-types -----------------------------------------------------------------------------


@dataclass
class TypeMigration:
    """What ``migrate-types`` did (or, dry, would do) for one type."""

    type_name: str
    version: str
    #: Rows by the version they were found at ("none" for rows without a recorded version).
    found: dict[str, int] = field(default_factory=dict)
    upgraded: int = 0
    #: Rows whose upgrade failed or did not validate, with the first reasons.
    failed: int = 0
    reasons: list[str] = field(default_factory=list)
    #: Rows written by a newer plugin, left alone.
    newer: int = 0


def migrate_types(
    database: Database,
    types: TypeRegistry,
    *,
    only: Iterable[str] | None = None,
    batch_size: int = 500,
    dry_run: bool = False,
) -> list[TypeMigration]:
    """Upgrade stored rows to their type's current version, one short transaction per batch."""
    if batch_size < 1:
        raise InvalidInput("The batch size must be at least 1.")
    wanted = list(only) if only else types.names()
    for name in wanted:
        types.get(name)
    with database.read() as session:
        counts = type_versions.census(session)
    reports = []
    for name in wanted:
        artifact_type = types.get(name)
        report = TypeMigration(name, artifact_type.version)
        stale: list[str | None] = []
        for count in counts:
            if count.type_name != name or count.type_version == artifact_type.version:
                continue
            report.found[count.type_version or "none"] = (
                report.found.get(count.type_version or "none", 0) + count.count
            )
            if artifact_type.schema_history.is_newer(count.type_version):
                report.newer += count.count
            elif count.type_version not in stale:
                stale.append(count.type_version)
        if stale:
            _migrate_rows(
                database, artifact_type, stale, report, batch_size=batch_size, dry_run=dry_run
            )
        reports.append(report)
    return reports


def _migrate_rows(
    database: Database,
    artifact_type: ArtifactType,
    stale: list[str | None],
    report: TypeMigration,
    *,
    batch_size: int,
    dry_run: bool,
) -> None:
    after_id = ""
    while True:
        with database.write() as session:
            rows = type_versions.stale_batch(
                session,
                artifact_type.name,
                stale,
                after_id=after_id,
                limit=batch_size,
                for_update=database.locks_rows,
            )
            if not rows:
                return
            after_id = rows[-1].id
            for row in rows:
                try:
                    upgraded = _upgrade_row(artifact_type, row)
                except (ArtifactError, UnknownSchemaVersion, ValueError, TypeError) as exc:
                    report.failed += 1
                    if len(report.reasons) < 10:
                        report.reasons.append(f"{row.id}: {exc}")
                    continue
                report.upgraded += 1
                if not dry_run:
                    row.properties = upgraded
                    for column, value in stamp(artifact_type, upgraded).items():
                        setattr(row, column, value)
            if dry_run:
                session.rollback()


def _upgrade_row(artifact_type: ArtifactType, row: ArtifactRow) -> dict[str, Any]:
    """The row's values at the current version, checked against the type's schema."""
    upgraded = artifact_type.schema_history.upgrade(_plain(row.properties or {}), row.type_version)
    properties = with_sort_keys(artifact_type, upgraded)
    # Blobs are no part of a migration: the schema is given their empty form.
    document = {
        name: fld.to_json(fld.initial_value()) for name, fld in artifact_type.fields.items()
    }
    document.update(_plain(properties))
    common = rows.field_values(row, dict(COMMON_FIELDS))
    document.update({name: fld.to_json(common[name]) for name, fld in COMMON_FIELDS.items()})
    artifact_type.validator.validate(document)
    return properties


__all__ = [
    "TypeMigration",
    "check_stored_versions",
    "migrate_types",
    "readable_properties",
    "stamp",
    "version_tuple",
    "writable_properties",
]
