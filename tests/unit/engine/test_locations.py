"""External locations: only allowed schemes and public hosts, in every spelling of an address."""

from __future__ import annotations

import pytest

from artifacts.engine.locations import LocationPolicy
from artifacts.errors import InvalidInput

DEFAULT = LocationPolicy()

REFUSED = [
    # loopback, in the spellings inet_aton, browsers and curl accept
    "http://127.0.0.1/x",
    "http://127.1/x",
    "http://2130706433/x",
    "http://0x7f000001/x",
    "http://0x7f.0.0.1/x",
    "http://0177.0.0.1/x",
    "http://017700000001/x",
    "http://[::1]/x",
    "http://[0:0:0:0:0:0:0:1]/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://[::ffff:7f00:1]/x",
    "http://localhost/x",
    "http://LOCALHOST./x",
    "http://api.localhost/x",
    # link-local, the metadata service
    "http://169.254.169.254/latest/meta-data",
    "http://2852039166/latest",
    "http://[fe80::1]/x",
    "http://[::ffff:169.254.169.254]/x",
    # private, shared, multicast, reserved, unspecified
    "http://10.0.0.1/x",
    "http://172.16.5.4/x",
    "http://192.168.1.1/x",
    "http://100.64.0.1/x",
    "http://[fd00::1]/x",
    "http://224.0.0.1/x",
    "http://[ff02::1]/x",
    "http://240.0.0.1/x",
    "http://0.0.0.0/x",
    "http://0/x",
    "http://[::]/x",
    "http://[2002:7f00:1::]/x",  # 6to4 around 127.0.0.1
    # local names
    "http://intranet/x",
    "http://printer.local/x",
    "http://db.internal/x",
    # schemes, credentials, malformed
    "ftp://example.com/x",
    "file:///etc/passwd",
    "gopher://example.com/x",
    "http://user:pw@example.com/x",
    "http:///x",
    "http://exa mple.com/x",
    "http://example.com:99999/x",
    "http://example.com:0/x",
    "http://ex_ample.com/x",
    # raw URL hygiene: a CR/LF would split the redirect's Location header
    "http://example.com/x\r\nSet-Cookie: a=b",
    "http://example.com/x\ty",
    "http://example.com/\x00",
    "http://example.com/é",
    "http://example.com/" + "x" * 2048,
]

ACCEPTED = [
    "http://example.com/x",
    "https://images.example.org:8443/cirros.img?sig=abc#frag",
    "http://93.184.216.34/x",
    "http://[2606:2800:220:1:248:1893:25c8:1946]/x",
    "HTTPS://Example.COM/x",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_by_default(url: str) -> None:
    with pytest.raises(InvalidInput):
        DEFAULT.check(url)


@pytest.mark.parametrize("url", ACCEPTED)
def test_public_http_locations_are_accepted(url: str) -> None:
    DEFAULT.check(url)


def test_allowed_networks_and_hosts_admit_what_would_be_refused() -> None:
    policy = LocationPolicy.from_settings(
        ["http", "https"], ["localhost", "*.corp.example"], ["127.0.0.0/8", "10.1.0.0/16"]
    )
    for url in ["http://127.0.0.1:9650/x", "http://127.1/x", "http://10.1.2.3/x"]:
        policy.check(url)
    policy.check("http://localhost:8080/x")
    policy.check("http://mirror.corp.example/x")
    with pytest.raises(InvalidInput):
        policy.check("http://10.2.0.1/x")  # outside the allowed range
    with pytest.raises(InvalidInput):
        policy.check("http://example.com/x")  # hosts listed: only those


def test_schemes_are_the_operators_choice() -> None:
    policy = LocationPolicy.from_settings(["https"], [], [])
    policy.check("https://example.com/x")
    with pytest.raises(InvalidInput):
        policy.check("http://example.com/x")
