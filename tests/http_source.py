"""A loopback HTTP server a test starts to be the source of a ``web-download``.

It answers ``GET`` of the paths it was given with their bytes, and ``/redirect?to=URL`` with a
302 to that URL; it records every path asked for, so a test can tell what was fetched (and
that nothing else was). It binds 127.0.0.1 only.
"""

from __future__ import annotations

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

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@contextmanager
def http_source(files: Mapping[str, bytes]) -> Iterator[Source]:
    source = Source(base="", files=dict(files))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            source.requested.append(self.path)
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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    source.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield source
    finally:
        server.shutdown()
        server.server_close()
