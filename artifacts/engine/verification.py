"""Verified downloads: check the stored bytes against the digest recorded when they arrived.

A client that asks for it (the doors' ``Want-Repr-Digest: sha-256``, RFC 9530) gets the blob
through a stream that hashes every byte it sends and holds the last chunk back until the
digest is known. When the bytes are what the upload recorded, the last chunk goes out and the
transfer completes; when they are not (the store's copy rotted or was replaced), the stream
fails before its last chunk, so the client never receives a complete body that is corrupt:
the WSGI server cuts the connection short of Content-Length, which every HTTP client reports
as an error. The mismatch is logged once, at ERROR, with the blob it is about.

The digest is the blob's SHA-256, computed in the same single pass over the same bytes as
every other digest of the upload (an image's ``os_hash_value`` included), so a verified
download also proves the bytes are the ones the multihash describes. Only whole blobs are
verified: a range carries no digest of its own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator

from artifacts.store.base import ReadHandle

LOG = logging.getLogger(__name__)

#: The RFC 9530 algorithm names a verified download can be asked for.
VERIFIABLE = ("sha-256",)


class CorruptBlob(Exception):
    """The stored bytes do not match their recorded digest (raised mid-stream, after headers)."""


def verified(handle: ReadHandle, expected_sha256: str, label: str) -> ReadHandle:
    """The same bytes as ``handle``, failing before the last chunk if they are not as recorded."""
    return ReadHandle(size=handle.size, chunks=_verifying(handle, expected_sha256, label))


def _verifying(handle: ReadHandle, expected: str, label: str) -> Iterator[bytes]:
    digest = hashlib.sha256()
    held: bytes | None = None
    try:
        for chunk in handle.chunks:
            if not chunk:
                continue
            if held is not None:
                yield held
            digest.update(chunk)
            held = chunk
        actual = digest.hexdigest()
        if actual != expected:
            LOG.error(
                "Stored data of %s does not match its recorded sha256 (%s, read %s); "
                "the verified download was cut short",
                label,
                expected,
                actual,
            )
            raise CorruptBlob(f"the stored data of {label} does not match its recorded sha256")
        if held is not None:
            yield held
    finally:
        handle.close()
