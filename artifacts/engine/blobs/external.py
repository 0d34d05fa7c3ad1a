"""Blobs that live at a URL: recorded with their checksums, never fetched by the server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from artifacts.db import blobs as blob_rows
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.contents import ContentRefs
from artifacts.engine.context import RequestContext
from artifacts.engine.locations import LocationPolicy
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.errors import Conflict, Forbidden, InvalidInput, NotFound, PolicyDenied

from .access import BlobAccess
from .common import BlobRef, label
from .removal import DataRemover


class ExternalBlobs:
    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        access: BlobAccess,
        *,
        remover: DataRemover,
        contents: ContentRefs,
        locations: LocationPolicy,
        clock: Callable[[], dt.datetime],
        render: Callable[[Session, ArtifactType, ArtifactRow], dict[str, Any]],
    ) -> None:
        self._db = db
        self._types = types
        self._access = access
        self._remover = remover
        self._contents = contents
        self._locations = locations
        self._clock = clock
        self._render = render

    def set(self, ctx: RequestContext, ref: BlobRef, location: Any) -> dict[str, Any]:
        """Record a blob that lives at a URL; the server never fetches it."""
        artifact_type = self._types.writable(ref.type_name)
        parsed = parse_location(location)
        if not parsed.internal:
            self._locations.check(parsed.url)
        now = self._clock()
        with self._db.write() as session:
            if parsed.internal and not ctx.is_admin:
                # Glare's rule for internal locations admits administrators only; it is asked
                # once the artifact is found and the caller may change it.
                self._access.changeable(session, ctx, ref)
                raise PolicyDenied(INTERNAL_REFUSED)
            row, _ = self._access.writable(session, ctx, artifact_type, ref)
            blob = blob_rows.get(session, ref.artifact_id, ref.field, ref.key, for_update=True)
            if blob is not None and blob.pending_upload_id is not None:
                raise Conflict(f"Blob {label(ref.field, ref.key)} is being uploaded.")
            if blob is not None and (blob.location is not None or blob.external_url is not None):
                # As in Glare: a location names data that is not there yet; existing data is
                # replaced by an upload, or an external blob deleted first.
                raise Conflict(f"Blob {label(ref.field, ref.key)} already exists.")
            if parsed.internal:
                # Where Glare would adopt the URL as its own data (deviation
                # ``internal-locations`` in docs/glare-v1-wire.md).
                raise PolicyDenied(INTERNAL_REFUSED)
            if blob is None:
                blob = blob_rows.add(session, ref.artifact_id, ref.field, ref.key, now)
            blob_rows.point_external(blob, parsed.url, parsed.digests, now)
            row.updated_at = now
            row.revision += 1
            session.flush()
            rendered = self._render(session, artifact_type, row)
        return rendered

    def delete(self, ctx: RequestContext, ref: BlobRef) -> dict[str, Any]:
        """Forget an external blob (uploaded data is replaced, never deleted on its own)."""
        artifact_type = self._types.writable(ref.type_name)
        with self._db.write() as session:
            row, _ = self._access.writable(session, ctx, artifact_type, ref)
            blob = blob_rows.get(session, ref.artifact_id, ref.field, ref.key, for_update=True)
            if blob is None:
                raise NotFound(f"Blob {label(ref.field, ref.key)} is not set.")
            if blob.external_url is None:
                raise Forbidden("Only external blobs can be deleted; upload new data instead.")
            blob_rows.remove(session, blob)
            row.updated_at = self._clock()
            row.revision += 1
            session.flush()
            return self._render(session, artifact_type, row)


#: Why an internal location is refused, to administrators too.
INTERNAL_REFUSED = (
    "Internal locations are not accepted: this server's data lives only in its own stores, "
    "under names no URL gives; upload the data, or give an external location."
)
#: The schemes of Glare's own stores: an internal location naming one is refused to everyone,
#: as it would make a file or object of the server's (another artifact's data) this blob.
RESTRICTED_SCHEMES = frozenset({"file", "filesystem", "swift+config", "sql"})
#: The other schemes Glare's stores know; an internal location with any other is a bad request.
STORE_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True)
class Location:
    """A custom-location body: the URL, its (md5, sha1, sha256), and whether it is internal."""

    url: str
    digests: tuple[str | None, str | None, str | None] = (None, None, None)
    internal: bool = False


def parse_location(location: Any) -> Location:
    """A Glare custom-location body, checked in Glare's order.

    Checksums are the caller's claims about data the server never reads: they are stored as
    given, as Glare stores them (clients compare them with what they fetch), but no longer than
    the digest they name. An internal location (``location_type: internal``) passes only the
    checks of its scheme: whether it may be set depends on the caller and the artifact.
    """
    if not isinstance(location, dict) or not isinstance(location.get("url"), str):
        raise InvalidInput("A location is a JSON object with a 'url' string and checksums.")
    url = location["url"]
    location_type = location.get("location_type", "external")
    if location_type not in ("external", "internal"):
        raise InvalidInput(f"Location type {location_type!r} is not one of: external, internal.")
    if location_type == "internal":
        _check_store_scheme(url)
        return Location(url, internal=True)
    if not url.startswith("http"):
        raise InvalidInput(f"The location 'url' {url[:100]!r} does not have an http(s) scheme.")
    if "md5" not in location:
        raise InvalidInput("A location needs at least its 'md5' checksum.")
    digests: list[str | None] = []
    for name, length in (("md5", 32), ("sha1", 40), ("sha256", 64)):
        value = location.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > length):
            raise InvalidInput(
                f"Location {name!r} must be a string of at most {length} characters."
            )
        digests.append(value)
    unknown = set(location) - {"url", "md5", "sha1", "sha256", "location_type"}
    if unknown:
        raise InvalidInput(f"Unknown location keys: {', '.join(sorted(unknown))}.")
    return Location(url, (digests[0], digests[1], digests[2]))


def _check_store_scheme(url: str) -> None:
    """Refuse an internal location's URL by its scheme, as Glare does before anything else."""
    try:
        scheme = urlsplit(url).scheme
    except ValueError as exc:
        raise InvalidInput(f"The location 'url' {url[:100]!r} is not a URL: {exc}") from exc
    if scheme in RESTRICTED_SCHEMES:
        raise Forbidden(f"Internal locations with scheme {scheme!r} are forbidden.")
    if scheme not in STORE_SCHEMES:
        raise InvalidInput(f"Unknown scheme {scheme!r} for an internal location.")
