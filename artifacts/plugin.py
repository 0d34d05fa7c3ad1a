"""The public plugin API: everything a type plugin may import, and nothing else.

A plugin module imports from here only (a contract checked by import-linter). Additions are
backwards compatible; removing a name takes one release of deprecation. ``__all__`` is frozen by a
test so a change here is always a deliberate one.
"""

from artifacts.errors import BlobRejected, InvalidValue, NotAllowed, Refused
from artifacts.model.base import BaseArtifact
from artifacts.model.fields import (
    Blob,
    BlobDict,
    Boolean,
    DateTime,
    Dict,
    Field,
    Float,
    Integer,
    Link,
    List,
    String,
    Version,
)
from artifacts.model.hooks import BlobEvent, Caller, HookContext
from artifacts.model.streaming import (
    ACCEPT,
    PostStoreCheck,
    StoredBlob,
    StreamCheck,
    StreamResult,
    StreamValidator,
    Upload,
    Verdict,
)
from artifacts.model.transforms import StreamTransform, Transform, Transformed
from artifacts.model.validators import (
    UUID,
    AllowedValues,
    MaxItems,
    MaxKeys,
    MaxLength,
    MaxNumber,
    MinLength,
    MinNumber,
    Regex,
    Unique,
    Validator,
)
from artifacts.model.versions import Migration

__all__ = [
    "ACCEPT",
    "UUID",
    "AllowedValues",
    "BaseArtifact",
    "Blob",
    "BlobDict",
    "BlobEvent",
    "BlobRejected",
    "Boolean",
    "Caller",
    "DateTime",
    "Dict",
    "Field",
    "Float",
    "HookContext",
    "Integer",
    "InvalidValue",
    "Link",
    "List",
    "MaxItems",
    "MaxKeys",
    "MaxLength",
    "MaxNumber",
    "Migration",
    "MinLength",
    "MinNumber",
    "NotAllowed",
    "PostStoreCheck",
    "Refused",
    "Regex",
    "StoredBlob",
    "StreamCheck",
    "StreamResult",
    "StreamTransform",
    "StreamValidator",
    "String",
    "Transform",
    "Transformed",
    "Unique",
    "Upload",
    "Validator",
    "Verdict",
    "Version",
]
