"""Slow and idle clients hold sockets, not threads: everyone else is still answered.

One worker with three threads, and a hundred each of idle connections, half-sent request
heads and half-sent JSON bodies: /healthz, a list and a show still answer, the slow requests
complete correctly once their bytes arrive, and kept-alive connections keep working.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.functional.conftest import Server, start_server

pytestmark = pytest.mark.functional

HEADERS = {"X-Project-Id": "p-slow", "X-User-Id": "u1"}
TIMEOUT = 10
HELD = 100


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("slow"), workers=1)


def _connect(server: Server) -> socket.socket:
    address = urlsplit(server.url)
    return socket.create_connection((address.hostname, address.port), timeout=TIMEOUT)


def _response(sock: socket.socket) -> tuple[int, bytes]:
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), body


def _create_request(name: str) -> tuple[bytes, bytes]:
    body = json.dumps({"name": name}).encode()
    head = (
        "POST /artifacts/images HTTP/1.1\r\nHost: x\r\nX-Project-Id: p-slow\r\n"
        f"X-User-Id: u1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head, body


def test_slow_and_idle_clients_do_not_starve_the_others(one_worker: Server) -> None:
    created = requests.post(
        f"{one_worker.url}/artifacts/images",
        json={"name": "seen"},
        headers=HEADERS,
        timeout=TIMEOUT,
    )
    assert created.status_code == 201
    with contextlib.ExitStack() as held:
        idle = [held.enter_context(_connect(one_worker)) for _ in range(HELD)]
        partial_heads = []
        for _ in range(HELD):
            sock = held.enter_context(_connect(one_worker))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            partial_heads.append(sock)
        partial_bodies = []
        for number in range(HELD):
            sock = held.enter_context(_connect(one_worker))
            head, body = _create_request(f"slow-{number}")
            sock.sendall(head + body[:5])
            partial_bodies.append((sock, body[5:]))

        for path in ("/healthz", "/artifacts/images", f"/artifacts/images/{created.json()['id']}"):
            answer = requests.get(f"{one_worker.url}{path}", headers=HEADERS, timeout=TIMEOUT)
            assert answer.status_code == 200, answer.text

        # The held requests finish correctly once their bytes arrive.
        for sock, rest in partial_bodies[:10]:
            sock.sendall(rest)
            status, body = _response(sock)
            assert status == 201, body
            assert json.loads(body)["name"].startswith("slow-")
        for sock in partial_heads[:10]:
            sock.sendall(b"1\r\n\r\n")
            assert _response(sock)[0] == 200
        assert len(idle) == HELD


def test_kept_alive_connections_serve_request_after_request(one_worker: Server) -> None:
    with _connect(one_worker) as sock:
        for number in range(3):
            head, body = _create_request(f"again-{number}")
            sock.sendall(head)
            sock.sendall(body)
            assert _response(sock)[0] == 201
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _response(sock) == (200, b'{"status":"ok"}')
