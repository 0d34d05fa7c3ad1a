"""The public plugin API: everything a type plugin may import, and nothing else.

A plugin module imports from here only (a contract checked by import-linter). Additions are
backwards compatible; removing a name takes one release of deprecation. ``__all__`` is frozen by a
test so a change here is always a deliberate one.
"""

from artifacts.errors import InvalidValue
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

__all__ = [
    "UUID",
    "AllowedValues",
    "BaseArtifact",
    "Blob",
    "BlobDict",
    "Boolean",
    "DateTime",
    "Dict",
    "Field",
    "Float",
    "Integer",
    "InvalidValue",
    "Link",
    "List",
    "MaxItems",
    "MaxKeys",
    "MaxLength",
    "MaxNumber",
    "MinLength",
    "MinNumber",
    "Regex",
    "String",
    "Unique",
    "Validator",
    "Version",
]
