"""A minimal in-process browser for the catalog: cookies, CSRF tokens from pages, forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html import unescape
from urllib.parse import urlencode

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.services import Services

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class Browser:
    """Keeps cookies like a browser and fills in the CSRF field from the last page it read."""

    client: falcon.testing.TestClient
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def get(self, path: str, query: str = "") -> falcon.testing.Result:
        result = self.client.simulate_get(path, query_string=query, headers=self._headers())
        self._keep(result)
        found = _CSRF.search(result.text) if "html" in (result.content_type or "") else None
        if found:
            self.csrf = found.group(1)
        return result

    def post(
        self, path: str, form: dict[str, str], *, csrf: bool = True, **headers: str
    ) -> falcon.testing.Result:
        body = {**({"csrf_token": self.csrf} if csrf else {}), **form}
        result = self.client.simulate_post(
            path,
            body=urlencode(body),
            headers={
                **self._headers(),
                "Content-Type": "application/x-www-form-urlencoded",
                **headers,
            },
        )
        self._keep(result)
        return result

    def _headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**self.headers, **({"Cookie": cookie} if cookie else {})}

    def _keep(self, result: falcon.testing.Result) -> None:
        for name, cookie in result.cookies.items():
            if cookie.value and (cookie.max_age is None or cookie.max_age > 0):
                self.cookies[name] = cookie.value
            else:
                self.cookies.pop(name, None)


@pytest.fixture
def browser(client: falcon.testing.TestClient) -> Callable[..., Browser]:
    """A browser on the trusted-headers app, as ``headers`` (a gateway's) say."""
    return lambda headers=None: Browser(client, dict(headers or {}))


@pytest.fixture
def tokens_browser(settings: Settings, services: Services) -> Callable[[], Browser]:
    """A fresh browser on an app in the ``tokens`` mode, where the catalog offers sign-in."""
    client = falcon.testing.TestClient(create_app(replace(settings, auth_mode="tokens"), services))
    return lambda: Browser(client)


def artifact_links(html: str, type_name: str) -> list[str]:
    """The ids of the artifacts a listing page links to, in page order (each once)."""
    ids = re.findall(rf'href="/ui/types/{type_name}/([0-9a-f-]{{36}})"', html)
    return list(dict.fromkeys(ids))


def text_of(html: str) -> str:
    """The page's text, tags removed, for 'the page says …' checks."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
