"""Which external locations a blob may point at.

An external blob answers downloads with a redirect, so its URL is a place the service sends
every downloader: it must not be the cloud's metadata service (169.254.169.254), a host on
the operator's private network, or the downloader's own loopback. The policy therefore admits
only the schemes an operator allows (default http and https) and refuses hosts in loopback,
private, link-local, shared (CGNAT), multicast, reserved and unspecified ranges, in every way
an address can be spelt: dotted quads, the short and numeric forms that ``inet_aton`` and
browsers accept (``127.1``, ``2130706433``, ``0x7f.0.0.1``, ``0177.0.0.1``), IPv6 and
IPv4-mapped IPv6 (``[::ffff:127.0.0.1]``), and the names every resolver keeps local
(``localhost``, ``*.localhost``, ``*.local``, ``*.internal``, single-label names).

Names are not resolved: what a name resolves to when the policy looks says nothing about what
it resolves to when a client follows the redirect. Operators who need certainty list the
hosts they allow (``allowed_hosts``); ``allowed_networks`` and exact host names in it admit
ranges or hosts that would otherwise be refused (a mirror on the private network, a test's
loopback server).

The raw URL is checked before anything is stored: no whitespace or control characters (a CR
or LF would split the ``Location`` header of the redirect), at most :data:`MAX_URL_LENGTH`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from artifacts.errors import InvalidInput

MAX_URL_LENGTH = 2048
DEFAULT_SCHEMES = ("http", "https")
#: Name suffixes that resolve to this host or the local network by convention (RFC 6761,
#: RFC 6762, RFC 8375, ICANN's .internal).
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".lan")

_SAFE_URL = re.compile(r"^[\x21-\x7e]+$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
#: Ranges not globally reachable that this Python's ``is_global`` still counts as global: IETF
#: protocol assignments (RFC 6890), deprecated IPv6 site-local (RFC 3879), IPv6 documentation
#: (RFC 9637) and SRv6 SIDs (RFC 9602).
_NOT_GLOBAL = (
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("fec0::/10"),
    ipaddress.ip_network("3fff::/20"),
    ipaddress.ip_network("5f00::/16"),
)


@dataclass(frozen=True)
class LocationPolicy:
    """The schemes and hosts external blobs may name."""

    schemes: tuple[str, ...] = DEFAULT_SCHEMES
    #: If not empty, only these hosts (exact names, or ``*.example.com`` for subdomains).
    allowed_hosts: tuple[str, ...] = ()
    #: Address ranges admitted even though they are not public (``127.0.0.0/8`` for tests).
    allowed_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(
        cls, schemes: Iterable[str], hosts: Iterable[str], networks: Iterable[str]
    ) -> LocationPolicy:
        """Build the policy from settings; a malformed network is a configuration error."""
        return cls(
            schemes=tuple(s.lower() for s in schemes) or DEFAULT_SCHEMES,
            allowed_hosts=tuple(h.lower().rstrip(".") for h in hosts),
            allowed_networks=tuple(ipaddress.ip_network(n, strict=False) for n in networks),
        )

    def check(self, url: str) -> None:
        """Raise InvalidInput unless ``url`` may be recorded as an external location."""
        if len(url) > MAX_URL_LENGTH:
            raise InvalidInput(f"The location 'url' is longer than {MAX_URL_LENGTH} characters.")
        if not _SAFE_URL.match(url):
            raise InvalidInput(
                "The location 'url' must be printable ASCII without spaces or control "
                "characters (percent-encode them)."
            )
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise InvalidInput("The location 'url' is not a valid URL.") from None
        if parts.scheme.lower() not in self.schemes:
            raise InvalidInput(
                f"The location 'url' must use one of the schemes: {', '.join(self.schemes)}."
            )
        host = (parts.hostname or "").rstrip(".")
        if not host or parts.username is not None or parts.password is not None:
            raise InvalidInput(
                "The location 'url' needs a host and must carry no user name or password."
            )
        if port == 0:
            raise InvalidInput("The location 'url' names port 0.")
        self._check_host(host.lower())

    def _check_host(self, host: str) -> None:
        address = parse_address(host)
        if address is not None:
            if any(address in network for network in self.allowed_networks):
                return
            if self.allowed_hosts and not self._host_listed(host):
                raise InvalidInput(f"The location's host {host} is not an allowed host.")
            if not is_public(address):
                raise InvalidInput(
                    f"The location's host {host} is not a public address; external "
                    "locations may not point into private, loopback or reserved networks."
                )
            return
        if self._host_listed(host):
            return
        if self.allowed_hosts:
            raise InvalidInput(f"The location's host {host} is not an allowed host.")
        labels = host.split(".")
        if not all(_HOST_LABEL.match(label) for label in labels):
            raise InvalidInput(f"The location's host {host!r} is not a valid host name.")
        if len(labels) < 2 or host == "localhost" or host.endswith(LOCAL_SUFFIXES):
            raise InvalidInput(
                f"The location's host {host} is a local name; external locations must "
                "name a public host."
            )

    def _host_listed(self, host: str) -> bool:
        for allowed in self.allowed_hosts:
            if allowed.startswith("*."):
                if host.endswith(allowed[1:]):
                    return True
            elif host == allowed:
                return True
        return False


def parse_address(host: str) -> IPAddress | None:
    """The IP address a URL host denotes, in any spelling a client would connect to, or None.

    Beyond the canonical forms, IPv4 has the legacy ones ``inet_aton`` accepts (and with it
    curl, browsers and most HTTP libraries): fewer than four parts, octal and hexadecimal.
    """
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address: IPAddress = ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return address
    if re.fullmatch(r"[0-9a-fx.]+", host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a globally routed unicast address (IPv4-mapped ones unwrapped)."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
        if address.teredo is not None:
            return False
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return False
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE:
        return False
    if any(address in network for network in _NOT_GLOBAL):
        return False
    return address.is_global
