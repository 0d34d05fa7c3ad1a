"""The client: typed methods over the artifact repository's HTTP API.

>>> from artifacts_client import Client
>>> with Client("http://127.0.0.1:9494", token="…") as repo:  # doctest: +SKIP
...     image = repo.create("images", "cirros", "0.6.2", disk_format="qcow2")
...     repo.upload(image, "image", "cirros.qcow2")
...     repo.activate(image)
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from artifacts_client.auth import TokenAuth, TrustedHeadersAuth
from artifacts_client.blobs import BlobMethods
from artifacts_client.direct import DirectMethods
from artifacts_client.errors import BadReference, NotFound
from artifacts_client.http import HttpSession
from artifacts_client.members import MemberMethods
from artifacts_client.models import Artifact, Identity, Member
from artifacts_client.patch import Patch
from artifacts_client.paths import ALL_TYPES, ArtifactLike
from artifacts_client.paths import artifact_path as _path
from artifacts_client.paths import split as _id
from artifacts_client.refs import Reference, parse_reference
from artifacts_client.retry import RetryPolicy

JSON_PATCH = "application/json-patch+json"

Filters = Mapping[str, str | int | float | bool] | Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Page:
    """One page of a list, with the link to the next one (None on the last page)."""

    items: list[Artifact]
    next: str | None
    total_count: int | None


def _value(value: str | int | float | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class Client(BlobMethods, DirectMethods, MemberMethods):
    """A connection to one artifact repository.

    Give ``token`` for a server in ``tokens`` (or Keystone) mode, or ``project`` (with
    ``user`` and ``roles``) for one that trusts identity headers; neither is anonymous.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        project: str | None = None,
        user: str | None = None,
        roles: Iterable[str] = (),
        auth: httpx.Auth | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: bool | str = True,
    ) -> None:
        if auth is None and token:
            auth = TokenAuth(token)
        elif auth is None and project:
            auth = TrustedHeadersAuth(project, user, roles)
        options: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        self.http = HttpSession(
            url, auth=auth, retry=retry, transport=transport, verify=verify, **options
        )

    @property
    def url(self) -> str:
        return self.http.base_url

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- the service ----------------------------------------------------------------------

    def versions(self) -> builtins.list[dict[str, Any]]:
        """The API versions the server speaks (Glare answers them with 300, others with 200)."""
        body = self.http.json("GET", "/", ok=(200, 300))
        return list(body.get("versions", []))

    def whoami(self) -> Identity:
        """The project, user and roles the server sees in this client's credentials."""
        body = self.http.json("GET", "/whoami")
        return Identity(
            project_id=body.get("project_id"),
            user_id=body.get("user_id"),
            roles=tuple(body.get("roles") or ()),
            authenticated=bool(body.get("authenticated")),
        )

    def schemas(self) -> dict[str, dict[str, Any]]:
        """The JSON schema of every type the server serves (and of the ``all`` pseudo-type)."""
        return dict(self.http.json("GET", "/schemas")["schemas"])

    def types(self) -> builtins.list[str]:
        """The names of the artifact types the server serves."""
        return sorted(name for name in self.schemas() if name != ALL_TYPES)

    def schema(self, type_name: str) -> dict[str, Any]:
        """One type's JSON schema: its fields, which may be filtered, sorted or changed."""
        path = "/schemas/" + quote(type_name, safe="")
        return dict(self.http.json("GET", path)["schemas"][type_name])

    # --- artifacts ------------------------------------------------------------------------

    def create(
        self, type_name: str, name: str, version: str | None = None, **fields: Any
    ) -> Artifact:
        """Create a drafted, private artifact; name + version are unique per project and type."""
        body = {"name": name, **fields}
        if version is not None:
            body["version"] = version
        data = self.http.json("POST", _path(type_name), json=body, ok=(201,))
        return Artifact(data, type_name)

    def get(self, type_name: str | None, artifact_id: str) -> Artifact:
        """Show one artifact; with ``type_name=None`` it is looked up across every type."""
        data = self.http.json("GET", _path(type_name or ALL_TYPES, artifact_id))
        return Artifact(data, type_name)

    def resolve(self, reference: str | Reference) -> Artifact:
        """The artifact a reference names: ``TYPE/NAME@RANGE``, ``TYPE/ID`` or ``ID``."""
        ref = parse_reference(reference) if isinstance(reference, str) else reference
        if ref.artifact_id is not None:
            found = self.get(ref.type_name, ref.artifact_id)
            if ref.type_name is None and not found.type_name:
                raise BadReference(f"the server did not say the type of {ref.artifact_id}")
            return found
        assert ref.type_name is not None
        assert ref.name is not None
        return self.latest(ref.type_name, ref.name, ref.version_range)

    def latest(self, type_name: str, name: str, version_range: str | None = None) -> Artifact:
        """The highest version of ``name`` visible to the caller, within ``version_range``."""
        found = next(
            self.list(type_name, name=name, version=version_range, sort="version:desc", limit=1),
            None,
        )
        if found is None:
            within = f" in {version_range}" if version_range else ""
            raise NotFound(404, f"No {type_name} artifact named {name!r}{within} is visible.")
        return found

    def update(
        self, artifact: ArtifactLike, patch: Patch | Sequence[Mapping[str, Any]]
    ) -> Artifact:
        """Apply a JSON patch (build one with :class:`Patch`)."""
        type_name, artifact_id = _id(artifact)
        operations = patch.operations if isinstance(patch, Patch) else list(patch)
        data = self.http.json(
            "PATCH",
            _path(type_name, artifact_id),
            json=operations,
            headers={"Content-Type": JSON_PATCH},
        )
        return Artifact(data, type_name)

    def set(self, artifact: ArtifactLike, **fields: Any) -> Artifact:
        """Give fields new values (``metadata__key=v`` is not supported: use :class:`Patch`)."""
        patch = Patch()
        for field, value in fields.items():
            patch.set(field, value)
        return self.update(artifact, patch)

    def delete(self, artifact: ArtifactLike) -> None:
        type_name, artifact_id = _id(artifact)
        self.http.request("DELETE", _path(type_name, artifact_id), ok=(204,))

    def activate(self, artifact: ArtifactLike) -> Artifact:
        """drafted → active: needs every field the type requires on activation."""
        return self.update(artifact, Patch().status("active"))

    def deactivate(self, artifact: ArtifactLike) -> Artifact:
        """active → deactivated (an administrator's action by default): downloads stop."""
        return self.update(artifact, Patch().status("deactivated"))

    def reactivate(self, artifact: ArtifactLike) -> Artifact:
        """deactivated → active again."""
        return self.update(artifact, Patch().status("active"))

    def set_visibility(self, artifact: ArtifactLike, visibility: str) -> Artifact:
        """``private``, ``shared`` (with accepted members), ``community`` or ``public``."""
        return self.update(artifact, Patch().visibility(visibility))

    def publish(self, artifact: ArtifactLike) -> Artifact:
        """Make an active artifact public (an administrator's action by default)."""
        return self.set_visibility(artifact, "public")

    def share(self, artifact: ArtifactLike, *projects: str) -> builtins.list[Member]:
        """Make the artifact ``shared`` (unless it is already) and offer it to ``projects``."""
        if self.get(*_id(artifact)).visibility not in ("shared", "public"):
            self.set_visibility(artifact, "shared")
        return [self.add_member(artifact, project) for project in projects]

    # --- lists ----------------------------------------------------------------------------

    def page(self, type_name: str, params: Sequence[tuple[str, str]] | str) -> Page:
        """One page of a list, from query parameters or a ``next`` link the server gave."""
        if isinstance(params, str):
            body = self.http.json("GET", params)
        else:
            body = self.http.json("GET", _path(type_name), params=list(params))
        items = body.get("artifacts")
        if items is None:
            items = body.get(type_name, [])
        return Page(
            items=[Artifact(item, type_name if type_name != ALL_TYPES else None) for item in items],
            next=body.get("next"),
            total_count=body.get("total_count"),
        )

    def list(
        self,
        type_name: str = ALL_TYPES,
        filters: Filters = (),
        *,
        name: str | None = None,
        version: str | None = None,
        latest: bool = False,
        tags: Iterable[str] = (),
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        member_status: str | None = None,
    ) -> Iterator[Artifact]:
        """Every matching artifact, fetching pages as iteration goes on.

        ``filters`` are ``field=op:value`` pairs (``{"disk_format": "qcow2", "min_ram":
        "gte:512"}``); ``version`` takes ranges (``^1.2``, ``>=1.0,<2.0``); ``latest`` keeps the
        newest version of each name; ``limit`` stops after that many artifacts.
        """
        params = list_params(
            filters,
            name=name,
            version=version,
            latest=latest,
            tags=tags,
            sort=sort,
            page_size=page_size if limit is None else min(page_size or limit, limit),
            member_status=member_status,
        )
        remaining = limit
        page = self.page(type_name, params)
        while True:
            for item in page.items:
                if remaining is not None:
                    if remaining <= 0:
                        return
                    remaining -= 1
                yield item
            if page.next is None or (remaining is not None and remaining <= 0):
                return
            page = self.page(type_name, page.next)

    def count(self, type_name: str = ALL_TYPES, filters: Filters = (), **options: Any) -> int:
        """How many artifacts match (the server counts; one small request)."""
        params = [*list_params(filters, page_size=1, **options), ("total_count", "true")]
        total = self.page(type_name, params).total_count
        return int(total or 0)


def list_params(
    filters: Filters,
    *,
    name: str | None = None,
    version: str | None = None,
    latest: bool = False,
    tags: Iterable[str] = (),
    sort: str | None = None,
    page_size: int | None = None,
    member_status: str | None = None,
) -> list[tuple[str, str]]:
    """The query parameters of a list request."""
    pairs = list(filters.items()) if isinstance(filters, Mapping) else list(filters)
    params = [(key, _value(value)) for key, value in pairs]
    if name is not None:
        # eq: keeps a name containing a colon from reading as an operator.
        params.append(("name", f"eq:{name}"))
    if version is not None:
        params.append(("version", version))
    if latest:
        params.append(("latest", "true"))
    params += [("tags", tag) for tag in tags]
    if sort is not None:
        params.append(("sort", sort))
    if page_size is not None:
        params.append(("limit", str(page_size)))
    if member_status is not None:
        params.append(("member_status", member_status))
    return params
