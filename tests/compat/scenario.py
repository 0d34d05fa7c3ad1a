"""The scenario language: plain Python functions that talk to a server through a :class:`Session`.

A scenario module under ``tests/compat/scenarios/`` decorates functions with :func:`scenario`::

    @scenario("list-limits", "limits, markers and next links on images")
    def list_limits(s: Session) -> None:
        first = s.post("/artifacts/images", json={"name": "a"}).json
        s.get(f"/artifacts/images?limit=1&marker={first['id']}")

Requests are sent as :data:`ALICE` unless ``as_=`` names another :class:`Actor` (``None`` is an
anonymous caller). A scenario reads real ids from the responses it gets; the recorder turns them
into placeholders. ``deviation="<id>"`` marks an exchange where our server deliberately answers
otherwise (the id must be listed in docs/glare-v1-wire.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Actor:
    """A caller, sent the way Glare's no-auth pipeline reads identity."""

    user: str
    project: str
    roles: tuple[str, ...] = ("member",)

    def headers(self) -> dict[str, str]:
        return {
            "X-Identity-Status": "Confirmed",
            "X-User-Id": self.user,
            "X-Project-Id": self.project,
            "X-Roles": ",".join(self.roles),
        }


ALICE = Actor("alice", "project-a")
BOB = Actor("bob", "project-b")
ADMIN = Actor("root", "project-admin", ("admin",))


@dataclass
class Reply:
    """What a scenario sees of a response: real ids, decoded JSON when there is some."""

    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def json(self) -> Any:
        import json

        return json.loads(self.content)


class Session(Protocol):
    def request(
        self,
        method: str,
        path: str,
        *,
        as_: Actor | None = ALICE,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        deviation: str | None = None,
    ) -> Reply: ...

    def get(self, path: str, **kw: Any) -> Reply: ...
    def post(self, path: str, **kw: Any) -> Reply: ...
    def put(self, path: str, **kw: Any) -> Reply: ...
    def patch(self, path: str, **kw: Any) -> Reply: ...
    def delete(self, path: str, **kw: Any) -> Reply: ...


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    run: Callable[[Session], None]
    #: The Glare pipeline the scenario needs: "noauth" (identity headers) or "trusted" (tokens).
    flavor: str = "noauth"
    module: str = field(default="")
    #: The protocol spoken, and the peer recorded: "glare" (Glare 5.0.1) or "glance" (Glance 33).
    protocol: str = "glare"


REGISTERED: list[Scenario] = []


def scenario(
    name: str, description: str, *, flavor: str = "noauth", protocol: str = "glare"
) -> Callable[[Callable[[Session], None]], Callable[[Session], None]]:
    """Register a scenario; its recording is ``recordings/<protocol>/<name>.json``."""

    def register(fn: Callable[[Session], None]) -> Callable[[Session], None]:
        REGISTERED.append(Scenario(name, description, fn, flavor, fn.__module__, protocol))
        return fn

    return register


#: A query a scenario sends, alone or with the deviation id its exchange is marked with.
Query = str | tuple[str, str]


def split_query(entry: Query) -> tuple[str, str | None]:
    """``"a=1"`` -> ``("a=1", None)``; ``("a=1", "some-deviation")`` as it is."""
    return (entry, None) if isinstance(entry, str) else entry


def patch_body(*ops: tuple[str, str, Any] | tuple[str, str]) -> list[dict[str, Any]]:
    """``patch_body(("replace", "/name", "x"), ("remove", "/tags/0"))`` as an RFC 6902 list."""
    out = []
    for op in ops:
        entry: dict[str, Any] = {"op": op[0], "path": op[1]}
        if len(op) > 2:
            entry["value"] = op[2]
        out.append(entry)
    return out


#: The media type of a Glare PATCH body.
JSON_PATCH = "application/json-patch+json"


def send_patch(
    s: Session, path: str, *ops: tuple[str, str, Any] | tuple[str, str], **kw: Any
) -> Reply:
    """PATCH ``path`` with ``patch_body(*ops)`` as a JSON patch (what glareclient sends)."""
    headers = {"Content-Type": JSON_PATCH, **kw.pop("headers", {})}
    return s.patch(path, json=patch_body(*ops), headers=headers, **kw)
