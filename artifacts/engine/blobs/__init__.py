"""The blob service: streaming uploads and downloads, external locations, and cleanup.

An upload is two short transactions around a long, transaction-free transfer:

1. lock the artifact, check policy, field, status and limits, record the upload as pending
   (the blob shows ``saving``), commit;
2. stream the request through a size limit and the digests into a new key of the store;
3. lock again, check the upload is still the pending one, record size, digests and location,
   mark the blob ``active``, commit; only then delete the data it replaced.

Any failure in 2 or 3 cancels the store write (or removes the committed data) and restores the
previous state of the blob at once, so a retry can start straight away; a store failure answers
503. While it streams, the upload holds a lease its process renews (:mod:`artifacts.engine.
uploads`): a crash leaves the blob ``saving`` with its pending location recorded, and once the
lease lapses, seconds later, the upload can be retried and the sweeper removes the partial
data. No path marks a blob active whose bytes and digests were not fully written.

The package, by job::

    service.py    BlobService: the facade the HTTP layer and the CLI call
    pending.py    the upload state machine's transactions (begin, check, promote, abort, sweep)
    resumable.py  resumable upload sessions (tus): create, append, finish, cancel, expire
    direct.py     direct-to-S3 upload sessions: open, presigned parts, verified commit, abort
    direct_session.py  a direct upload as its client sees it; its joined object
    sessions.py   the session steps the state machine's transactions take part in
    upload.py     moving an upload's bytes through limits, digests and checks into a store
    download.py   looking a blob up for sending and opening (part of) its data
    external.py   blobs that live at a URL
    removal.py    deleting unreferenced data; orphans for ``artifacts scrub``
    access.py     visibility, policy and status checks shared by all of the above
    rendering.py  blob records as artifact documents show them
    common.py     references, field resolution, store key layout

Blob rows are read and written only through :mod:`artifacts.db.blobs`.
"""

from __future__ import annotations

from artifacts.db.blobs import ACTIVE, CHECKING, IN_FLIGHT, SAVING
from artifacts.store.base import ByteRange, ReadHandle

from .common import BlobInfo, BlobRef, Readable, StoreChoice
from .direct_session import DirectSession
from .download import Download
from .pending import UploadInProgress
from .removal import DataRemover
from .rendering import blob_descriptor, blob_values
from .service import BlobService
from .session_view import UploadSession

__all__ = [
    "ACTIVE",
    "CHECKING",
    "IN_FLIGHT",
    "SAVING",
    "BlobInfo",
    "BlobRef",
    "BlobService",
    "ByteRange",  # re-exported: the HTTP layer resolves ranges without importing the store
    "DataRemover",
    "DirectSession",
    "Download",
    "ReadHandle",  # re-exported: the HTTP layer streams it without importing the store package
    "Readable",
    "StoreChoice",
    "UploadInProgress",
    "UploadSession",
    "blob_descriptor",
    "blob_values",
]
