"""gunicorn server hooks, loaded with ``--config python:api.gunicorn_hooks``.

Hook functions live here (gunicorn reads a config module's attributes by name), with one
setting no ``Settings`` value controls: ``control_socket_disable``. The other settings come from
``artifacts serve``'s command line, built from ``Settings``. Importing this module has no effect.

gunicorn 25.1 and newer open a control socket for ``gunicornc`` at one path per user
(``$XDG_RUNTIME_DIR/gunicorn.ctl`` or ``~/.gunicorn/gunicorn.ctl``): every server a user runs
binds the same path, so one server's socket replaces another's and the first to stop removes
it. The service is managed by signals (docs/deploy.md), so the socket stays closed. Older
gunicorn releases ignore the name.

gunicorn answers requests its parser refuses (a malformed request line: 400, a request line
over ``limit_request_line``: 414, headers over their limits: 431, …) itself, with an HTML
page, before the application sees them. It has no setting or hook for that page, so each
worker, once started, replaces the one function that writes it (``gunicorn.util.write_error``)
with one writing our JSON error body. Errors that happen before a worker exists, or in the
TLS handshake, keep gunicorn's own format (docs/deploy.md).

With the ``preload`` setting (the default), the master imports the application's modules and
the enabled types' plugins before its first fork (``on_starting``), then freezes what it
imported out of the garbage collector's sight. A worker, at start or when ``max_requests``
recycles it, then forks with everything imported and only builds its services (~0.14 s of
CPU instead of ~0.8 s with the imports, taken from the serving workers' cores), and the imported
code and data stay pages shared with the master: the collector never walks (and so never
copies) them.
"""

from __future__ import annotations

import gc
import json
import os
import socket
from collections.abc import Iterable
from typing import Any

from api.errors import error_body
from api.metrics import MULTIPROC_ENV

control_socket_disable = True


def child_exit(server: Any, worker: Any) -> None:
    """Retire a dead worker's metric files: its counts stay in the totals, its live values go."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_starting(server: Any) -> None:
    """In the master, before any worker: preload the application when the settings say so."""
    from artifacts.config import load_settings

    settings = load_settings()
    if settings.preload:
        preload(settings.enabled_types or None)


def preload(enabled_types: Iterable[str] | None) -> None:
    """Import what every worker imports, then keep it out of the collector's generations."""
    import api.wsgi  # noqa: F401  (the application and everything it imports)
    from artifacts.engine.registry import discover_types

    discover_types(enabled_types)
    gc.collect()
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """Answer gunicorn's own parser errors in our JSON error format, in this worker.

    Then freeze what building the application left (services, registry, compiled statements)
    out of the collector's generations, as the master did with its imports: a full collection
    walks every tracked object with every request thread stopped, ~20-50 ms over the ~100,000
    objects of a built worker (measured in process on 2 loaded cores), which a request caught
    behind it adds to its latency. Frozen, the full collections left walk what requests make.
    """
    from gunicorn import util

    util.write_error = write_json_error
    gc.collect()
    gc.freeze()


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write a complete error response in our JSON error format and nothing else.

    The signature is ``gunicorn.util.write_error``'s; ``mesg`` is gunicorn's own explanation
    (it names the limit crossed or the malformed part).
    """
    from gunicorn import util

    body = json.dumps(error_body(status_int, mesg or reason, "BadRequest")).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)
