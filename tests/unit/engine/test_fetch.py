"""The web-download address guard against real loopback servers.

The servers are the test's own, on loopback addresses. To tell an admitted address from a
refused one without leaving the machine, most tests admit ``127.0.0.1/32`` only (standing for
"the public internet") and treat every other loopback address (``127.0.0.2``, ``::1``) as
what must not be reached. Every connection the fetcher opens goes through a tripwire that
records it and refuses any address that is not loopback, so a broken guard fails the test
instead of reaching another host. Name resolution is the system resolver's (``localhost``)
except where no real resolver can give the case: a name answering several addresses, and a
name answering differently the second time it is asked (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from artifacts.engine.fetch import Fetcher, FetchPolicy, SourceFailed, SourceRefused
from tests.http_source import Source, http_source

DATA = b"the bytes of a disk image\n" * 64
ADMIT_ONE = FetchPolicy(allowed_ports=(), allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
DEFAULT_ANY_PORT = FetchPolicy(allowed_ports=())

Answers = dict[str, list[list[str]]]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every address the fetcher connects to; connecting beyond loopback fails the test."""
    made: list[tuple[str, int]] = []
    real = socket.create_connection

    def tripwire(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        made.append((address[0], address[1]))
        if not ipaddress.ip_address(address[0]).is_loopback:
            pytest.fail(f"the fetcher connected to {address[0]}, beyond loopback")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", tripwire)
    return made


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """Names the test makes answer: each lookup pops the next answer, the last one stays."""
    answers: Answers = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        queue = answers.get(str(host))
        if queue is None:
            return real(host, port, *args, **kwargs)
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def admitted() -> Iterator[Source]:
    with http_source({"/disk.raw": DATA}) as served:
        yield served


@pytest.fixture
def refused(admitted: Source) -> Iterator[Source]:
    """A server on the same port as ``admitted`` but on 127.0.0.2, which must stay untouched."""
    with http_source({"/disk.raw": DATA}, address="127.0.0.2", port=admitted.port) as served:
        yield served


def _read(fetcher: Fetcher, url: str) -> bytes:
    source = fetcher.open(url)
    try:
        return source.read()
    finally:
        source.close()


def _redirect(via: Source, to: str) -> str:
    return via.url(f"/redirect?to={quote(to, safe='')}")


# --- literal addresses ------------------------------------------------------------------------

LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0x7f.0.0.1",
    "0X7F.0.0.1",
    "0177.0.0.1",
    "0177.0000.0000.0001",
    "127.000.000.001",
    "127.0.0.1.",
    "127.255.255.254",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::127.0.0.1]",
    "[::ffff:0:127.0.0.1]",
    "[2002:7f00:1::]",
    "[64:ff9b::127.0.0.1]",
]

OTHER_REFUSED = [
    "169.254.169.254",
    "0xa9fea9fe",
    "[::ffff:169.254.169.254]",
    "[fe80::1]",
    "[fe80::1%25eth0]",
    "10.0.0.1",
    "012.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "0",
    "[::]",
    "224.0.0.1",
    "[ff02::1]",
    "255.255.255.255",
    "240.0.0.1",
    "198.18.0.1",
    "192.0.0.8",
    "192.0.2.1",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[fec0::1]",
    "[2001:db8::1]",
    "[2001::1]",
    "[3fff::1]",
    "[5f00::1]",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused_before_connecting(
    host: str, admitted: Source, connections: list[tuple[str, int]]
) -> None:
    fetcher = Fetcher(DEFAULT_ANY_PORT)
    url = f"http://{host}:{admitted.port}/disk.raw"
    with pytest.raises(SourceRefused, match="not a public address"):
        fetcher.check(url)
    with pytest.raises(SourceRefused, match="not a public address"):
        fetcher.open(url)
    assert connections == []
    assert admitted.requested == []


@pytest.mark.parametrize("host", OTHER_REFUSED)
def test_private_link_local_and_reserved_literals_are_refused(
    host: str, connections: list[tuple[str, int]]
) -> None:
    fetcher = Fetcher(DEFAULT_ANY_PORT)
    url = f"http://{host}/latest/meta-data"
    with pytest.raises(SourceRefused, match="not a public address"):
        fetcher.check(url)
    with pytest.raises(SourceRefused, match="not a public address"):
        fetcher.open(url)
    assert connections == []


def test_an_admitted_range_is_fetched_and_its_neighbours_are_not(
    admitted: Source, refused: Source, connections: list[tuple[str, int]]
) -> None:
    fetcher = Fetcher(ADMIT_ONE)
    assert _read(fetcher, admitted.url("/disk.raw")) == DATA
    with http_source({"/disk.raw": DATA}, address="::1", port=admitted.port) as version6:
        for host in ("127.0.0.2", "127.2", "[::ffff:127.0.0.1]", "[::1]"):
            with pytest.raises(SourceRefused):
                fetcher.open(f"http://{host}:{admitted.port}/disk.raw")
        assert version6.requested == []
    assert connections == [("127.0.0.1", admitted.port)]
    assert refused.requested == []


# --- names ------------------------------------------------------------------------------------


def test_a_name_the_system_resolves_to_loopback_is_refused(
    admitted: Source, connections: list[tuple[str, int]]
) -> None:
    fetcher = Fetcher(DEFAULT_ANY_PORT)
    url = f"http://localhost:{admitted.port}/disk.raw"
    fetcher.check(url)  # asking resolves nothing; the worker's fetch does
    with pytest.raises(SourceRefused, match=r"localhost resolves to 127\.0\.0\.1"):
        fetcher.open(url)
    assert connections == []
    assert admitted.requested == []


def test_the_name_is_sent_as_host_while_the_checked_address_is_connected_to(
    admitted: Source, dns: Answers, connections: list[tuple[str, int]]
) -> None:
    dns["mirror.example.org"] = [["127.0.0.1"]]
    fetcher = Fetcher(ADMIT_ONE)
    assert _read(fetcher, f"http://mirror.example.org:{admitted.port}/disk.raw") == DATA
    assert admitted.hosts == [f"mirror.example.org:{admitted.port}"]
    assert connections == [("127.0.0.1", admitted.port)]


@pytest.mark.parametrize(
    "answer",
    [["127.0.0.1", "127.0.0.2"], ["127.0.0.2", "127.0.0.1"], ["127.0.0.1", "::1"]],
)
def test_a_name_with_any_refused_answer_is_refused(
    answer: list[str],
    admitted: Source,
    refused: Source,
    dns: Answers,
    connections: list[tuple[str, int]],
) -> None:
    dns["mixed.example.org"] = [answer]
    with pytest.raises(SourceRefused, match=r"mixed\.example\.org resolves to"):
        Fetcher(ADMIT_ONE).open(f"http://mixed.example.org:{admitted.port}/disk.raw")
    assert connections == []
    assert admitted.requested == refused.requested == []


def test_a_name_answering_a_refused_address_the_second_time_is_not_asked_again(
    admitted: Source, refused: Source, dns: Answers, connections: list[tuple[str, int]]
) -> None:
    """DNS rebinding: the check sees 127.0.0.1; a second lookup would give 127.0.0.2."""
    dns["rebind.example.org"] = [["127.0.0.1"], ["127.0.0.2"]]
    url = f"http://rebind.example.org:{admitted.port}/disk.raw"
    assert _read(Fetcher(ADMIT_ONE), url) == DATA
    assert connections == [("127.0.0.1", admitted.port)]
    assert admitted.requested == ["/disk.raw"]
    assert refused.requested == []
    # The fetch asked once; the next fetch asks again and is refused.
    with pytest.raises(SourceRefused, match=r"resolves to 127\.0\.0\.2"):
        Fetcher(ADMIT_ONE).open(url)
    assert refused.requested == []


def test_a_name_refused_as_a_literal_is_refused_resolved(
    admitted: Source, dns: Answers, connections: list[tuple[str, int]]
) -> None:
    # A resolver may hand back any spelling; each is checked as the address it is.
    for answer in ("::ffff:127.0.0.2", "::1", "fe80::1", "169.254.169.254", "10.1.2.3"):
        dns["sneaky.example.org"] = [[answer]]
        with pytest.raises(SourceRefused):
            Fetcher(ADMIT_ONE).open(f"http://sneaky.example.org:{admitted.port}/disk.raw")
    assert connections == []


# --- redirects --------------------------------------------------------------------------------


def _refused_targets(port: int) -> list[str]:
    return [
        f"http://127.0.0.2:{port}/disk.raw",
        f"http://0x7f000002:{port}/disk.raw",
        f"http://[::ffff:127.0.0.2]:{port}/disk.raw",
        f"http://[::1]:{port}/disk.raw",
        f"http://inside.example.org:{port}/disk.raw",
        "http://169.254.169.254/latest/meta-data",
        f"http://user:secret@127.0.0.1:{port}/disk.raw",
        "file:///etc/passwd",
        "ftp://127.0.0.1/disk.raw",
        "gopher://127.0.0.1:6379/_INFO",
        "http://127.0.0.1:5432/",
    ]


@pytest.mark.parametrize("index", range(len(_refused_targets(0))))
def test_a_redirect_to_a_refused_target_is_refused_without_following_it(
    index: int,
    admitted: Source,
    refused: Source,
    dns: Answers,
    connections: list[tuple[str, int]],
) -> None:
    dns["inside.example.org"] = [["127.0.0.2"]]
    policy = FetchPolicy(
        allowed_ports=(admitted.port,), allowed_networks=ADMIT_ONE.allowed_networks
    )
    target = _refused_targets(admitted.port)[index]
    with pytest.raises(SourceRefused):
        Fetcher(policy).open(_redirect(admitted, target))
    assert connections == [("127.0.0.1", admitted.port)]
    assert len(admitted.requested) == 1
    assert refused.requested == []


def test_a_redirect_to_a_name_the_system_resolves_to_loopback_is_refused(
    connections: list[tuple[str, int]],
) -> None:
    # Here 127.0.0.2 is the admitted source; localhost (127.0.0.1) is what must not be reached.
    with (
        http_source({"/disk.raw": DATA}, address="127.0.0.2") as source,
        http_source({"/disk.raw": DATA}, port=source.port) as local,
    ):
        policy = FetchPolicy(
            allowed_ports=(), allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),)
        )
        target = f"http://localhost:{source.port}/disk.raw"
        with pytest.raises(SourceRefused, match=r"localhost resolves to 127\.0\.0\.1"):
            Fetcher(policy).open(_redirect(source, target))
        assert connections == [("127.0.0.2", source.port)]
        assert local.requested == []


def test_each_hop_is_resolved_and_checked_again(
    admitted: Source, refused: Source, dns: Answers, connections: list[tuple[str, int]]
) -> None:
    # The first hop's name answers 127.0.0.1; the redirect names it again, now 127.0.0.2.
    dns["flip.example.org"] = [["127.0.0.1"], ["127.0.0.2"]]
    back = f"http://flip.example.org:{admitted.port}/disk.raw"
    first = f"http://flip.example.org:{admitted.port}/redirect?to={quote(back, safe='')}"
    with pytest.raises(SourceRefused, match=r"resolves to 127\.0\.0\.2"):
        Fetcher(ADMIT_ONE).open(first)
    assert connections == [("127.0.0.1", admitted.port)]
    assert refused.requested == []


def test_admitted_redirects_are_followed_relative_ones_included(
    admitted: Source, connections: list[tuple[str, int]]
) -> None:
    fetcher = Fetcher(ADMIT_ONE)
    assert _read(fetcher, _redirect(admitted, "/disk.raw")) == DATA
    assert _read(fetcher, _redirect(admitted, admitted.url("/disk.raw"))) == DATA
    assert admitted.requested[1::2] == ["/disk.raw", "/disk.raw"]


def test_too_many_redirects_fail(admitted: Source) -> None:
    url = admitted.url("/disk.raw")
    for _ in range(3):
        url = _redirect(admitted, url)
    with pytest.raises(SourceFailed, match="more than 2 times"):
        Fetcher(ADMIT_ONE, max_redirects=2).open(url)
    assert len(admitted.requested) == 3


def test_a_missing_file_fails_and_the_policy_lists_refuse_before_resolving(
    admitted: Source, dns: Answers, connections: list[tuple[str, int]]
) -> None:
    with pytest.raises(SourceFailed, match="404"):
        Fetcher(ADMIT_ONE).open(admitted.url("/missing"))
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[Any]:
        lookups.append(host)
        return []

    listed = FetchPolicy(allowed_ports=(), disallowed_hosts=("*.example.org",))
    with pytest.raises(SourceRefused, match=r"host mirror\.example\.org is not allowed"):
        Fetcher(listed, resolver=resolver).open(f"http://mirror.example.org:{admitted.port}/x")
    assert lookups == []
    assert connections == [("127.0.0.1", admitted.port)]
