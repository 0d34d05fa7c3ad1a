"""Domain errors of the artifact repository.

Every error carries a stable machine-readable ``code`` so clients can branch on it without parsing
prose, and a human ``message``. Nothing here knows about HTTP: the API layer maps the *kinds*
below (the direct subclasses of :class:`ArtifactError`) to statuses in one place.

Constructors never log: an invisible artifact is an everyday event, not an incident.
"""

from __future__ import annotations


class ArtifactError(Exception):
    """Root of every error the core raises on purpose."""

    code = "error"
    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- kinds -------------------------------------------------------------------------------------


class InvalidInput(ArtifactError):
    """The caller sent something malformed or out of bounds."""

    code = "invalid_input"
    title = "Bad Request"


class NotFound(ArtifactError):
    """The thing does not exist, or the caller may not know it exists."""

    code = "not_found"
    title = "Not Found"


class Forbidden(ArtifactError):
    """The caller may see the artifact but may not make this change."""

    code = "forbidden"
    title = "Forbidden"


class Unauthenticated(ArtifactError):
    """The caller presented no identity (or a bad one) where one is needed."""

    code = "unauthenticated"
    title = "Unauthorized"


class Conflict(ArtifactError):
    """The request clashes with the current state of the artifact or its neighbours."""

    code = "conflict"
    title = "Conflict"


class TooLarge(ArtifactError):
    """A size or count limit would be crossed."""

    code = "too_large"
    title = "Request Entity Too Large"


class UnsupportedMediaType(ArtifactError):
    """The request body has a content type this operation does not take."""

    code = "unsupported_media_type"
    title = "Unsupported Media Type"


class RangeNotSatisfiable(ArtifactError):
    """A byte range lies outside the blob."""

    code = "range_not_satisfiable"
    title = "Requested Range Not Satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__(f"The requested range is outside the blob's {size} bytes.")
        self.size = size


class Gone(ArtifactError):
    """The thing named existed and is over for good (a resumable upload that expired)."""

    code = "gone"
    title = "Gone"


class NotSupported(ArtifactError):
    """The deployment cannot do this here (a store without resumable writes, say)."""

    code = "not_supported"
    title = "Not Implemented"


class PreconditionFailed(ArtifactError):
    """A request's precondition (``If-Match``) does not hold for the blob as it is now."""

    code = "precondition_failed"
    title = "Precondition Failed"


class LengthRequired(ArtifactError):
    """The body's end cannot be known: neither a length nor chunked encoding."""

    code = "length_required"
    title = "Length Required"


class ServiceUnavailable(ArtifactError):
    """A backing service (database, store) cannot be reached right now."""

    code = "service_unavailable"
    title = "Service Unavailable"

    #: Seconds a client should wait before retrying: outages we can see end within seconds
    #: (a fail-over, a restart) or last long enough that a faster retry would only add load.
    DEFAULT_RETRY_AFTER = 5

    def __init__(self, message: str, *, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- specific errors ---------------------------------------------------------------------------


class UnknownField(InvalidInput):
    code = "unknown_field"


class InvalidValue(InvalidInput):
    code = "invalid_value"


class InvalidFilter(InvalidInput):
    code = "invalid_filter"


class InvalidQuotes(InvalidFilter):
    """Quotes in a list of filter values that do not open after or close before a comma."""

    code = "invalid_filter_quotes"


class InvalidSort(InvalidInput):
    code = "invalid_sort"


class InvalidPatch(InvalidInput):
    code = "invalid_patch"


class InvalidTransition(InvalidInput):
    code = "invalid_transition"


class ActivationRequirementsMissing(Forbidden):
    code = "activation_requirements_missing"


class TypeNotFound(NotFound):
    code = "type_not_found"


class ArtifactNotFound(NotFound):
    code = "artifact_not_found"


class MarkerNotFound(ArtifactNotFound):
    """A list's marker is no artifact the caller may see (Glare: 404; Glance: 400)."""

    code = "marker_not_found"

    def __init__(self, artifact_id: str) -> None:
        super().__init__(f"Artifact {artifact_id} not found.")
        self.artifact_id = artifact_id


class ReadOnlyField(Forbidden):
    code = "read_only_field"


class ImmutableField(Forbidden):
    code = "immutable_field"


class PolicyDenied(Forbidden):
    code = "policy_denied"


class QuotaExceeded:
    """What a quota refusal names: the limit, its scope, and the numbers."""

    def _name_quota(
        self, quota: str, type_name: str, limit: int, used: int, requested: int
    ) -> None:
        self.quota = quota
        #: ``""`` for a limit on the project as a whole, else the type it applies to.
        self.type_name = type_name
        self.limit = limit
        self.used = used
        self.requested = requested

    def details(self) -> dict[str, object]:
        return {
            "name": self.quota,
            "type_name": self.type_name or None,
            "limit": self.limit,
            "used": self.used,
            "requested": self.requested,
        }


def _quota_message(what: str, quota: str, type_name: str, *, limit: int, used: int, n: int) -> str:
    scope = f"{type_name} artifacts" if type_name else "the project"
    return (
        f"Quota {quota} of {scope} exceeded: {n} more {what} would make {used + n}, "
        f"over the limit of {limit}."
    )


class ByteQuotaExceeded(TooLarge, QuotaExceeded):
    """A byte quota (total bytes, or one blob's maximum) would be crossed (413)."""

    code = "quota_exceeded"

    def __init__(self, quota: str, type_name: str, limit: int, used: int, requested: int) -> None:
        if quota == "max_blob_size":
            scope = f"{type_name} artifacts" if type_name else "the project"
            message = f"Quota max_blob_size of {scope} exceeded: a blob may hold {limit} bytes."
        else:
            message = _quota_message("bytes", quota, type_name, limit=limit, used=used, n=requested)
        super().__init__(message)
        self._name_quota(quota, type_name, limit, used, requested)


class CountQuotaExceeded(Forbidden, QuotaExceeded):
    """The artifact-count quota would be crossed (403)."""

    code = "quota_exceeded"

    def __init__(self, quota: str, type_name: str, limit: int, used: int, requested: int) -> None:
        message = _quota_message("artifacts", quota, type_name, limit=limit, used=used, n=requested)
        super().__init__(message)
        self._name_quota(quota, type_name, limit, used, requested)


class NotOwner(PolicyDenied):
    """A rule refused a caller that neither owns the artifact nor administers."""

    code = "not_owner"


class AuthenticationRequired(Unauthenticated):
    """A rule refused an anonymous caller: with credentials, it might be allowed."""

    code = "authentication_required"


class DuplicateArtifact(Conflict):
    code = "duplicate_artifact"


class ArtifactIdTaken(Conflict):
    """A create names an id an artifact (of any type) already has."""

    code = "artifact_id_taken"


class NewerSchema(Conflict):
    """The artifact was written by a newer version of its type's plugin than this node runs."""

    code = "newer_schema_version"


class DuplicateMember(Conflict):
    code = "duplicate_member"


class MemberNotFound(NotFound):
    code = "member_not_found"


class TokenNotFound(NotFound):
    code = "token_not_found"


class InvalidToken(Unauthenticated):
    code = "invalid_token"


# --- raised by type plugins (exported through artifacts.plugin) -------------------------------


def _about(field: str | None, message: str) -> str:
    return f"Field {field!r}: {message}" if field else message


class Refused(InvalidInput):
    """A type's hook refuses the change as invalid (400), naming the field at fault."""

    code = "refused"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(_about(field, message))
        self.field = field
        self.reason = message


class NotAllowed(Forbidden):
    """A type's hook forbids the change in the artifact's current state (403)."""

    code = "not_allowed"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(_about(field, message))
        self.field = field
        self.reason = message


class BlobRejected(InvalidInput):
    """A streaming validator refuses the uploaded bytes (400); nothing of them is kept."""

    code = "blob_rejected"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(_about(field, message))
        self.field = field
        self.reason = message


class PluginError(ArtifactError):
    """A type plugin broke its contract (a bug in the plugin, not the caller's fault)."""

    code = "plugin_error"
    title = "Internal Server Error"


class TypeRegistrationError(Exception):
    """A type plugin is broken; start-up must stop with this message."""
