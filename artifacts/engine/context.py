"""Who is asking: built once per request by the identity middleware, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class RequestContext:
    project_id: str | None = None
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    request_id: str = ""

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    @property
    def is_anonymous(self) -> bool:
        return self.project_id is None and not self.is_admin
