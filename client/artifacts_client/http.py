"""One place that sends requests: base URL, auth, API version, retries and error mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from artifacts_client.errors import ApiError, TransportError, error_from_response
from artifacts_client.retry import RetryPolicy

USER_AGENT = "artifact-repo-client/0.1"
#: Glare's microversion header; 1.1 is the newest (it adds deleting external blobs).
API_VERSION_HEADER = "OpenStack-API-Version"
API_VERSION = "artifact 1.1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, read=300.0, write=300.0)

#: Builds a request body afresh for each try (a stream cannot be sent twice).
ContentFactory = Callable[[], Any]


class HttpSession:
    """An httpx client bound to one server, retrying what may safely be retried."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        verify: bool | str = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._client = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            timeout=timeout,
            transport=transport,
            verify=verify,
            headers={"User-Agent": USER_AGENT, API_VERSION_HEADER: API_VERSION},
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200,),
        content: ContentFactory | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send and read the whole response; raise the :class:`ApiError` of any other status."""
        with self.stream(method, path, ok=ok, content=content, **kwargs) as response:
            response.read()
            return response

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200,),
        content: ContentFactory | None = None,
        retry_body: bool = True,
        **kwargs: Any,
    ) -> Iterator[httpx.Response]:
        """Send and yield the response unread, for bodies too large to hold.

        ``content`` is called once per try; with ``retry_body=False`` (a body that cannot be
        produced twice) only failures before anything was sent are retried.
        """
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.attempts
            body = content() if content is not None else None
            request = self._client.build_request(method, path, content=body, **kwargs)
            try:
                response = self._client.send(request, stream=True)
            except httpx.TransportError as exc:
                may_retry = self.retry.retries_exception(method, exc) and (
                    retry_body or isinstance(exc, httpx.ConnectError)
                )
                if last or not may_retry:
                    raise TransportError(f"{method} {self.base_url}{path}: {exc}") from exc
                self.retry.sleep(self.retry.delay(attempt))
                continue
            if response.status_code in ok:
                try:
                    yield response
                finally:
                    response.close()
                return
            response.read()
            response.close()
            error = error_from_response(response)
            if last or not self.retry.retries_status(response.status_code) or not retry_body:
                raise error
            self.retry.sleep(self.retry.delay(attempt, error.retry_after))

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(
                response.status_code, f"{method} {path} answered something that is not JSON"
            ) from exc
