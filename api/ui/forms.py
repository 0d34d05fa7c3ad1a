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
    """A form posted from an artifact's page: one engine call, then a redirect.

    A form class says what its engine call is (:meth:`act`) and where the visitor goes next
    (:meth:`target`); what the engine refuses re-renders the artifact's page with the reason.
    """

    def __init__(self, page: ArtifactPage) -> None:
        super().__init__(page.catalog)
        self._page = page

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
            done = self.act(visitor, type_name, artifact_id, form)
        except ArtifactError as exc:
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
                # The visitor cannot see the artifact (or it is gone): what the API would say.
                error_page(self.catalog, req, resp, visitor, hidden)
            return
        see_other(resp, self.target(type_name, artifact_id, form, done))

    def act(
        self, visitor: Visitor, type_name: str, artifact_id: str, form: dict[str, str]
    ) -> str | None:
        """Make the engine call; answer the ``done`` notice the page shows, if any."""
        raise NotImplementedError

    def target(
        self, type_name: str, artifact_id: str, form: dict[str, str], done: str | None
    ) -> str:
        suffix = f"?done={done}" if done else ""
        return f"{artifact_path(type_name, artifact_id)}{suffix}"

    def _patch(
        self, visitor: Visitor, type_name: str, artifact_id: str, path: str, value: str
    ) -> None:
        operation = {"op": "replace", "path": path, "value": value}
        self.services.artifacts.update(visitor.ctx, type_name, artifact_id, [operation])


class StatusForm(_ArtifactForm):
    def act(
        self, visitor: Visitor, type_name: str, artifact_id: str, form: dict[str, str]
    ) -> str | None:
        target = form.get("status", "")
        before = self.services.artifacts.show(visitor.ctx, type_name, artifact_id)["status"]
        self._patch(visitor, type_name, artifact_id, "/status", target)
        return _STATUS_DONE.get((before, target))


class VisibilityForm(_ArtifactForm):
    def act(
        self, visitor: Visitor, type_name: str, artifact_id: str, form: dict[str, str]
    ) -> str | None:
        self._patch(visitor, type_name, artifact_id, "/visibility", form.get("visibility", ""))
        return "visibility"


class MembersForm(_ArtifactForm):
    """Invite a project (``member``), or remove one (``remove``)."""

    def act(
        self, visitor: Visitor, type_name: str, artifact_id: str, form: dict[str, str]
    ) -> str | None:
        members = self.services.members
        if form.get("remove"):
            members.delete(visitor.ctx, type_name, artifact_id, form["remove"])
            return "member-removed"
        members.add(visitor.ctx, type_name, artifact_id, {"member": form.get("member")})
        return "member-added"


class AnswerForm(_ArtifactForm):
    """The visitor's project accepts or rejects a share offered to it."""

    def act(
        self, visitor: Visitor, type_name: str, artifact_id: str, form: dict[str, str]
    ) -> str | None:
        if visitor.ctx.project_id is None:
            raise Unauthenticated("Sign in to answer a share.")
        answer = form.get("status", "")
        self.services.members.update(
            visitor.ctx, type_name, artifact_id, visitor.ctx.project_id, {"status": answer}
        )
        return answer

    def target(
        self, type_name: str, artifact_id: str, form: dict[str, str], done: str | None
    ) -> str:
        back = local_target(form.get("next"), artifact_path(type_name, artifact_id))
        if done == lifecycle.REJECTED and back.startswith(artifact_path(type_name, "")):
            # A rejected share is hidden from the project, so its page would be a 404.
            back = "/ui/shares"
        separator = "&" if "?" in back else "?"
        return f"{back}{separator}done={done}"


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
