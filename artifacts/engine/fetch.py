"""Fetch a URL for ``web-download`` without letting the URL reach what it must not.

A web-download makes this service send a request wherever a caller says, from inside the
cloud: to the metadata service (169.254.169.254), to the database's host, to a port on
loopback. So before every connection the :class:`FetchPolicy` checks the URL (scheme, host and
port against the allow and deny lists), resolves the host and checks every address the
resolver answers (refusing loopback, private, link-local, shared, multicast and reserved ranges
unless an ``allowed_networks`` range admits them), and then connects to the address it checked,
never resolving again (a second answer could differ: DNS rebinding). Redirects are not
followed by a library but here, one at a time, each target checked as the first URL was.

Address spelling is :func:`artifacts.engine.locations.parse_address`'s (``127.1``,
``0x7f.1``, ``[::ffff:127.0.0.1]`` are all loopback), public-ness its :func:`is_public`.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from artifacts.engine.locations import MAX_URL_LENGTH, IPAddress, IPNetwork, is_public
from artifacts.engine.locations import parse_address as _parse_address
from artifacts.errors import InvalidInput, ServiceUnavailable

Resolver = Callable[[str, int], list[IPAddress]]
MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}


class SourceRefused(InvalidInput):
    """The URL (or a redirect, or an address its host resolves to) is not allowed."""

    code = "import_source_refused"


class SourceFailed(InvalidInput):
    """The source answered, but not with the data (a 4xx, too many redirects)."""

    code = "import_source_failed"


class SourceUnavailable(ServiceUnavailable):
    """The source could not be reached or failed (5xx): worth another try later."""

    code = "import_source_unavailable"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class FetchPolicy:
    """What ``web-download`` may fetch: schemes, hosts, ports and address ranges."""

    allowed_schemes: tuple[str, ...] = ("http", "https")
    disallowed_schemes: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    disallowed_hosts: tuple[str, ...] = ()
    #: Empty: any port.
    allowed_ports: tuple[int, ...] = (80, 443)
    disallowed_ports: tuple[int, ...] = ()
    allowed_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(
        cls,
        *,
        allowed_schemes: Iterable[str],
        disallowed_schemes: Iterable[str],
        allowed_hosts: Iterable[str],
        disallowed_hosts: Iterable[str],
        allowed_ports: Iterable[str],
        disallowed_ports: Iterable[str],
        allowed_networks: Iterable[str],
    ) -> FetchPolicy:
        return cls(
            allowed_schemes=tuple(s.lower() for s in allowed_schemes),
            disallowed_schemes=tuple(s.lower() for s in disallowed_schemes),
            allowed_hosts=tuple(h.lower().rstrip(".") for h in allowed_hosts),
            disallowed_hosts=tuple(h.lower().rstrip(".") for h in disallowed_hosts),
            allowed_ports=tuple(int(p) for p in allowed_ports),
            disallowed_ports=tuple(int(p) for p in disallowed_ports),
            allowed_networks=tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks),
        )

    def check_url(self, url: str) -> Target:
        """Check everything the URL itself says; raise SourceRefused if anything is refused."""
        if len(url) > MAX_URL_LENGTH or not url.isascii() or any(c <= " " for c in url):
            raise SourceRefused(
                f"The URL must be at most {MAX_URL_LENGTH} printable ASCII characters."
            )
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise SourceRefused(f"{url} is not a valid URL.") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise SourceRefused(f"The URL scheme {scheme or '(none)'} is not supported.")
        if scheme in self.disallowed_schemes or (
            self.allowed_schemes and scheme not in self.allowed_schemes
        ):
            raise SourceRefused(f"The URL scheme {scheme} is not allowed.")
        host = (parts.hostname or "").rstrip(".").lower()
        if not host or parts.username is not None or parts.password is not None:
            raise SourceRefused("The URL needs a host and must carry no user name or password.")
        if _listed(host, self.disallowed_hosts) or (
            self.allowed_hosts and not _listed(host, self.allowed_hosts)
        ):
            raise SourceRefused(f"The host {host} is not allowed.")
        port = port if port is not None else DEFAULT_PORTS[scheme]
        if port in self.disallowed_ports or (self.allowed_ports and port not in self.allowed_ports):
            raise SourceRefused(f"The port {port} is not allowed.")
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        return Target(scheme, host, port, path)

    def check_address(self, host: str, address: IPAddress) -> None:
        """Refuse an address that is not public, unless an allowed range holds it."""
        if any(address in network for network in self.allowed_networks):
            return
        if not is_public(address):
            raise SourceRefused(
                f"The host {host} resolves to {address}, which is not a public address "
                "(loopback, private, link-local, multicast and reserved ranges are refused)."
            )


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver answers for ``host`` (literals: the address itself)."""
    literal = _parse_address(host)
    if literal is not None:
        return [literal]
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise SourceUnavailable(f"The host {host} cannot be resolved: {exc}") from None
    out: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in out:
            out.append(address)
    return out


class Source:
    """An open response body: ``read`` it in chunks, then ``close`` it."""

    def __init__(
        self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> None:
        self._connection = connection
        self._response = response
        length = response.getheader("Content-Length")
        self.length = int(length) if length and length.isdigit() else None

    def read(self, size: int = -1, /) -> bytes:
        try:
            return self._response.read(size if size >= 0 else None)
        except (OSError, http.client.HTTPException) as exc:
            raise SourceUnavailable(f"Reading the source failed: {exc}") from None

    def close(self) -> None:
        self._response.close()
        self._connection.close()


class Fetcher:
    """Open URLs under a :class:`FetchPolicy`, following redirects one checked hop at a time."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        timeout: float = 30.0,
        resolver: Resolver = resolve,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self.policy = policy
        self._timeout = timeout
        self._resolve = resolver
        self._max_redirects = max_redirects

    def check(self, url: str) -> None:
        """What can be checked when the import is asked for: the URL, without resolving."""
        target = self.policy.check_url(url)
        literal = _parse_address(target.host)
        if literal is not None:
            self.policy.check_address(target.host, literal)

    def open(self, url: str) -> Source:
        for _hop in range(self._max_redirects + 1):
            target = self.policy.check_url(url)
            addresses = self._resolve(target.host, target.port)
            if not addresses:
                raise SourceUnavailable(f"The host {target.host} has no address.")
            for address in addresses:
                self.policy.check_address(target.host, address)
            connection, response = self._request(target, addresses)
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                response.close()
                connection.close()
                if not location:
                    raise SourceFailed(f"The source answered {response.status} without Location.")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                response.close()
                connection.close()
                error = SourceUnavailable if response.status >= 500 else SourceFailed
                raise error(f"The source answered {response.status} {response.reason}.")
            return Source(connection, response)
        raise SourceFailed(f"The source redirected more than {self._max_redirects} times.")

    def _request(
        self, target: Target, addresses: list[IPAddress]
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        failure: Exception | None = None
        for address in addresses:
            connection = _pinned_connection(target, address, self._timeout)
            try:
                default = DEFAULT_PORTS[target.scheme]
                host = target.host if ":" not in target.host else f"[{target.host}]"
                connection.putrequest("GET", target.path, skip_host=True, skip_accept_encoding=True)
                connection.putheader(
                    "Host", host if target.port == default else f"{host}:{target.port}"
                )
                connection.putheader("Accept", "*/*")
                connection.putheader("User-Agent", "artifact-repo web-download")
                connection.endheaders()
                return connection, connection.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                failure = exc
        raise SourceUnavailable(f"The source {target.host} cannot be reached: {failure}")


def _pinned_connection(
    target: Target, address: IPAddress, timeout: float
) -> http.client.HTTPConnection:
    """A connection to exactly ``address``, speaking to ``target.host`` (Host header, SNI)."""
    if target.scheme == "https":
        return _PinnedHTTPS(target.host, str(address), target.port, timeout)
    return http.client.HTTPConnection(str(address), target.port, timeout=timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to a checked address, verifying the certificate against the URL's host name."""

    def __init__(self, server_name: str, address: str, port: int, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


def _listed(host: str, entries: tuple[str, ...]) -> bool:
    return any(
        host.endswith(entry[1:]) if entry.startswith("*.") else host == entry for entry in entries
    )
