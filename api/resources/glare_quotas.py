"""Glare's quota API: ``PUT``/``GET /quotas`` and ``GET /project-quotas[/{project_id}]``.

Glare names a limit ``max_artifact_number`` or ``max_uploaded_data``, with ``:<type>`` for
one type's, and ``-1`` for none (which, set on a project, overrides a default); we add
``max_blob_size[:<type>]``. A PUT replaces the whole set of each project it names and answers
200 with ``null``, as Glare 5.0.1 does. Glare's "global quotas" are its configured defaults,
where the two project-wide limits always appear (``-1`` when unset); ours are the
``/quotas/defaults`` document. Where Glare differs by mistake we do not follow
(docs/glare-v1-wire.md lists how): an unknown quota name is 400, not stored; a project without
limits of its own gets the defaults, not a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon

from api.media import read_json, write_json
from artifacts.engine.quotas import Limits, QuotaService
from artifacts.errors import InvalidInput

#: Glare's quota names → ours.
_NAMES = {
    "max_artifact_number": "max_artifacts",
    "max_uploaded_data": "max_bytes",
    "max_blob_size": "max_blob_size",
}
_GLARE_NAMES = {ours: glare for glare, ours in _NAMES.items()}
_DEFAULTS = "*"
#: Listed in every set of limits that applies, as Glare lists its configured ones.
_ALWAYS = {"max_artifact_number": -1, "max_uploaded_data": -1}


def _wire(scopes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Scope → limits as Glare lists them: one ``{quota_name, quota_value}`` per limit set."""
    listed = []
    for scope, limits in sorted(scopes.items()):
        for ours, value in limits.as_dict().items():
            if value is None:
                continue
            name = _GLARE_NAMES[ours] + (f":{scope}" if scope else "")
            listed.append({"quota_name": name, "quota_value": value})
    return listed


def _applied(scopes: Mapping[str, Any]) -> dict[str, int]:
    """The limits that apply, by Glare name, with unset project-wide ones as ``-1``."""
    return {**_ALWAYS, **{entry["quota_name"]: entry["quota_value"] for entry in _wire(scopes)}}


def _parse(body: Any) -> dict[str, dict[str, dict[str, int | None]]]:
    """Glare's list of project quotas → project → scope → our limit name → value."""
    if not isinstance(body, list):
        raise InvalidInput("The body is a list of {project_id, project_quotas} objects.")
    values: dict[str, dict[str, dict[str, int | None]]] = {}
    for item in body:
        if not isinstance(item, dict) or set(item) != {"project_id", "project_quotas"}:
            raise InvalidInput("Each entry needs 'project_id' and 'project_quotas' only.")
        project_id, quotas = item["project_id"], item["project_quotas"]
        if not isinstance(project_id, str) or not 1 <= len(project_id) <= 255:
            raise InvalidInput("'project_id' is a string of 1 to 255 characters.")
        if not isinstance(quotas, list):
            raise InvalidInput("'project_quotas' is a list of {quota_name, quota_value}.")
        scopes: dict[str, dict[str, int | None]] = {}
        for quota in quotas:
            if not isinstance(quota, dict) or set(quota) - {"quota_name", "quota_value"}:
                raise InvalidInput("A quota is {quota_name, quota_value}.")
            name, value = quota.get("quota_name"), quota.get("quota_value")
            if not isinstance(name, str) or name.count(":") > 1:
                raise InvalidInput("'quota_name' is a limit's name, with ':<type>' at most once.")
            limit, _, scope = name.partition(":")
            if limit not in _NAMES:
                raise InvalidInput(f"Unknown quota {limit!r}: use {', '.join(sorted(_NAMES))}.")
            if isinstance(value, bool) or not isinstance(value, int) or value < -1:
                raise InvalidInput("'quota_value' is a whole number from -1 (no limit).")
            scopes.setdefault(scope, {})[_NAMES[limit]] = value
        values[project_id] = scopes
    return values


class GlareQuotas:
    """``/quotas``: list every project's limits, or replace some projects' (administrators)."""

    def __init__(self, service: QuotaService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        found = self._service.all_limits(req.context.ctx)
        defaults = found.pop(_DEFAULTS, {})
        write_json(
            resp,
            {
                "quotas": [
                    {"project_id": project, "project_quotas": _wire(scopes)}
                    for project, scopes in sorted(found.items())
                ],
                "global_quotas": _applied(defaults),
            },
        )

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        values = {
            project: {scope: Limits(**limits) for scope, limits in scopes.items()}
            for project, scopes in _parse(body).items()
        }
        self._service.replace_limits(req.context.ctx, values)
        # Glare answers this one route through its generic serializer: no charset.
        write_json(resp, None, content_type=falcon.MEDIA_JSON)


class GlareProjectQuotas:
    """``/project-quotas[/{project_id}]``: the limits that apply to a project (default: yours)."""

    def __init__(self, service: QuotaService) -> None:
        self._service = service

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, project_id: str | None = None
    ) -> None:
        ctx = req.context.ctx
        project = project_id or ctx.project_id or ""
        applied = _applied(self._service.limits_in_force(ctx, project))
        listed = [{"quota_name": name, "quota_value": value} for name, value in applied.items()]
        write_json(resp, [{"project_id": project, "project_quotas": listed}])
