"""Running a type's hooks: before-hooks may refuse, after-hooks may only fail quietly.

A type overrides the hooks it needs (``artifacts.model.base.BaseArtifact``); the registry records
which (``ArtifactType.hooks``), so an operation on a type without hooks builds no context and
calls nothing. A before-hook runs inside the operation's transaction: its refusal (any
:class:`~artifacts.errors.ArtifactError`) rolls the operation back and reaches the caller as is;
any other exception is a bug in the plugin and becomes a :class:`~artifacts.errors.PluginError`,
still with nothing changed. An after-hook runs once the change is committed; its failure is
logged with the request id and counted for the metrics, never turned into an error response.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from artifacts.engine.context import RequestContext
from artifacts.engine.registry import ArtifactType
from artifacts.errors import ArtifactError, PluginError
from artifacts.model.base import BaseArtifact
from artifacts.model.hooks import Caller

LOG = logging.getLogger(__name__)

#: Told (type name, hook name) for every after-hook that failed.
FailureListener = Callable[[str, str], None]


def caller_of(ctx: RequestContext) -> Caller:
    """The hook-facing view of a request's identity."""
    return Caller(
        project_id=ctx.project_id,
        user_id=ctx.user_id,
        roles=ctx.roles,
        is_admin=ctx.is_admin,
        request_id=ctx.request_id,
    )


class HookRunner:
    """Call hooks on artifact objects, translating and counting their failures."""

    def __init__(self) -> None:
        self._listeners: list[FailureListener] = []
        self._lock = threading.Lock()
        #: After-hook failures by (type name, hook name), for tests and the CLI.
        self.failures: Counter[tuple[str, str]] = Counter()

    def listen(self, listener: FailureListener) -> None:
        """Be told of every failed after-hook (the HTTP layer counts them in its metrics)."""
        self._listeners.append(listener)

    @staticmethod
    def wants(artifact_type: ArtifactType, *names: str) -> bool:
        """Whether the type overrides any of these hooks (else skip building their context)."""
        return not artifact_type.hooks.isdisjoint(names)

    def before(
        self, artifact_type: ArtifactType, name: str, artifact: BaseArtifact, *args: Any
    ) -> None:
        if name not in artifact_type.hooks:
            return
        try:
            getattr(artifact, name)(*args)
        except ArtifactError:
            raise
        except Exception as exc:
            LOG.exception("Hook %s.%s failed", artifact_type.name, name)
            raise PluginError(
                f"The {artifact_type.name} type's {name} hook failed; nothing was changed."
            ) from exc

    def after(
        self, artifact_type: ArtifactType, name: str, artifact: BaseArtifact, *args: Any
    ) -> None:
        if name not in artifact_type.hooks:
            return
        try:
            getattr(artifact, name)(*args)
        except Exception:
            request_id = getattr(args[0], "caller", Caller()).request_id if args else ""
            LOG.exception(
                "Hook %s.%s failed after the change was committed [request_id=%s]",
                artifact_type.name,
                name,
                request_id,
            )
            with self._lock:
                self.failures[(artifact_type.name, name)] += 1
            for listener in self._listeners:
                listener(artifact_type.name, name)
