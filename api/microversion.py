"""Glare's API microversions: which one a request asks for, and saying which one answered.

A request names its version with ``Accept: application/vnd.openstack.artifacts-X.Y`` (which wins)
or ``OpenStack-API-Version: artifact X.Y`` (``latest`` = the newest); without either it gets the
oldest, 1.0, the version every Glare client was written against. A version outside the supported
range is 406 and a malformed one 400, as in Glare. Successful answers name the version they were
served at and vary on the header.
"""

from __future__ import annotations

import re
from typing import Any

import falcon

from artifacts.errors import InvalidInput

SERVICE_TYPE = "artifact"
HEADER = "OpenStack-API-Version"
MEDIA_TYPE_PREFIX = "application/vnd.openstack.artifacts-"
#: (version, status) pairs served, oldest first; 1.1 adds blob DELETE to 1.0.
SUPPORTED_VERSIONS = (("1.0", "STABLE"), ("1.1", "EXPERIMENTAL"))
MIN_VERSION = (1, 0)
MAX_VERSION = (1, 1)
DEFAULT_VERSION = MIN_VERSION
#: Paths answered with the version document before any negotiation.
VERSION_DOCUMENT_PATHS = frozenset({"/", "/versions"})
#: Operational endpoints outside the Glare API.
UNVERSIONED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

_VERSION = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


class UnsupportedVersion(InvalidInput):
    """A well-formed version this server does not serve (Glare's InvalidGlobalAPIVersion)."""

    code = "unsupported_api_version"


def _text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def requested_version(accept: str | None, header: str | None) -> tuple[int, int]:
    """The version a request asks for, or raise for a malformed or unsupported one."""
    wanted = None
    if accept and accept.startswith(MEDIA_TYPE_PREFIX):
        wanted = accept[len(MEDIA_TYPE_PREFIX) :]
    elif header:
        wanted = _from_header(header)
    if wanted is None:
        return DEFAULT_VERSION
    if wanted == "latest":
        return MAX_VERSION
    match = _VERSION.match(wanted)
    if not match:
        raise InvalidInput(
            f"API version string {wanted} is not valid. Cannot determine API version."
        )
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise UnsupportedVersion(
            f"Version {_text(version)} is not supported by the API. "
            f"Minimum is {_text(MIN_VERSION)} and maximum is {_text(MAX_VERSION)}."
        )
    return version


def _from_header(header: str) -> str | None:
    """The artifact service's entry of ``OpenStack-API-Version`` (the last one wins)."""
    for entry in reversed(header.split(",")):
        parts = entry.strip().split(None, 1)
        if len(parts) == 2 and parts[0].lower() == SERVICE_TYPE:
            return parts[1].strip()
    return None


def version_bounds() -> dict[str, str]:
    """The ``min_version``/``max_version`` a 406 answer carries."""
    return {"min_version": _text(MIN_VERSION), "max_version": _text(MAX_VERSION)}


class MicroversionMiddleware:
    """Negotiate the version of every API request; stamp it on successful answers.

    Paths under ``other_doors`` (another protocol's prefix, e.g. Glance's ``/v2``) are not the
    Glare API and are left alone.
    """

    def __init__(self, other_doors: tuple[str, ...] = ()) -> None:
        self._other_doors = tuple(other_doors)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.api_version = None
        if req.path in VERSION_DOCUMENT_PATHS or req.path in UNVERSIONED_PATHS:
            return
        if self._other_doors and req.path.startswith(self._other_doors):
            return
        req.context.api_version = requested_version(
            req.get_header("Accept"), req.get_header(HEADER)
        )

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        version = getattr(req.context, "api_version", None)
        if version is None or getattr(req.context, "fault", False):
            return
        resp.set_header(HEADER, f"{SERVICE_TYPE} {_text(version)}")
        resp.append_header("Vary", HEADER)
