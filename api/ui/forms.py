"""The catalog's forms: lifecycle, visibility, members, answers to shares, sign-in and out.

Each form is checked for CSRF, turned into the same engine call the API makes (a JSON patch of
``/status`` or ``/visibility``, a membership added, removed or answered), and answered with a
redirect to the page it came from. What the engine refuses is shown on the artifact's page with
the engine's message and the status the API would have answered.
"""

from __future__ import annotations

from urllib.parse import quote

import falcon

from api.ui.base import (
    CatalogResource,
    error_page,
    html_errors,
    local_target,
    read_form,
    see_other,
    status_of,
)
from api.ui.pages import ArtifactPage
from api.ui.session import Visitor, forget_session, remember_session
from artifacts.errors import ArtifactError, InvalidInput, InvalidToken, Unauthenticated
from artifacts.model import lifecycle

_STATUS_DONE = {
    (lifecycle.DRAFTED, lifecycle.ACTIVE): "activated",
    (lifecycle.ACTIVE, lifecycle.DEACTIVATED): "deactivated",
    (lifecycle.DEACTIVATED, lifecycle.ACTIVE): "reactivated",
}


def artifact_path(type_name: str, artifact_id: str) -> str:
    return f"/ui/types/{type_name}/{quote(artifact_id, safe='')}"


class _ArtifactForm(CatalogResource):
    """A form posted from an artifact's page; failures re-render that page with the reason."""

    def __init__(self, page: ArtifactPage) -> None:
        super().__init__(page.catalog)
        self._page = page

    def _fail(
        self,
        req: falcon.Request,
        *,
        resp: falcon.Response,
        visitor: Visitor,
        type_name: str,
        artifact_id: str,
        exc: ArtifactError,
    ) -> None:
        try:
            self._page.show(
                req,
                resp,
                visitor,
                type_name,
                artifact_id,
                status=status_of(exc),
                error=exc.message,
            )
        except ArtifactError as hidden:
            # The visitor cannot see the artifact (or it is gone): the error the API would give.
            error_page(self.catalog, req, resp, visitor, hidden)


class StatusForm(_ArtifactForm):
    @html_errors
    def on_post(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        visitor: Visitor,
        type_name: str,
        artifact_id: str,
    ) -> None:
        form = read_form(req, visitor)
        target = form.get("status", "")
        try:
            before = self.services.artifacts.show(visitor.ctx, type_name, artifact_id)["status"]
            self.services.artifacts.update(
                visitor.ctx,
                type_name,
                artifact_id,
                [{"op": "replace", "path": "/status", "value": target}],
            )
        except ArtifactError as exc:
            self._fail(
                req,
                resp=resp,
                visitor=visitor,
                type_name=type_name,
                artifact_id=artifact_id,
                exc=exc,
            )
            return
        done = _STATUS_DONE.get((before, target))
        suffix = f"?done={done}" if done else ""
        see_other(resp, f"{artifact_path(type_name, artifact_id)}{suffix}")


class VisibilityForm(_ArtifactForm):
    @html_errors
    def on_post(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        visitor: Visitor,
        type_name: str,
        artifact_id: str,
    ) -> None:
        form = read_form(req, visitor)
        try:
            self.services.artifacts.update(
                visitor.ctx,
                type_name,
                artifact_id,
                [{"op": "replace", "path": "/visibility", "value": form.get("visibility", "")}],
            )
        except ArtifactError as exc:
            self._fail(
                req,
                resp=resp,
                visitor=visitor,
                type_name=type_name,
                artifact_id=artifact_id,
                exc=exc,
            )
            return
        see_other(resp, f"{artifact_path(type_name, artifact_id)}?done=visibility")


class MembersForm(_ArtifactForm):
    """Invite a project (``member``), or remove one (``remove``)."""

    @html_errors
    def on_post(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        visitor: Visitor,
        type_name: str,
        artifact_id: str,
    ) -> None:
        form = read_form(req, visitor)
        members = self.services.members
        try:
            if form.get("remove"):
                members.delete(visitor.ctx, type_name, artifact_id, form["remove"])
                done = "member-removed"
            else:
                members.add(visitor.ctx, type_name, artifact_id, {"member": form.get("member")})
                done = "member-added"
        except ArtifactError as exc:
            self._fail(
                req,
                resp=resp,
                visitor=visitor,
                type_name=type_name,
                artifact_id=artifact_id,
                exc=exc,
            )
            return
        see_other(resp, f"{artifact_path(type_name, artifact_id)}?done={done}")


class AnswerForm(_ArtifactForm):
    """The visitor's project accepts or rejects a share offered to it."""

    @html_errors
    def on_post(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        visitor: Visitor,
        type_name: str,
        artifact_id: str,
    ) -> None:
        form = read_form(req, visitor)
        if visitor.ctx.project_id is None:
            raise Unauthenticated("Sign in to answer a share.")
        answer = form.get("status", "")
        try:
            self.services.members.update(
                visitor.ctx, type_name, artifact_id, visitor.ctx.project_id, {"status": answer}
            )
        except ArtifactError as exc:
            self._fail(
                req,
                resp=resp,
                visitor=visitor,
                type_name=type_name,
                artifact_id=artifact_id,
                exc=exc,
            )
            return
        back = local_target(form.get("next"), artifact_path(type_name, artifact_id))
        separator = "&" if "?" in back else "?"
        if answer == lifecycle.REJECTED and back.startswith(artifact_path(type_name, "")):
            # A rejected share is hidden from the project, so its page would be a 404.
            back = "/ui/shares"
            separator = "?"
        see_other(resp, f"{back}{separator}done={answer}")


class SignIn(CatalogResource):
    """The ``tokens`` mode's sign-in: the API token once, then a cookie."""

    @html_errors
    def on_get(self, req: falcon.Request, resp: falcon.Response, visitor: Visitor) -> None:
        self._form(resp, visitor, next_page=local_target(req.get_param("next"), "/ui"))

    @html_errors
    def on_post(self, req: falcon.Request, resp: falcon.Response, visitor: Visitor) -> None:
        form = read_form(req, visitor)
        next_page = local_target(form.get("next"), "/ui")
        if not visitor.can_sign_in:
            raise InvalidInput("This catalog takes its identity from the gateway in front of it.")
        token = form.get("token", "").strip()
        try:
            self.services.tokens.authenticate(token, req.context.request_id)
        except InvalidToken as exc:
            self._form(resp, visitor, next_page=next_page, error=exc.message, status=401)
            return
        remember_session(resp, token)
        separator = "&" if "?" in next_page else "?"
        see_other(resp, f"{next_page}{separator}done=signed-in")

    def _form(
        self,
        resp: falcon.Response,
        visitor: Visitor,
        *,
        next_page: str,
        error: str | None = None,
        status: int = 200,
    ) -> None:
        self.catalog.page(
            resp, visitor, "sign_in.html", status=status, error=error, next_page=next_page
        )


class SignOut(CatalogResource):
    @html_errors
    def on_post(self, req: falcon.Request, resp: falcon.Response, visitor: Visitor) -> None:
        read_form(req, visitor)
        forget_session(resp)
        see_other(resp, "/ui")
