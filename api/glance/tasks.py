"""``/v2/tasks``, ``/v2/tasks/{id}`` and ``/v2/images/{id}/tasks``: the import tasks.

Each is the engine's task queue seen as Glance shows tasks: a list of stubs (no input, result
or message) with a ``first`` link and ``next`` when a page is full; the full task on its own;
an image's tasks in full, as Glance's ``/v2/images/{id}/tasks`` (Images API 2.12) lists them.
As in Glance, ``/v2/tasks`` is for administrators (policy ``task:api_access``); an image's
tasks are listed to whoever may see the image, those of the caller's project (all of them
to an administrator).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import falcon

from api.glance import wire
from api.glance.output import write_json
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.tasks import TaskQueue
from artifacts.errors import InvalidInput

STATUSES = ("pending", "processing", "success", "failure")
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000


def task_path(task_id: str) -> str:
    return f"/v2/tasks/{task_id}"


def to_stub(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task as Glance lists it."""
    return {
        "id": task["id"],
        "type": task["type"],
        "status": task["status"],
        "owner": task["owner"],
        "expires_at": wire.glance_time(task["expires_at"]),
        "created_at": wire.glance_time(task["created_at"]),
        "updated_at": wire.glance_time(task["updated_at"]),
        "self": task_path(task["id"]),
        "schema": "/v2/schemas/task",
    }


def to_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task as Glance shows it on its own."""
    return {
        **to_stub(task),
        "input": task["input"],
        "result": task["result"],
        "message": task["message"],
        "image_id": task["artifact_id"],
        "request_id": task["request_id"],
        "user_id": task["user_id"],
    }


class TaskCollection:
    def __init__(self, tasks: TaskQueue) -> None:
        self._tasks = tasks

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._tasks.check_api_access(req.context.ctx)
        status = req.get_param("status")
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"Invalid status value: {status}")
        direction = req.get_param("sort_dir", default="desc")
        if direction not in ("asc", "desc"):
            raise InvalidInput(f"Invalid sort direction: {direction}")
        sort_key = req.get_param("sort_key", default="created_at")
        if sort_key != "created_at":
            raise InvalidInput(f"Invalid sort key: {sort_key}")
        raw_limit = req.get_param("limit", default=str(DEFAULT_LIMIT))
        if not raw_limit.isdigit():
            raise InvalidInput("limit param must be an integer")
        limit = min(int(raw_limit), MAX_LIMIT)
        page = self._tasks.list_tasks(
            req.context.ctx,
            status=status,
            task_type=req.get_param("type"),
            limit=limit,
            marker=req.get_param("marker"),
            newest_first=direction == "desc",
        )
        body: dict[str, Any] = {
            "tasks": [to_stub(task) for task in page],
            "first": "/v2/tasks",
            "schema": "/v2/schemas/tasks",
        }
        if limit and len(page) == limit:
            query = [(k, v) for k, v in req.params.items() if k != "marker" and isinstance(v, str)]
            body["next"] = f"/v2/tasks?{urlencode([*query, ('marker', page[-1]['id'])])}"
        write_json(resp, body)


class TaskItem:
    def __init__(self, tasks: TaskQueue) -> None:
        self._tasks = tasks

    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        self._tasks.check_api_access(req.context.ctx)
        write_json(resp, to_task(self._tasks.show(req.context.ctx, task_id)))


class ImageTasks:
    """``GET /v2/images/{id}/tasks``: every task of a visible image, oldest first."""

    def __init__(self, artifacts: ArtifactService, tasks: TaskQueue) -> None:
        self._artifacts = artifacts
        self._tasks = tasks

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        ctx = req.context.ctx
        self._artifacts.show(ctx, wire.TYPE_NAME, image_id)
        found = self._tasks.list_tasks(
            ctx, artifact_id=image_id, limit=MAX_LIMIT, newest_first=False
        )
        write_json(resp, {"tasks": [to_task(task) for task in found]})
