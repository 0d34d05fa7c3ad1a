"""gunicorn configuration for running the API without ``artifacts serve``.

``artifacts serve`` builds the same settings on gunicorn's command line from
``etc/artifacts.toml``; use this file when a process manager starts gunicorn itself:

    ARTIFACTS_CONFIG=/etc/artifacts/artifacts.toml \\
        gunicorn -c etc/gunicorn.conf.py 'api.wsgi:create_wsgi_app()'

Run ``artifacts db upgrade`` once per release before starting the nodes (serve does it itself).
Every value below is read from the artifact settings, so the two ways of starting agree; see
docs/deploy.md for why each value is what it is.
"""

import os
import shutil
import socket
from pathlib import Path

from artifacts.config import GUNICORN_WORKER_CLASSES, load_settings

_settings = load_settings()

# Where each worker's metrics live. It must be set before prometheus-client is imported (the
# hooks module below imports it) and emptied at start, or the last run's counts add up.
_metrics_dir = Path(
    os.environ.get(
        "PROMETHEUS_MULTIPROC_DIR",
        _settings.data_dir.resolve() / "metrics" / f"{socket.gethostname()}-gunicorn",
    )
)
shutil.rmtree(_metrics_dir, ignore_errors=True)
_metrics_dir.mkdir(parents=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir)

from api.gunicorn_hooks import (  # noqa: E402  (needs the environment set above)
    child_exit,
    on_starting,
    post_worker_init,
)

bind = _settings.bind
# buffered: gthread whose request heads and small bodies are gathered on the worker's event
# loop, so slow clients hold a socket, not a thread (api/gunicorn_worker.py). gthread: a
# worker's threads share one connection pool and its digest lanes; blocking I/O
# (database, S3, client sockets) releases the GIL, so threads overlap it. Measured best on
# 2 cores: see docs/PERFORMANCE.md ("API requests").
worker_class = GUNICORN_WORKER_CLASSES[_settings.worker_class]
workers = _settings.workers
threads = _settings.threads
# A request may stream a VM image for minutes: the worker timeout is per request, not per
# idle connection, so it must outlast the largest transfer at the slowest client speed.
timeout = _settings.timeout
# On SIGHUP (graceful reload: new workers with the new code, old ones finish) and SIGTERM,
# workers get this long to finish in-flight requests, uploads included.
graceful_timeout = _settings.graceful_timeout
keepalive = _settings.keepalive
# Recycle workers now and then (a leak in a driver cannot grow forever); the jitter keeps the
# workers of one node from restarting at the same moment.
max_requests = _settings.max_requests
max_requests_jitter = _settings.max_requests_jitter
loglevel = _settings.log_level
# One JSON line per request comes from the application (api/request_log.py) instead.
accesslog = None
# gunicorn's control socket (25.1+) has one path per user, shared by every server the user runs
# (api/gunicorn_hooks.py); the service is managed by signals instead. Older releases ignore it.
control_socket_disable = True

__all__ = [
    "accesslog",
    "bind",
    "child_exit",
    "control_socket_disable",
    "graceful_timeout",
    "keepalive",
    "loglevel",
    "max_requests",
    "max_requests_jitter",
    "on_starting",
    "post_worker_init",
    "threads",
    "timeout",
    "worker_class",
    "workers",
]
