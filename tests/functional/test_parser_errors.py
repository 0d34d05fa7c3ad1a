"""Requests gunicorn's parser refuses are answered in our JSON error format, not HTML."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.functional.conftest import Server

pytestmark = pytest.mark.functional


def _exchange(server: Server, request: bytes) -> tuple[int, dict[str, str], bytes]:
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-H: 1\r\n" * 120 + b"\r\n", 431),
        (b"NOT A REQUEST LINE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400),
    ],
    ids=["uri-too-long", "header-too-long", "too-many-headers", "bad-line", "bad-header"],
)
def test_parser_errors_are_json(sqlite_server: Server, request_bytes: bytes, status: int) -> None:
    answered, headers, body = _exchange(sqlite_server, request_bytes)
    assert answered == status
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert error["code"] == status
    assert error["error"]["type"]
    assert error["explanation"]
