"""The state one command invocation shares: its profile and, once needed, its client."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from artifacts_client.client import Client
from artifacts_client.config import Profile


class Session:
    def __init__(self, load: Callable[[], Profile], server_config: str | None = None) -> None:
        self._load = load
        self.server_config = server_config
        self._client: Client | None = None

    @cached_property
    def profile(self) -> Profile:
        return self._load()

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self.profile.client()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
