"""The catalog's pages: home, a type's listing, an artifact, and the shares awaiting an answer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import falcon

from api.ui.base import CatalogResource, display_name, html_errors
from api.ui.query import PAGE_SIZES, SearchForm, api_url, controls
from api.ui.session import Visitor
from artifacts.engine import actions
from artifacts.engine.context import RequestContext
from artifacts.engine.registry import ALL_TYPES, ArtifactType
from artifacts.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from artifacts.model import fields as f
from artifacts.model import lifecycle
from artifacts.model.base import COMMON_FIELDS

#: Counts stop here: past it a page says "more than" (counting every match of a broad filter
#: over a large catalog would cost more than the page itself).
COUNT_UP_TO = 1000
#: Newest artifacts shown per type on the home page.
HOME_NEWEST = 4
#: Versions of one name shown on an artifact page's timeline.
TIMELINE_LENGTH = 50
#: Messages for the ``done`` parameter a form's redirect carries.
DONE_MESSAGES = {
    "activated": "The artifact is active.",
    "deactivated": "The artifact is deactivated.",
    "reactivated": "The artifact is active again.",
    "visibility": "The visibility has changed.",
    "member-added": "The project was invited; it sees the artifact once it accepts.",
    "member-removed": "The project no longer shares this artifact.",
    "accepted": "You accepted the share; the artifact is now in your listings.",
    "rejected": "You rejected the share.",
    "signed-in": "You are signed in.",
}


class HomePage(CatalogResource):
    @html_errors
    def on_get(self, req: falcon.Request, resp: falcon.Response, visitor: Visitor) -> None:
        sections = []
        params = [("limit", str(HOME_NEWEST)), ("total_count", "true")]
        for artifact_type in self.catalog.types:
            page = self.services.artifacts.list(
                visitor.ctx, artifact_type.name, params, count_up_to=COUNT_UP_TO + 1
            )
            sections.append(
                {
                    "name": artifact_type.name,
                    "title": _title(artifact_type),
                    "count": page.total_count,
                    "newest": page.items,
                }
            )
        pending = None
        if visitor.signed_in:
            pending = self.services.artifacts.list(
                as_project(visitor),
                ALL_TYPES,
                [*awaiting_answer(visitor), ("limit", "1"), ("total_count", "true")],
                count_up_to=COUNT_UP_TO + 1,
            ).total_count
        self.catalog.page(
            resp,
            visitor,
            "home.html",
            sections=sections,
            pending=pending,
            done=_done(req),
            count_up_to=COUNT_UP_TO,
        )


class TypePage(CatalogResource):
    @html_errors
    def on_get(
        self, req: falcon.Request, resp: falcon.Response, visitor: Visitor, type_name: str
    ) -> None:
        artifact_type = self.catalog.types.get(type_name)
        form = SearchForm.from_params(parse_qsl(req.query_string, keep_blank_values=True))
        query = form.query_params()
        status = 200
        errors = list(form.errors)
        items: list[dict[str, Any]] = []
        total = None
        next_url = None
        try:
            page = self.services.artifacts.list(
                visitor.ctx,
                type_name,
                [*query, ("total_count", "true")],
                count_up_to=COUNT_UP_TO + 1,
            )
        except InvalidInput as exc:
            errors.append(exc.message)
            status = 400
        else:
            items, total = page.items, page.total_count
            if page.next_marker is not None:
                next_url = _url(req.path, form.form_params(marker=page.next_marker))
        type_controls = controls(artifact_type.fields)
        self.catalog.page(
            resp,
            visitor,
            "type.html",
            status=status,
            type_name=type_name,
            title=_title(artifact_type),
            form=form,
            controls=type_controls,
            page_sizes=PAGE_SIZES,
            items=items,
            total=total,
            errors=errors,
            next_url=next_url,
            first_url=_url(req.path, form.form_params()) if form.marker else None,
            api_request=api_url(type_name, query),
            count_up_to=COUNT_UP_TO,
            columns=_list_columns(artifact_type),
        )


class ArtifactPage(CatalogResource):
    @html_errors
    def on_get(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        visitor: Visitor,
        type_name: str,
        artifact_id: str,
    ) -> None:
        self.show(req, resp, visitor, type_name, artifact_id)

    def show(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        visitor: Visitor,
        type_name: str,
        artifact_id: str,
        *,
        status: int = 200,
        error: str | None = None,
    ) -> None:
        """Render the page; forms that fail re-render it with the engine's message."""
        artifact_type = self.catalog.types.get(type_name)
        artifact = self.services.artifacts.show(visitor.ctx, type_name, artifact_id)
        versions = self.services.artifacts.list(
            visitor.ctx,
            type_name,
            [
                ("name", f"eq:{artifact['name']}"),
                ("sort", "version:desc"),
                ("limit", str(TIMELINE_LENGTH)),
            ],
        ).items
        allowed = self.services.artifacts.actions(visitor.ctx, artifact)
        members = self._members(visitor, type_name, artifact)
        own = None
        if members is not None and artifact["owner"] != visitor.ctx.project_id:
            own = next((m for m in members if m["member_id"] == visitor.ctx.project_id), None)
        fields = artifact_type.fields
        properties = [
            (name, artifact[name], fields[name].description)
            for name in fields
            if name not in COMMON_FIELDS and not fields[name].is_blob
        ]
        self.catalog.page(
            resp,
            visitor,
            "artifact.html",
            status=status,
            error=error,
            done=_done(req),
            type_name=type_name,
            type_title=_title(artifact_type),
            artifact=artifact,
            properties=[p for p in properties if not _unset(p[1])],
            unset=[p[0] for p in properties if _unset(p[1])],
            blobs=_blobs(type_name, artifact, fields),
            versions=versions,
            members=members if own is None else None,
            own_membership=own,
            is_owner=artifact["owner"] == visitor.ctx.project_id,
            actions=allowed,
            A=actions,
            visibility_choices=_visibility_choices(artifact, allowed),
        )

    def _members(
        self, visitor: Visitor, type_name: str, artifact: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        """The memberships the visitor may see (all for the owner, its own for a member)."""
        if visitor.ctx.is_anonymous:
            return None
        if not (
            visitor.ctx.is_admin
            or artifact["owner"] == visitor.ctx.project_id
            or artifact["visibility"] in lifecycle.MEMBER_VISIBILITIES
        ):
            return None
        try:
            return self.services.members.list(visitor.ctx, type_name, artifact["id"])
        except (Forbidden, Unauthenticated, NotFound):
            return None


class SharesPage(CatalogResource):
    """Shares awaiting the visitor's answer, over every type."""

    @html_errors
    def on_get(self, req: falcon.Request, resp: falcon.Response, visitor: Visitor) -> None:
        if not visitor.signed_in:
            raise Unauthenticated("Sign in to see the shares offered to your project.")
        params = parse_qsl(req.query_string)
        marker = next((value for key, value in params if key == "marker"), None)
        query = [*awaiting_answer(visitor), ("sort", "created_at:desc")]
        page = self.services.artifacts.list(
            as_project(visitor), ALL_TYPES, [*query, *([("marker", marker)] if marker else [])]
        )
        titles = {t.name: _title(t) for t in self.catalog.types}
        next_url = _url(req.path, [("marker", page.next_marker)]) if page.next_marker else None
        self.catalog.page(
            resp,
            visitor,
            "shares.html",
            items=page.items,
            titles=titles,
            next_url=next_url,
            done=_done(req),
        )


def awaiting_answer(visitor: Visitor) -> list[tuple[str, str]]:
    """The query for shares awaiting the visitor's answer.

    ``member_status=pending`` brings pending shares into a listing that still holds the
    caller's own and the public artifacts; the visibility and owner conditions keep only the
    shares offered by other projects.
    """
    return [
        ("member_status", lifecycle.PENDING),
        ("visibility", f"in:{lifecycle.SHARED},{lifecycle.COMMUNITY}"),
        ("owner", f"neq:{visitor.ctx.project_id}"),
    ]


def as_project(visitor: Visitor) -> RequestContext:
    """The visitor as its project alone: shares are offered to a project, not to a role.

    An administrator sees every artifact, so through its full context "shares awaiting an
    answer" would be every shared artifact of every project.
    """
    return replace(visitor.ctx, roles=frozenset())


def _unset(value: Any) -> bool:
    return value is None or value in ([], {})


def _title(artifact_type: ArtifactType) -> str:
    return display_name(artifact_type.cls.DISPLAY_NAME, artifact_type.name)


def _done(req: falcon.Request) -> str | None:
    return DONE_MESSAGES.get(req.get_param("done") or "")


def _url(path: str, params: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _list_columns(artifact_type: ArtifactType) -> list[str]:
    """Up to three type fields worth a column in the listing: its sortable scalar fields."""
    return [
        name
        for name, field in artifact_type.fields.items()
        if name not in COMMON_FIELDS
        and field.sortable
        and not isinstance(field, f.List | f.Dict)
        and not field.is_blob
    ][:3]


def _blobs(
    type_name: str, artifact: dict[str, Any], fields: dict[str, f.Field]
) -> list[dict[str, Any]]:
    """Every blob slot with its data (or None when empty) and where to download it."""
    out = []
    base = f"/ui/types/{type_name}/{artifact['id']}/download"
    for name, field in fields.items():
        if not field.is_blob:
            continue
        value = artifact[name]
        entries = value.items() if isinstance(field, f.BlobDict) else [("", value)]
        for key, blob in entries:
            download = None
            if blob is not None and (blob["external"] or blob["size"] is not None):
                download = blob["url"] if blob["external"] else f"{base}/{name}"
                if key and not blob["external"]:
                    download += f"/{quote(key, safe='/')}"
            out.append({"field": name, "key": key, "blob": blob, "download": download})
        if isinstance(field, f.BlobDict) and not value:
            out.append({"field": name, "key": "", "blob": None, "download": None})
    return out


def _visibility_choices(artifact: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    """The visibilities the visitor may move the artifact to."""
    current = artifact["visibility"]
    choices = []
    for visibility in lifecycle.VISIBILITIES:
        if visibility == current:
            continue
        needed = actions.PUBLICIZE if lifecycle.PUBLIC in (visibility, current) else actions.SHARE
        if needed in allowed:
            choices.append(visibility)
    return choices
