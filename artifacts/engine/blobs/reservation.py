"""An upload's hold on its project's byte quotas, and the per-blob quota on its limit.

An upload with a declared length reserves all of it when it begins (:mod:`.pending`); one
streamed without a length reserves as its bytes arrive, a step ahead of them, so a project's
concurrent uploads can never together store more than its quota allows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from artifacts.db.models import BlobRow
from artifacts.engine import quotas
from artifacts.engine.registry import ArtifactType
from artifacts.errors import ByteQuotaExceeded, TooLarge
from artifacts.model import fields as f

from .common import BlobRef, label


class Reservation:
    """The bytes an upload holds against its quotas, grown as a streamed body arrives."""

    def __init__(
        self,
        held: int,
        limit: int,
        reserve: Callable[[int], None],
        quota_cap: tuple[int, str] | None,
    ) -> None:
        self.held = held
        self.limit = limit
        self.quota_cap = quota_cap
        self._reserve = reserve

    def cover(self, total: int) -> None:
        """Hold at least ``total`` bytes: a step ahead if it fits, else exactly what is due."""
        if total <= self.held:
            return
        needed = total - self.held
        more = quotas.step(self.held, needed, self.limit)
        try:
            self._reserve(more)
        except ByteQuotaExceeded:
            if more == needed:
                raise
            self._reserve(needed)
            more = needed
        self.held += more

    def too_large(self, size: int, name: str) -> TooLarge:
        """The refusal of ``size`` bytes: the per-blob quota's, if it sets the limit."""
        if self.quota_cap is not None:
            return over_blob_maximum(self.quota_cap, size)
        return TooLarge(f"Blob {name!r} is larger than its limit of {self.limit} bytes.")


def within_limits(
    limit: int, quota_cap: tuple[int, str] | None, content_length: int | None, name: str
) -> tuple[int, tuple[int, str] | None]:
    """Apply the per-blob quota to the field's limit; refuse a declared length over either."""
    if quota_cap is not None and quota_cap[0] < limit:
        limit = quota_cap[0]
    else:
        quota_cap = None
    if content_length is not None and content_length > limit:
        if quota_cap is not None:
            raise over_blob_maximum(quota_cap, content_length)
        raise TooLarge(
            f"Blob {name} of {content_length} bytes is larger than its limit of "
            f"{max(limit, 0)} bytes."
        )
    return limit, quota_cap


def over_blob_maximum(cap: tuple[int, str], size: int) -> ByteQuotaExceeded:
    return ByteQuotaExceeded("max_blob_size", cap[1], cap[0], 0, size)


def field_limit(
    session: Session,
    artifact_type: ArtifactType,
    ref: BlobRef,
    *,
    owner: str,
    field: f.Blob | f.BlobDict,
    all_blobs: Sequence[BlobRow],
    content_length: int | None,
) -> tuple[int, tuple[int, str] | None]:
    """The most bytes the blob may take: its field's, its dict's, its type's, its quota's.

    ``all_blobs`` are the artifact's blob rows. Refuses (413) a declared length over it, and
    a new entry in a blob dict that is full.
    """
    existing = next((b for b in all_blobs if b.field == ref.field and b.key == ref.key), None)
    limit = field.max_size
    if isinstance(field, f.BlobDict):
        others = [b for b in all_blobs if b.field == ref.field and b.key != ref.key]
        if existing is None and len(others) >= field.max_keys:
            raise TooLarge(f"Blob dict {ref.field!r} already holds {field.max_keys} entries.")
        used = sum(b.size or 0 for b in others)
        limit = min(limit, field.max_total_size - used)
    type_limit = artifact_type.cls.MAX_TOTAL_BLOB_SIZE
    if type_limit is not None:
        elsewhere = sum(b.size or 0 for b in all_blobs if b is not existing)
        limit = min(limit, type_limit - elsewhere)
    return within_limits(
        limit,
        quotas.blob_maximum(session, owner, artifact_type.name),
        content_length,
        label(ref.field, ref.key),
    )
