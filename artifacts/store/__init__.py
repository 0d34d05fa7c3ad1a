"""Blob stores: where blob bytes live. The database keeps only ``(store name, key)``.

Key layout, the same in every driver (a path on the filesystem, an object key under the
configured prefix in S3, a row key in the database driver)::

    <prefix>/
      blobs/
        <artifact id[0:2]>/            fan-out so no directory holds millions of entries
          <artifact id>/
            <field>/<blob id>          a blob field's data
            <field>/<key-hash>/<blob id>   a blob-dict entry (the dict key is hashed:
                                           user keys never become paths)
      tmp/
        <sha256 of the key>            filesystem only: data being written, renamed on commit
        resumable-<sha256 of the key>  filesystem only: a resumable upload's bytes so far
      resumable-tails/
        <sha256 of the key>/<offset>   S3 only: a resumable upload's bytes past its last part

Every upload gets a fresh ``<blob id>``, so replacing a blob never overwrites bytes that a
reader may be streaming; the old key is deleted (or recorded as an orphan) once the new one
is recorded.

Modules: ``base`` (the contract, imported through this package), ``registry`` (stores from
settings, drivers by the ``artifacts.stores`` entry points), and the drivers ``filesystem``,
``s3`` (with ``s3_resumable``) and ``memory`` (tests only).
``tests/unit/store/test_conformance.py`` is the contract's executable form: a new driver is
done when it passes unchanged.
"""

from artifacts.store.base import (
    CHUNK_SIZE,
    BlobStore,
    BlobWriter,
    ByteRange,
    InvalidKey,
    InvalidRange,
    ObjectNotFound,
    ReadHandle,
    StoreConfigError,
    StoredObject,
    StoreError,
    read_object,
    validate_key,
    write_object,
)

# Drivers are not imported here: ``artifacts.store.registry`` loads them on demand, so that
# importing the contract never imports boto3.
__all__ = [
    "CHUNK_SIZE",
    "BlobStore",
    "BlobWriter",
    "ByteRange",
    "InvalidKey",
    "InvalidRange",
    "ObjectNotFound",
    "ReadHandle",
    "StoreConfigError",
    "StoreError",
    "StoredObject",
    "read_object",
    "validate_key",
    "write_object",
]
