"""The artifact service: create, show, list, update (JSON-patch) and delete, with the rules.

Concurrency: every change runs in one write transaction that first locks the artifact's row
(``SELECT … FOR UPDATE`` on PostgreSQL, the database write lock taken by ``BEGIN IMMEDIATE`` on
SQLite), then reads, patches, validates and writes it. Two concurrent PATCHes of one artifact are
therefore applied one after the other, each to the other's result: no update is lost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db import list_shapes, listing, reads, rows, upload_sessions, visibility
from artifacts.db import repository as repo
from artifacts.db.models import ArtifactRow, BlobRow
from artifacts.db.session import Database
from artifacts.engine import quotas
from artifacts.engine.actions import available_actions
from artifacts.engine.blobs import IN_FLIGHT, DataRemover, blob_values
from artifacts.engine.contents import ContentRefs
from artifacts.engine.context import RequestContext
from artifacts.engine.hooks import HookRunner, caller_of
from artifacts.engine.patching import PatchRules, parse_patch
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import ALL_TYPES, ArtifactType, TypeRegistry
from artifacts.engine.versions import readable_properties, stamp, writable_properties
from artifacts.errors import (
    ArtifactNotFound,
    Conflict,
    DuplicateArtifact,
    InvalidInput,
    InvalidValue,
    ReadOnlyField,
    UnknownField,
)
from artifacts.model import fields as f
from artifacts.model import lifecycle, text
from artifacts.model.base import (
    ALL_TYPE_FIELDS,
    COMMON_FIELDS,
    DISPLAY_TYPE_NAME_FIELD,
    BaseArtifact,
)
from artifacts.model.hooks import HookContext
from artifacts.model.query import (
    LATEST,
    RESERVED_PARAMS,
    ListQuery,
    parse_filters,
    parse_flag,
    parse_sort,
    split_sort,
)

Clock = Callable[[], dt.datetime]


#: Every artifact document names its type's display name (Glare's read-only field).
DISPLAY_TYPE_NAME = "display_type_name"
#: Changes that can make a public artifact's name and version clash with another public one.
_PUBLIC_SCOPE = frozenset({"name", "version", "visibility"})


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class ListLimits:
    default: int = 25
    maximum: int = 1000
    #: Matches a ``total_count`` counts before it stops (``Page.total_count_limited``); 0: all.
    count: int = 1_000
    #: Rows a bounded count with per-row filters examines at most (``ListCompiler.count``);
    #: 0: no bound. Only with ``count``: exact counts are exact.
    scan: int = 10_000


@dataclass(frozen=True)
class Page:
    """One page of a listing; ``next_marker`` is set when more artifacts follow."""

    items: list[dict[str, Any]]
    next_marker: str | None
    query: ListQuery
    #: Every artifact matching the query (not only this page), when the query asked for it.
    total_count: int | None = None
    #: True when counting stopped at the count limit, or at the rows it may examine: at least
    #: ``total_count`` match.
    total_count_limited: bool = False


class ArtifactService:
    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        policy: Policy,
        *,
        limits: ListLimits | None = None,
        clock: Clock = utcnow,
        new_id: Callable[[], str] = new_uuid,
        remover: DataRemover | None = None,
        contents: ContentRefs | None = None,
        hooks: HookRunner | None = None,
    ) -> None:
        self._remover = remover
        self._contents = contents
        self._hooks = hooks or HookRunner()
        self._db = db
        self._types = types
        self._policy = policy
        self._limits = limits or ListLimits()
        # Per service, hence per type registry: a shape names fields, whose SQL the types define.
        self._list_statements = list_shapes.StatementCache()
        self._clock = clock
        self._new_id = new_id

    # --- reads ---------------------------------------------------------------------------------

    def show(self, ctx: RequestContext, type_name: str, artifact_id: str) -> dict[str, Any]:
        scope = None if type_name == ALL_TYPES else self._types.get(type_name).name
        with self._db.read_statement() as connection:
            found = reads.artifact_with_blobs(connection, artifact_id, type_name=scope)
            if found is None or not visibility.is_visible(
                connection, found[0], ctx.project_id, ctx.is_admin
            ):
                raise ArtifactNotFound(artifact_id)
        row, blobs = found
        self._policy.enforce(ctx, "artifact:show", Target(owner=row.owner))
        if scope is None:
            if row.type_name not in self._types:
                raise ArtifactNotFound(artifact_id)
            # Through "all", an artifact is shown as the "all" schema describes it.
            return self._render_common(row)
        return _render(self._types.get(row.type_name), row, blobs)

    def actions(self, ctx: RequestContext, artifact: Mapping[str, Any]) -> frozenset[str]:
        """What ``ctx`` may do to ``artifact`` (as :meth:`show` rendered it); see engine.actions."""
        return available_actions(self._policy, ctx, artifact)

    def list(
        self,
        ctx: RequestContext,
        type_name: str,
        params: Sequence[tuple[str, str]],
        *,
        count: bool = False,
        count_up_to: int | None = None,
    ) -> Page:
        """List visible artifacts matching Glare query parameters, one page at a time.

        The page carries ``total_count`` when ``count`` is set (Glare's lists always do) or the
        query asks for it with ``total_count=true``: counting costs a query over every page.
        ``count_up_to`` bounds it (a front door that shows "more than N" need not count a
        million rows); without it the count stops past ``ListLimits.count`` matches, or, with
        filters tested row by row, after examining ``ListLimits.scan`` rows, and the page says so
        (``total_count_limited``), so no list reads every row of a large type.
        """
        # What needs no type is checked first, as Glare checks it: the limit, sort directions.
        single = _single_params(params)
        limit = self._parse_limit(single.get("limit"))
        split_sort(single.get("sort"))
        self._policy.enforce(ctx, "artifact:list")
        all_types = type_name == ALL_TYPES
        artifact_type = None if all_types else self._types.get(type_name)
        fields = {
            **(ALL_TYPE_FIELDS if artifact_type is None else artifact_type.fields),
            DISPLAY_TYPE_NAME: DISPLAY_TYPE_NAME_FIELD,
        }
        params, member_statuses = _member_statuses(params)
        query = self._parse_list_query(params, single, fields, limit)
        compiler = listing.ListCompiler(
            self._db.dialect,
            fields,
            {t.name: t.display_name for t in self._types},
            self._list_statements,
        )
        # The page and its total_count answer the same question: who lists what, of which types.
        scope: dict[str, Any] = {
            "type_names": self._types.names() if all_types else [type_name],
            "query": query,
            "project_id": ctx.project_id,
            "is_admin": ctx.is_admin,
            "member_statuses": member_statuses,
        }
        count_limit = self._limits.count if count_up_to is None and self._limits.count else None
        scan = self._limits.scan if count_limit is not None and self._limits.scan else None
        complete = True
        with self._db.read() as session:
            rows, more = compiler.select_page(session, **scope)
            total = None
            if count or query.total_count:
                up_to = count_up_to if count_limit is None else count_limit + 1
                if query.marker is None and not more:
                    # The first page holds every match: it is the count.
                    total = len(rows) if up_to is None else min(len(rows), up_to)
                else:
                    counted = compiler.count(session, **scope, up_to=up_to, scan=scan)
                    total, complete = counted
            if all_types:
                items = [self._render_common(row) for row in rows]
            else:
                assert artifact_type is not None
                blobs = reads.blobs_of(session.connection(), [row.id for row in rows])
                items = [_render(artifact_type, row, blobs[row.id]) for row in rows]
        next_marker = rows[-1].id if more and rows else None
        over = count_limit is not None and total is not None and total > count_limit
        return Page(
            items=items,
            next_marker=next_marker,
            query=query,
            total_count=count_limit if over else total,
            total_count_limited=over or not complete,
        )

    @staticmethod
    def _parse_list_query(
        params: Sequence[tuple[str, str]],
        single: Mapping[str, str],
        fields: Mapping[str, f.Field],
        limit: int,
    ) -> ListQuery:
        return ListQuery(
            filters=parse_filters(params, fields),
            sort=parse_sort(single.get("sort"), fields),
            limit=limit,
            marker=single.get("marker"),
            latest=parse_flag("latest", single.get("latest"))
            or any(key == "version" and value == LATEST for key, value in params),
            total_count=parse_flag("total_count", single.get("total_count")),
        )

    def _parse_limit(self, raw: str | None) -> int:
        """Glare's limit: a whole number from 0 (an empty page that still counts) to the cap."""
        if raw is None:
            return self._limits.default
        try:
            limit = int(raw)
        except ValueError:
            raise InvalidInput(f"limit must be a whole number, not {raw!r}.") from None
        if limit < 0:
            raise InvalidInput("limit must not be negative.")
        return min(limit, self._limits.maximum)

    # --- writes --------------------------------------------------------------------------------

    def create(
        self, ctx: RequestContext, type_name: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        artifact_type = self._types.writable(type_name)
        self._policy.enforce(ctx, "artifact:create")
        fields = artifact_type.fields
        for name, value in body.items():
            self._check_writable_on_create(fields, name, value)
        now = self._clock()
        document = {name: field.to_json(field.initial_value()) for name, field in fields.items()}
        document.update({name: fields[name].coerce_input(value) for name, value in body.items()})
        document.update(
            {
                "id": self._new_id(),
                "owner": ctx.project_id or "",
                "status": lifecycle.DRAFTED,
                "visibility": lifecycle.PRIVATE,
                "created_at": f.format_datetime(now),
                "updated_at": f.format_datetime(now),
                "activated_at": None,
            }
        )
        artifact_type.validator.validate(document)
        values = {name: fields[name].from_document(document[name]) for name in fields}
        obj = _build(artifact_type.cls, values)
        hook = None
        if self._hooks.wants(artifact_type, "before_create", "after_create"):
            hook = HookContext(
                event="create",
                caller=caller_of(ctx),
                type_name=type_name,
                artifact_id=document["id"],
                before=None,
                after=obj.to_json(),
                changed=frozenset(body),
            )
        with self._db.write() as session:
            self._check_links(session, ctx, artifact_type, obj, set(body))
            self._hooks.before(artifact_type, "before_create", obj, hook)
            quotas.charge_artifact(session, document["owner"], type_name)
            row = repo.insert(session, _row_values(artifact_type, obj))
            rendered = _render(artifact_type, row, [])
        if hook is not None:
            after = dataclasses.replace(hook, after=rendered)
            self._hooks.after(artifact_type, "after_create", obj, after)
        return rendered

    def update(
        self,
        ctx: RequestContext,
        type_name: str,
        artifact_id: str,
        patch: Any,
    ) -> dict[str, Any]:
        """Apply an RFC 6902 JSON patch atomically, operation by operation (engine.patching)."""
        artifact_type = self._types.writable(type_name)
        steps = parse_patch(patch)
        with self._db.write() as session:
            row = self._load(session, ctx, type_name, artifact_id, for_update=True)
            target = Target.of(row)
            self._policy.enforce(ctx, "artifact:update", target)
            fields = artifact_type.fields
            blobs = repo.blobs_of(session, [row.id])[row.id]
            current = rows.field_values(row, fields, writable_properties(artifact_type, row))
            current.update(blob_values(type_name, fields, blobs))
            before = _wire_document(fields, current)
            rules = PatchRules(
                fields,
                enforce=lambda rule: self._policy.enforce(ctx, rule, target),
                validate=artifact_type.validator.validate,
                read_only=frozenset({DISPLAY_TYPE_NAME}),
            )
            after = rules.apply(steps, {**before, DISPLAY_TYPE_NAME: artifact_type.display_name})
            del after[DISPLAY_TYPE_NAME]
            # Operations can build a value deeper than any one of them carries.
            text.check_document(after, "The patched artifact")
            changed = {name for name in fields if after[name] != before[name]}
            if not changed:
                return _render(artifact_type, row, blobs)
            now = self._clock()
            after["updated_at"] = f.format_datetime(now)
            if "status" in changed and after["status"] == lifecycle.ACTIVE:
                after["activated_at"] = before["activated_at"] or f.format_datetime(now)
            artifact_type.validator.validate(after)
            values = {name: fields[name].from_document(after[name]) for name in fields}
            obj = _build(artifact_type.cls, values)
            if "status" in changed and any(blob.status in IN_FLIGHT for blob in blobs):
                raise Conflict(
                    "The status cannot change while a blob is being uploaded or checked."
                )
            if after["visibility"] == lifecycle.PUBLIC and changed & _PUBLIC_SCOPE:
                self._check_public_name(session, type_name, artifact_id, obj)
            self._check_links(session, ctx, artifact_type, obj, changed)
            events = _update_events(after, changed)
            hook_names = [f"{when}_{event}" for event in events for when in ("before", "after")]
            hooks: list[HookContext] = []
            if self._hooks.wants(artifact_type, *hook_names):
                caller = caller_of(ctx)
                hooks = [
                    HookContext(
                        event=event,
                        caller=caller,
                        type_name=type_name,
                        artifact_id=artifact_id,
                        before=before,
                        after=after,
                        changed=frozenset(changed),
                    )
                    for event in events
                ]
                for hook in hooks:
                    self._hooks.before(artifact_type, f"before_{hook.event}", obj, hook)
            repo.update(session, row, _row_values(artifact_type, obj))
            rendered = _render(artifact_type, row, blobs)
        for hook in hooks:
            committed = dataclasses.replace(hook, after=rendered)
            self._hooks.after(artifact_type, f"after_{hook.event}", obj, committed)
        return rendered

    @staticmethod
    def _check_public_name(
        session: Session, type_name: str, artifact_id: str, obj: BaseArtifact
    ) -> None:
        """A public artifact's name and version are unique among the type's public artifacts.

        Every project sees public artifacts, so two with one name and version would make
        ``name=…&version=…`` ambiguous for all of them (Glare's public scope).
        """
        name, version = getattr(obj, "name"), getattr(obj, "version")  # noqa: B009
        if repo.public_name_taken(session, type_name, name, version, artifact_id):
            raise DuplicateArtifact(
                f"A public {type_name} artifact named {name!r} with version {version} "
                "already exists."
            )

    def delete(self, ctx: RequestContext, type_name: str, artifact_id: str) -> None:
        """Delete the artifact, then its blob data (what cannot be deleted becomes an orphan)."""
        artifact_type = self._types.writable(type_name)
        hooked: tuple[BaseArtifact, HookContext] | None = None
        with self._db.write() as session:
            row = self._load(session, ctx, type_name, artifact_id, for_update=True)
            self._policy.enforce(ctx, "artifact:delete", Target.of(row))
            locations, shared = [], []
            stored = reserved = 0
            blobs = repo.blobs_of(session, [row.id])[row.id]
            for blob in blobs:
                if blob.store and blob.location:
                    shared.append((blob.store, blob.location))
                    stored += blob.size or 0
                if blob.pending_store and blob.pending_location:
                    locations.append((blob.pending_store, blob.pending_location))
                reserved += blob.pending_reserved or 0
            locations.extend(repo.import_locations(session, row.id))
            for upload in upload_sessions.of_artifact(session, row.id):
                reserved += upload.reserved
                if upload.status == upload_sessions.RECEIVING:
                    locations.append((upload.store, upload.location))
            if self._hooks.wants(artifact_type, "before_delete", "after_delete"):
                properties = readable_properties(artifact_type, row)
                values = rows.field_values(row, artifact_type.fields, properties)
                values.update(blob_values(type_name, artifact_type.fields, blobs))
                obj = artifact_type.cls.from_values(values)
                hook = HookContext(
                    event="delete",
                    caller=caller_of(ctx),
                    type_name=type_name,
                    artifact_id=artifact_id,
                    before=_render(artifact_type, row, blobs),
                    after=None,
                    changed=frozenset(),
                )
                self._hooks.before(artifact_type, "before_delete", obj, hook)
                hooked = (obj, hook)
            quotas.release(
                session, row.owner, type_name, artifacts=1, stored=stored, reserved=reserved
            )
            if self._contents is not None:
                shared = self._contents.release(session, shared)
            locations += shared
            repo.delete(session, row)
        if locations and self._remover is not None:
            self._remover.remove(locations, f"artifact {artifact_id} deleted")
        if hooked is not None:
            self._hooks.after(artifact_type, "after_delete", *hooked)

    # --- rules ---------------------------------------------------------------------------------

    @staticmethod
    def _check_writable_on_create(fields: Mapping[str, f.Field], name: str, value: Any) -> None:
        field = fields.get(name)
        if field is None:
            raise UnknownField(f"Unknown field {name!r}.")
        if field.system:
            raise ReadOnlyField(f"Field {name!r} is set by the server.")
        if field.is_blob:
            raise InvalidInput(f"Blob field {name!r} is uploaded with PUT on its own path.")
        if name in ("status", "visibility"):
            raise InvalidInput(
                f"{name} is not allowed in a request at creation: an artifact starts drafted "
                "and private; change it with PATCH."
            )

    def _check_links(
        self,
        session: Session,
        ctx: RequestContext,
        artifact_type: ArtifactType,
        obj: BaseArtifact,
        names: Iterable[str],
    ) -> None:
        """Refuse links to artifacts that do not exist or that the caller cannot see."""
        for name in names:
            field = artifact_type.fields[name]
            value = getattr(obj, name)
            for target in field.links(value):
                _, _, link_type, link_id = target.split("/")
                if link_type not in self._types:
                    raise InvalidValue(f"Field {name!r} links to unknown type {link_type!r}.")
                linked = repo.get_visible(
                    session,
                    link_id,
                    type_name=link_type,
                    project_id=ctx.project_id,
                    is_admin=ctx.is_admin,
                )
                if linked is None:
                    raise InvalidValue(f"Field {name!r} links to {target}, which does not exist.")

    # --- helpers -------------------------------------------------------------------------------

    def _load(
        self,
        session: Session,
        ctx: RequestContext,
        type_name: str | None,
        artifact_id: str,
        *,
        for_update: bool = False,
    ) -> ArtifactRow:
        row = repo.get_visible(
            session,
            artifact_id,
            type_name=type_name,
            project_id=ctx.project_id,
            is_admin=ctx.is_admin,
            for_update=for_update and self._db.locks_rows,
        )
        if row is None or (type_name is None and row.type_name not in self._types):
            raise ArtifactNotFound(artifact_id)
        return row

    @staticmethod
    def render(session: Session, artifact_type: ArtifactType, row: ArtifactRow) -> dict[str, Any]:
        """Render one artifact with its blobs, inside the caller's transaction."""
        return _render(artifact_type, row, repo.blobs_of(session, [row.id])[row.id])

    def _render_common(self, row: ArtifactRow | reads.ArtifactRecord) -> dict[str, Any]:
        values = _common_wire_values(row)
        document = {name: values[name] for name in COMMON_FIELDS}
        document["type_name"] = row.type_name
        known = row.type_name in self._types
        document[DISPLAY_TYPE_NAME] = (
            self._types.get(row.type_name).display_name if known else row.type_name
        )
        return document


# --- module helpers ------------------------------------------------------------------------------

#: ``member_status`` values of a list → the memberships that bring shares into it (Glance's
#: parameter; a rejected share is hidden from its member, so it cannot be listed).
_MEMBER_STATUS_PARAM = "member_status"
_MEMBER_STATUSES: Mapping[str, tuple[str, ...]] = {
    lifecycle.ACCEPTED: (lifecycle.ACCEPTED,),
    lifecycle.PENDING: (lifecycle.PENDING,),
    "all": (lifecycle.ACCEPTED, lifecycle.PENDING),
}


def _single_params(params: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The parameters that shape a listing, each of which may be given once."""
    single: dict[str, str] = {}
    for name in RESERVED_PARAMS:
        values = [value for key, value in params if key == name]
        if len(values) > 1:
            raise InvalidInput(f"Query parameter {name!r} may be given only once.")
        if values:
            single[name] = values[0]
    return single


def _member_statuses(
    params: Sequence[tuple[str, str]],
) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """Split ``member_status`` off the list parameters (the rest are the query language)."""
    values = [value for key, value in params if key == _MEMBER_STATUS_PARAM]
    rest = [(key, value) for key, value in params if key != _MEMBER_STATUS_PARAM]
    if len(values) > 1:
        raise InvalidInput(f"Query parameter {_MEMBER_STATUS_PARAM!r} may be given only once.")
    if not values:
        return rest, _MEMBER_STATUSES[lifecycle.ACCEPTED]
    statuses = _MEMBER_STATUSES.get(values[0])
    if statuses is None:
        raise InvalidInput(
            f"{_MEMBER_STATUS_PARAM} must be one of {', '.join(_MEMBER_STATUSES)}, "
            f"not {values[0]!r}."
        )
    return rest, statuses


def _render(
    artifact_type: ArtifactType,
    row: ArtifactRow | reads.ArtifactRecord,
    blobs: Iterable[BlobRow | reads.BlobRecord],
) -> dict[str, Any]:
    """The wire document of one artifact, straight from its row.

    Type-specific values are stored in their wire form (``rows.row_values`` writes datetimes
    with ``format_datetime``), so they are copied rather than parsed and formatted again:
    rendering is most of a list page's work.
    """
    fields = artifact_type.fields
    document = _common_wire_values(row)
    properties = readable_properties(artifact_type, row)
    blob_documents = blob_values(row.type_name, fields, blobs)
    for name, field in fields.items():
        if name in document:
            continue
        if field.is_blob:
            document[name] = blob_documents[name]
        elif name in properties:
            document[name] = properties[name]
        else:
            document[name] = field.to_json(field.initial_value())
    rendered = {name: document[name] for name in fields}
    rendered[DISPLAY_TYPE_NAME] = artifact_type.display_name
    return rendered


def _row_values(artifact_type: ArtifactType, obj: BaseArtifact) -> dict[str, Any]:
    """The columns storing an artifact at its type's current schema version."""
    values = rows.row_values(artifact_type.name, obj.to_values(), artifact_type.fields)
    values.update(stamp(artifact_type, values["properties"]))
    return values


def _common_wire_values(row: ArtifactRow | reads.ArtifactRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "owner": row.owner,
        "visibility": row.visibility,
        "status": row.status,
        "description": row.description,
        "tags": list(row.tags),
        "metadata": dict(row.metadata_),
        "created_at": _wire_time(row.created_at),
        "updated_at": _wire_time(row.updated_at),
        "activated_at": _wire_time(row.activated_at),
    }


def _wire_time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        # SQLite hands back naive datetimes, and everything stored is UTC: format it as is
        # (a list page formats 75 of these; the aware round trip was a fifth of rendering).
        return value.isoformat(timespec="seconds") + "Z"
    return f.format_datetime(value)


def _wire_document(fields: Mapping[str, f.Field], values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: field.to_json(values[name] if name in values else field.initial_value())
        for name, field in fields.items()
    }


def _build(cls: type[BaseArtifact], values: Mapping[str, Any]) -> BaseArtifact:
    """Coerce validated values through the versioned object (e.g. '1' becomes '1.0.0')."""
    obj = cls()
    for name, value in values.items():
        try:
            setattr(obj, name, value)
        except (ValueError, TypeError) as exc:
            raise InvalidValue(f"Invalid value for {name!r}: {exc}") from None
    return obj


def _update_events(after: Mapping[str, Any], changed: Iterable[str]) -> list[str]:
    """The hook events of one accepted PATCH: always "update", then the lifecycle ones."""
    events = ["update"]
    if "status" in changed:
        if after["status"] == lifecycle.ACTIVE:
            events.append("activate")
        elif after["status"] == lifecycle.DEACTIVATED:
            events.append("deactivate")
    if "visibility" in changed and after["visibility"] == lifecycle.PUBLIC:
        events.append("publish")
    return events
