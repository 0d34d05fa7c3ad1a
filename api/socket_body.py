"""A blob upload's body read straight from the client socket, one ``recv`` per chunk.

gunicorn's body reader serves a ``read(1 MiB)`` by gathering the socket's bytes in one
``BytesIO``, slicing them out, and gathering and slicing them again in the body's own buffer:
each megabyte of an upload is copied five or six times before the digests see it, which is a
good part of what an upload costs the server beyond hashing. For a plain-TCP request with a
``Content-Length``, this reader hands over what gunicorn has already buffered and then asks
the socket for each chunk whole (``MSG_WAITALL``): the kernel copies the bytes once, into the
``bytes`` object the digests and the store receive.

gunicorn's own bookkeeping is kept true (the length still to read goes down as we read), so
after the response it finds the body consumed and reuses the connection as before. Any other
server, a TLS socket or a chunked body keeps the WSGI input stream.
"""

from __future__ import annotations

import io
import socket
from typing import Any

from gunicorn.http.body import Body, LengthReader


class SocketBody:
    """``read(size)`` over the rest of a gunicorn request body of known length."""

    def __init__(self, body: Body, sock: socket.socket) -> None:
        self._body = body
        self._reader: LengthReader = body.reader
        self._sock = sock
        # What gunicorn read ahead of the application: the body's buffer first, then its
        # parser's, both of which precede anything still in the socket.
        self._pending: bytes = body.buf.getvalue()
        body.buf.seek(0)
        body.buf.truncate()
        unreader = self._reader.unreader
        buffered = unreader.buf.getvalue()
        unreader.buf = io.BytesIO()
        take = min(len(buffered), self._reader.length)
        self._pending += buffered[:take]
        if take < len(buffered):
            unreader.unread(buffered[take:])  # the next request's first bytes
        self._reader.length -= take

    def read(self, size: int = -1, /) -> bytes:
        if self._pending:
            chunk = self._pending if size < 0 else self._pending[:size]
            self._pending = self._pending[len(chunk) :]
            return chunk
        want = self._reader.length if size < 0 else min(size, self._reader.length)
        if want <= 0:
            return b""
        try:
            chunk = self._sock.recv(want, socket.MSG_WAITALL)
        except BaseException:
            self._body.failed = True  # where the next request starts is unknown now
            raise
        if not chunk:
            # The client went away inside the body: the caller sees a short body, as with
            # gunicorn's reader, and the connection is not reused.
            self._body.failed = True
            return b""
        self._reader.length -= len(chunk)
        return chunk


def socket_body(env: dict[str, Any]) -> SocketBody | None:
    """The direct reader for this request, or None where only the WSGI stream applies."""
    body: Any = env.get("wsgi.input")
    sock: Any = env.get("gunicorn.socket")
    if type(body) is not Body or type(sock) is not socket.socket:  # TLS sockets are subclasses
        return None
    if type(body.reader) is not LengthReader:
        return None
    return SocketBody(body, sock)
