"""A minimal HTTP/1.1 client and request reader: cheap on the timed path of a benchmark.

Uploads go out with ``socket.sendfile`` after a hand-written request head and downloads are
drained with ``recv_into`` into one reused buffer, so that the client is not what is measured.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from measuring import KiB, MiB

RECV_BUFFER = 4 * MiB
#: The identity every benchmark request carries (the trusted-headers auth mode).
HEADERS = {"X-Project-Id": "bench", "X-User-Id": "bench"}


def drain(sock: socket.socket, nbytes: int, initial: int = 0) -> int:
    """Receive ``nbytes`` (minus ``initial`` already received) into one reused buffer."""
    buffer = memoryview(bytearray(RECV_BUFFER))
    received = initial
    while received < nbytes:
        count = sock.recv_into(buffer, min(RECV_BUFFER, nbytes - received))
        if count == 0:
            raise ConnectionError(f"connection closed after {received} of {nbytes} bytes")
        received += count
    return received


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """A response's status and headers, and what arrived of its body with them."""
    first, headers, rest = _read_message_head(sock, "response")
    return int(first.split()[1]), headers, rest


def read_body(sock: socket.socket, headers: dict[str, str], rest: bytes) -> bytes:
    if "content-length" not in headers:
        raise ConnectionError(f"response without Content-Length: {headers}")
    length = int(headers["content-length"])
    data = bytearray(rest)
    while len(data) < length:
        chunk = sock.recv(min(RECV_BUFFER, length - len(data)))
        if not chunk:
            raise ConnectionError("connection closed inside the response body")
        data += chunk
    return bytes(data)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request_head(method: str, path: str, port: int, extra: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in {**HEADERS, **extra}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def put_file(port: int, path: str, file: Path, size: int) -> tuple[Response, float, float]:
    """PUT the file with sendfile; return the response, seconds to send, seconds to answer."""
    extra = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
    with connect(port) as sock, open(file, "rb") as body:
        start = time.perf_counter()
        sock.sendall(request_head("PUT", path, port, extra))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendfile(body, 0, size)  # an early error answer stops the send; read it below
        sent = time.perf_counter()
        status, headers, rest = read_head(sock)
        response = Response(status, headers, read_body(sock, headers, rest))
        done = time.perf_counter()
    return response, sent - start, done - start


def get_to_null(
    port: int, path: str, consume: Callable[[memoryview], None] | None = None
) -> tuple[Response, int, float]:
    """GET and drain the body; ``consume`` (untimed passes only) sees every received piece."""
    with connect(port) as sock:
        start = time.perf_counter()
        sock.sendall(request_head("GET", path, port, {}))
        status, headers, rest = read_head(sock)
        if status != 200:
            return Response(status, headers, read_body(sock, headers, rest)), 0, 0.0
        length = int(headers["content-length"])
        if consume is None:
            received = drain(sock, length, len(rest))
        else:
            consume(memoryview(rest))
            received, buffer = len(rest), memoryview(bytearray(RECV_BUFFER))
            while received < length:
                count = sock.recv_into(buffer, min(RECV_BUFFER, length - received))
                if count == 0:
                    break
                consume(buffer[:count])
                received += count
        elapsed = time.perf_counter() - start
    return Response(status, headers), received, elapsed


def read_request_head(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """A request's line and headers, and what arrived of its body with them."""
    return _read_message_head(sock, "request")


def _read_message_head(sock: socket.socket, what: str) -> tuple[str, dict[str, str], bytes]:
    data = bytearray()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(64 * KiB)
        if not chunk:
            raise ConnectionError(f"connection closed before the {what} head")
        data += chunk
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, rest
