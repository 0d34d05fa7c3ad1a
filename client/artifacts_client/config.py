"""Where the client finds its server and credentials: flags, environment, a profile file.

The profile file (``$XDG_CONFIG_HOME/artifacts/client.toml``, else
``~/.config/artifacts/client.toml``; ``ARTIFACTS_CLIENT_CONFIG`` names another) holds one
table per profile::

    [default]
    url = "http://127.0.0.1:9494"
    project = "demo"          # trusted-headers servers: X-Project-Id (user, roles likewise)

    [prod]
    url = "https://artifacts.example.org"
    token = "…"               # tokens or Keystone servers

``ARTIFACTS_URL``, ``ARTIFACTS_TOKEN``, ``ARTIFACTS_PROJECT``, ``ARTIFACTS_USER`` and
``ARTIFACTS_ROLES`` override the profile's values; ``ARTIFACTS_PROFILE`` picks the profile.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from artifacts_client.client import Client
from artifacts_client.errors import ClientError

DEFAULT_URL = "http://127.0.0.1:9494"
DEFAULT_PROFILE = "default"
_KEYS = ("url", "token", "project", "user", "roles", "ca_bundle")


class ProfileError(ClientError):
    """The profile file is unreadable, or names a profile it does not have."""


@dataclass(frozen=True)
class Profile:
    name: str = DEFAULT_PROFILE
    url: str = DEFAULT_URL
    token: str | None = None
    project: str | None = None
    user: str | None = None
    roles: tuple[str, ...] = field(default=())
    #: A CA bundle to check the server's certificate against, instead of the system's.
    ca_bundle: str | None = None
    #: The file the profile was read from, if any.
    source: Path | None = None

    @property
    def auth_description(self) -> str:
        if self.token:
            return "API token"
        if self.project:
            return f"identity headers (project {self.project})"
        return "anonymous"

    def client(self, **options: Any) -> Client:
        return Client(
            self.url,
            token=self.token,
            project=self.project,
            user=self.user,
            roles=self.roles,
            verify=self.ca_bundle or True,
            **options,
        )


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("ARTIFACTS_CLIENT_CONFIG"):
        return Path(env["ARTIFACTS_CLIENT_CONFIG"])
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "artifacts" / "client.toml"


def load_profile(
    name: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> Profile:
    """The profile ``name`` (or ``$ARTIFACTS_PROFILE``, or ``default``) with overrides applied.

    Later wins: the file, then the environment, then ``overrides`` that are not None.
    """
    env = os.environ if environ is None else environ
    chosen = name or env.get("ARTIFACTS_PROFILE") or DEFAULT_PROFILE
    path = config_path(env)
    values: dict[str, Any] = {}
    source: Path | None = None
    if path.is_file():
        try:
            document = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ProfileError(f"cannot read {path}: {exc}") from exc
        table = document.get(chosen)
        if table is None and chosen != DEFAULT_PROFILE:
            raise ProfileError(f"{path} has no profile [{chosen}]")
        if table is not None:
            unknown = sorted(set(table) - set(_KEYS))
            if unknown:
                raise ProfileError(f"{path} [{chosen}]: unknown keys {', '.join(unknown)}")
            values.update(table)
            source = path
    elif name is not None and name != DEFAULT_PROFILE:
        raise ProfileError(f"profile {name!r} asked for, but there is no {path}")
    for key in _KEYS:
        if env.get(f"ARTIFACTS_{key.upper()}"):
            values[key] = env[f"ARTIFACTS_{key.upper()}"]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    roles = values.pop("roles", ())
    if isinstance(roles, str):
        roles = tuple(r.strip() for r in roles.split(",") if r.strip())
    strings: dict[str, Any] = {k: str(v) for k, v in values.items() if v is not None}
    return replace(Profile(name=chosen, source=source, roles=tuple(roles)), **strings)
