"""A gthread worker whose threads never wait for a slow client to finish its request head.

gunicorn's gthread worker hands a new connection to a thread at once, and the thread waits up
to five seconds for the first byte, then reads the request line and headers with blocking
reads. Nine clients that connect and send nothing (or half a header, then a byte a second)
therefore hold nine threads, and 3 workers x 3 threads stop answering anyone.

This worker keeps every connection on the worker's event loop (the selector gunicorn already
runs for kept-alive connections) until its request is ready to run: the head is complete and,
for a body of known length up to :data:`BUFFERED_BODY_LIMIT` (JSON documents, location
records), the body has arrived too. Only then does a thread take the connection, with the bytes
handed to gunicorn's parser as if it had read them itself. A waiting client costs a socket and
its buffer, not a thread; one that takes longer than the keep-alive timeout between bytes, or
longer than :data:`HEAD_TIMEOUT` in all, is closed.

Large bodies (blob uploads) and bodies without a length (chunked) are streamed by the thread
as before: buffering them would cost memory or disk per connection and the blob path's speed.
A client announcing ``Expect: 100-continue`` waits for our answer before sending its body, so
it is dispatched after its head.

Each request costs the worker as little as it can: a kept-alive connection that becomes
readable is read at once, in the same turn of the loop (not registered for another wake-up
first); the thread that answered a request puts its kept-alive connection back on the poller
itself, without a wake-up of the loop; gunicorn's settings are read once, not looked up on every use
(:mod:`api.gunicorn_config`); the arbiter's heartbeat is written at most once per
:data:`HEARTBEAT_INTERVAL` instead of on every turn; and a small answer's head and body leave
in one send (:mod:`api.gunicorn_response`).

Workers also share one count of the connections each holds (:mod:`api.connection_share`): a
worker stops accepting while another holds fewer, so kept-alive clients are spread evenly
instead of piling onto whichever worker the kernel woke first; one left ahead by reloads or
recycled workers asks a client at a time to reconnect (``max_keepalived`` below).
"""

from __future__ import annotations

import errno
import re
import selectors
import time
from concurrent.futures import Future
from functools import partial
from typing import Any

from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from api import gunicorn_response
from api.connection_share import ConnectionShare
from api.gunicorn_config import SettledConfig

#: Bodies of known length up to this size are read before a thread is taken (the largest JSON
#: body the API accepts by default).
BUFFERED_BODY_LIMIT = 1024 * 1024
#: Seconds a client has to send its whole request head (and a buffered body).
HEAD_TIMEOUT = 30.0
#: Seconds between two heartbeats to the arbiter (at most: half the worker timeout).
HEARTBEAT_INTERVAL = 1.0
#: Seconds a worker that leaves new connections to a less loaded one waits before it looks
#: at the table again (an idle worker that defers spends ~0.4 % of a core on it, measured with
#: one idle kept-alive connection, which the keep-alive timeout then closes).
ACCEPT_RECHECK = 0.02
#: A worker holding this many more connections than another asks a client to reconnect...
SHED_EXCESS = 2
#: ... at most once per this many seconds.
SHED_INTERVAL = 0.05
_RECV = 65536
_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d{1,19})[ \t]*$", re.I | re.M)
_NEEDS_THREAD = re.compile(rb"^(transfer-encoding|expect|upgrade)[ \t]*:", re.I | re.M)
#: A request thread's answer that it has put its kept-alive connection back on the poller.
_KEPT = object()


class BufferingThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no type hints
    """gthread with request heads (and small bodies) gathered on the event loop."""

    #: The master's table of connections per worker, made when it builds its first worker.
    share: ConnectionShare | None = None
    #: gunicorn's ``Config`` in the master; a :class:`SettledConfig` of it once forked.
    cfg: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # gunicorn builds the worker object in the master, then forks: the slot is reserved
        # here, in the one process that knows which workers are alive.
        super().__init__(*args, **kwargs)
        cls = type(self)
        if cls.share is None:
            # Room for a full set of workers and the set a graceful reload is replacing.
            cls.share = ConnectionShare(2 * self.cfg.workers + 4)
        self.slot = cls.share.reserve()
        self.claimed = False
        self.last_heartbeat = 0.0
        self.last_shed = 0.0
        self.deferring = False

    @property
    def max_keepalived(self) -> int:
        """gthread's cap on kept-alive connections, 0 while this worker sheds one.

        A kept-alive connection stays with the worker that accepted it. When a worker is
        replaced (``max_requests``, a reload), its clients reconnect to the workers that are
        up, and the new one starts with none: after a few replacements, one worker may hold
        most connections. gthread answers with ``Connection: close`` when this cap is reached;
        a worker holding :data:`SHED_EXCESS` more connections than another reports the cap
        reached for one response every :data:`SHED_INTERVAL`, and that client reconnects to
        the least loaded worker (the only one accepting). Nothing is cut: the response is
        whole, and says the connection ends with it.
        """
        if self._sheds_a_connection():
            return 0
        return self._max_keepalived

    @max_keepalived.setter
    def max_keepalived(self, value: int) -> None:
        self._max_keepalived = value

    def _sheds_a_connection(self) -> bool:
        if self.share is None or self.slot is None or not self.claimed:
            return False
        now = time.monotonic()
        if now - self.last_shed < SHED_INTERVAL:
            return False
        if not self.share.ahead(self.slot, self.nr_conns, SHED_EXCESS):
            return False
        self.last_shed = now
        return True

    def init_process(self) -> None:
        gunicorn_response.install()
        self.cfg = SettledConfig(self.cfg)
        super().init_process()

    def notify(self) -> None:
        """Tell the arbiter we are alive, once per interval rather than on every loop turn.

        The heartbeat is a ``utime`` of the worker's file; the arbiter only kills a worker
        silent for the whole timeout, which is at least twice ``self.timeout`` here.
        """
        now = time.monotonic()
        if now - self.last_heartbeat >= min(HEARTBEAT_INTERVAL, self.timeout / 2):
            self.last_heartbeat = now
            super().notify()

    def set_accept_enabled(self, enabled: bool) -> None:
        """Accept only while no other worker holds fewer connections than this one.

        gunicorn's loop asks for accepting on every turn while this worker has room; deciding
        here, rather than undoing its choice afterwards, keeps the listener's registration
        unchanged from turn to turn instead of adding and removing it twice a request.
        """
        self.deferring = False
        if enabled and self.share is not None and self.slot is not None and self.claimed:
            self.deferring = self.share.fewer_elsewhere(self.slot)
            enabled = not self.deferring
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """Publish this worker's connections, settle accepting, then run the loop."""
        if self.share is not None and self.slot is not None:
            if not self.claimed:
                # Claimed at the first turn of the loop, not at fork: a worker still loading
                # the application holds no connections, and would stop the others accepting.
                self.share.claim(self.slot)
                self.claimed = True
            self.share.publish(self.slot, self.nr_conns)
            if self.alive:
                self.set_accept_enabled(self.nr_conns < self.worker_connections)
            else:
                # Stopping: free the slot once, for the worker that replaces this one.
                self.share.release(self.slot)
                self.slot = None
        if self.deferring:
            # The others may have caught up meanwhile, and then each of them defers to this
            # worker; nothing else would wake it to accept until a client of its own speaks.
            timeout = min(timeout, ACCEPT_RECHECK)
        super().wait_for_and_dispatch_events(timeout)

    def accept(self, listener: Any) -> None:
        if self.cfg.is_ssl:
            super().accept(listener)  # the TLS handshake needs a thread; keep gunicorn's path
            return
        try:
            sock, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        if self.share is not None and self.slot is not None:
            self.share.publish(self.slot, self.nr_conns)
        self._gather(TConn(self.cfg, sock, address, listener.getsockname()))

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        """A kept-alive connection has a new request coming: gather it like a new one."""
        self.keepalived_conns.remove(conn)
        if self.cfg.is_ssl:
            self.poller.unregister(client)
            self.enqueue_req(conn)
            return
        # The socket is still non-blocking (gthread left it so for the poller) and has bytes:
        # read them now rather than wait for the poller to say so again.
        self._gather(conn, client)

    def _gather(self, conn: TConn, readable: Any = None) -> None:
        """Collect the connection's next request on the loop; ``readable``: it has bytes now."""
        now = time.monotonic()
        conn.buffered = bytearray()
        conn.timeout = now + self.cfg.keepalive
        conn.head_deadline = now + HEAD_TIMEOUT
        self.pending_conns.append(conn)
        on_bytes = partial(self._on_bytes, conn)
        if readable is None:
            conn.sock.setblocking(False)
            self.poller.register(conn.sock, selectors.EVENT_READ, on_bytes)
            return
        # Same events, new callback: the selector changes its record without a system call.
        self.poller.modify(conn.sock, selectors.EVENT_READ, on_bytes)
        on_bytes(readable)

    def _on_bytes(self, conn: TConn, client: Any) -> None:
        try:
            data = conn.sock.recv(_RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        conn.buffered += data
        now = time.monotonic()
        # Every byte earns another keep-alive interval, up to the deadline for the whole head.
        conn.timeout = min(now + self.cfg.keepalive, conn.head_deadline)
        if self._ready(conn.buffered):
            self._dispatch(conn)
        else:
            self._requeue(conn)

    def _ready(self, buffered: bytearray) -> bool:
        """Whether the request can run: its head is in, and its body if we buffer it."""
        end = buffered.find(_HEAD_END)
        if end < 0:
            # A head longer than gunicorn allows: let its parser answer 414 / 431.
            most: int = self.cfg.limit_request_line + self.cfg.limit_request_field_size * (
                self.cfg.limit_request_fields + 1
            )
            return len(buffered) > most
        head = bytes(buffered[:end])
        if _NEEDS_THREAD.search(head):
            return True
        length = _CONTENT_LENGTH.search(head)
        if length is None:
            return True
        size = int(length.group(1))
        return size > BUFFERED_BODY_LIMIT or len(buffered) - end - len(_HEAD_END) >= size

    def _requeue(self, conn: TConn) -> None:
        """Keep the pending list ordered by deadline, as ``murder_pending`` expects."""
        self.pending_conns.remove(conn)
        index = len(self.pending_conns)
        while index > 0 and self.pending_conns[index - 1].timeout > conn.timeout:
            index -= 1
        self.pending_conns.insert(index, conn)

    def _dispatch(self, conn: TConn) -> None:
        self.poller.unregister(conn.sock)
        self.pending_conns.remove(conn)
        conn.data_ready = True
        self.enqueue_req(conn)

    def _drop(self, conn: TConn) -> None:
        self.poller.unregister(conn.sock)
        self.pending_conns.remove(conn)
        self.nr_conns -= 1
        conn.close()

    def enqueue_req(self, conn: TConn) -> None:
        """Hand the connection to a thread, which puts a kept-alive one back on the poller."""
        future = self.tpool.submit(self._serve, conn)
        future.add_done_callback(partial(self._served, conn))

    def _serve(self, conn: TConn) -> Any:
        """Handle a request; keep its connection alive from this thread when that is all."""
        result = self.handle(conn)
        if result is True and self._keep_alive_here(conn):
            return _KEPT
        return result

    def _served(self, conn: TConn, future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None and future.result() is _KEPT:
            return
        self.method_queue.defer(self.finish_request, conn, future)

    def _keep_alive_here(self, conn: TConn) -> bool:
        """Register a kept-alive connection with the poller, as ``finish_request`` would.

        gthread hands every finished request back to the event loop (a pipe write, a wake-up
        and a turn of the loop) only to put the socket back on the poller. epoll may be told
        of a socket from any thread, and a socket is added last, once its record is complete,
        so the loop only sees it when it is ready. Everything else (closing, bytes read
        ahead, TLS and HTTP/2 connections, a stopping worker) still goes back to the loop.
        """
        if (
            not self.alive
            or self.cfg.is_ssl
            or conn.is_http2
            or conn.parser.unreader.buf.getvalue()
        ):
            return False
        conn.sock.setblocking(False)
        conn.set_timeout()
        self.keepalived_conns.append(conn)
        try:
            self.poller.register(
                conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn)
            )
        except (KeyError, OSError, ValueError):
            self.keepalived_conns.remove(conn)
            return False
        if not self.alive:
            # The worker began stopping meanwhile, maybe after capping the others.
            conn.timeout = min(conn.timeout, time.monotonic() + STOP_KEEPALIVE_LINGER)
        return True

    def _cap_keepalive(self, deadline: float) -> None:
        """gthread's cap on kept-alive connections, over a copy: threads append to the deque."""
        for conn in tuple(self.keepalived_conns):
            conn.timeout = min(conn.timeout, deadline)

    def handle(self, conn: TConn) -> Any:
        """Give the parser the bytes gathered on the event loop, then handle as gthread does."""
        buffered = getattr(conn, "buffered", None)
        if buffered:
            # gthread's handle makes the socket blocking again before it reads.
            conn.init()
            conn.parser.unreader.unread(bytes(buffered))
            conn.buffered = bytearray()
        return super().handle(conn)
