"""gunicorn's HTTP/1 response, with a small answer's head and body leaving in one send.

gunicorn writes the status line and headers with one ``sendall`` and each body chunk with
another. A JSON answer is one chunk of a few kilobytes, so every show or list cost two system
calls and two TCP segments (and, on the client's side, two wake-ups) where one carries it all.
This response holds the head back until the first body chunk and sends the two together when
that chunk is the whole body of a known length and small; anything else (chunked bodies,
streamed or large blobs, ``sendfile`` downloads, bodiless answers) goes out as gunicorn sends it.
The bytes on the wire are the same; only how they are split into sends changes.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http import wsgi

#: Bodies up to this size are sent together with the head (larger ones are blobs: copying
#: them onto the head would cost more than the second send saves).
COALESCE_LIMIT = 64 * 1024


class CoalescingResponse(wsgi.Response):  # type: ignore[misc]  # gunicorn has no type hints
    """``wsgi.Response`` whose head travels with a small, complete body."""

    headers_sent: bool

    def write(self, arg: Any) -> None:
        if (
            self.headers_sent
            or self.chunked
            or self._omits_body
            or type(arg) is not bytes
            or len(arg) > COALESCE_LIMIT
            or self.response_length != len(arg)
        ):
            super().write(arg)
            return
        lines = self.default_headers()
        lines.extend(f"{name}: {value}\r\n" for name, value in self.headers)
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1")
        self.headers_sent = True
        self.sent += len(arg)
        self.sock.sendall(head + arg)


def install() -> None:
    """Make this worker's HTTP/1 responses coalescing (``wsgi.create`` builds ``Response``)."""
    wsgi.Response = CoalescingResponse
