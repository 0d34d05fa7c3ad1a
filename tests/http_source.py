"""A loopback HTTP server a test starts to be the source of a ``web-download``.

It answers ``GET`` of the paths it was given with their bytes, and ``/redirect?to=URL`` with a
302 to that URL; it records every path asked for and the ``Host`` header it came with, so a
test can tell what was fetched (and that nothing else was). It binds a loopback address only
(127.0.0.1 unless told another one in 127.0.0.0/8 or ``::1``), on a random port unless told one.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Source:
    base: str
    files: dict[str, bytes]
    requested: list[str] = field(default_factory=list)
    hosts: list[str | None] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@contextmanager
def http_source(
    files: Mapping[str, bytes], *, address: str = "127.0.0.1", port: int = 0
) -> Iterator[Source]:
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"{address} is not a loopback address")
    source = Source(base="", files=dict(files))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            source.requested.append(self.path)
            source.hosts.append(self.headers.get("Host"))
            parts = urlsplit(self.path)
            if parts.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", parse_qs(parts.query)["to"][0])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = source.files.get(parts.path)
            if data is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    version6 = ":" in address
    server_class = _ServerV6 if version6 else ThreadingHTTPServer
    server = server_class((address, port), Handler)
    source.port = server.server_address[1]
    source.base = f"http://{f'[{address}]' if version6 else address}:{source.port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield source
    finally:
        server.shutdown()
        server.server_close()


class _ServerV6(ThreadingHTTPServer):
    address_family = socket.AF_INET6
