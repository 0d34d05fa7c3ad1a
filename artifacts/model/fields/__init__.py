"""Field kinds a type plugin declares its artifact fields with.

:mod:`.base` holds what every kind shares and the behaviour each kind overrides; the kinds are
in :mod:`.scalars`, :mod:`.containers` and :mod:`.blobs`. Import them from here (or, in a
plugin, from :mod:`artifacts.plugin`).
"""

from .base import (
    ALL_FILTER_OPS,
    EQUALITY_OPS,
    LIKE_OP,
    ORDER_OPS,
    Field,
    SqlType,
    format_datetime,
)
from .blobs import BLOB_STATUSES, DEFAULT_BLOB_MAX_SIZE, Blob, BlobDict
from .containers import Dict, List
from .scalars import (
    INT64_MAX,
    INT64_MIN,
    LINK_PATTERN,
    Boolean,
    DateTime,
    Float,
    Integer,
    Link,
    String,
    Version,
)

__all__ = [
    "ALL_FILTER_OPS",
    "BLOB_STATUSES",
    "DEFAULT_BLOB_MAX_SIZE",
    "EQUALITY_OPS",
    "INT64_MAX",
    "INT64_MIN",
    "LIKE_OP",
    "LINK_PATTERN",
    "ORDER_OPS",
    "Blob",
    "BlobDict",
    "Boolean",
    "DateTime",
    "Dict",
    "Field",
    "Float",
    "Integer",
    "Link",
    "List",
    "SqlType",
    "String",
    "Version",
    "format_datetime",
]
