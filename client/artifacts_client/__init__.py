"""Python client for artifact-repo: typed calls over its HTTP API (Glare v1 and extensions).

Everything public is re-exported here; the modules behind it may change.
"""

from artifacts_client.auth import TokenAuth, TrustedHeadersAuth
from artifacts_client.client import Client, Page, list_params
from artifacts_client.config import Profile, load_profile
from artifacts_client.errors import (
    ApiError,
    BadReference,
    BadRequest,
    ClientError,
    Conflict,
    DigestMismatch,
    Forbidden,
    LengthRequired,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    RangeNotSatisfiable,
    ServerError,
    ServiceUnavailable,
    TransportError,
    Unauthorized,
    UnsupportedMediaType,
)
from artifacts_client.models import Artifact, BlobInfo, Identity, Member, Transfer
from artifacts_client.patch import Patch
from artifacts_client.refs import Reference, parse_reference
from artifacts_client.retry import NO_RETRIES, RetryPolicy

__all__ = [
    "NO_RETRIES",
    "ApiError",
    "Artifact",
    "BadReference",
    "BadRequest",
    "BlobInfo",
    "Client",
    "ClientError",
    "Conflict",
    "DigestMismatch",
    "Forbidden",
    "Identity",
    "LengthRequired",
    "Member",
    "NotAcceptable",
    "NotFound",
    "Page",
    "Patch",
    "PayloadTooLarge",
    "Profile",
    "RangeNotSatisfiable",
    "Reference",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailable",
    "TokenAuth",
    "Transfer",
    "TransportError",
    "TrustedHeadersAuth",
    "Unauthorized",
    "UnsupportedMediaType",
    "list_params",
    "load_profile",
    "parse_reference",
]
