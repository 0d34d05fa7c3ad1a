"""The gunicorn target: ``api.wsgi:create_wsgi_app()`` builds settings, services and the app.

A factory rather than a module-level ``application`` so importing this module does nothing; each
gunicorn worker builds its own database engine after the fork.
"""

from __future__ import annotations

import sys

import falcon

from api import request_log
from api.app import create_app
from api.keystone import WSGIApp, with_auth_token
from artifacts.config import KEYSTONE, load_settings
from artifacts.engine.services import build_services

#: Seconds a thread may hold the GIL before another may take it (CPython's default: 5 ms).
#: An upload's request thread gives up the GIL on every recv() and then waits for it while the
#: digest and store threads run; at 5 ms per wait it, not hashing, bounded uploads (~320 MB/s
#: against ~410 MB/s at 0.5 ms on this 2-core kind of machine; see docs/PERFORMANCE.md).
GIL_SWITCH_INTERVAL = 0.0005


def create_wsgi_app() -> falcon.App[falcon.Request, falcon.Response] | WSGIApp:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    settings = load_settings()
    request_log.configure(settings.log_level)
    app = create_app(settings, build_services(settings))
    if settings.auth_mode == KEYSTONE:
        return with_auth_token(app, settings.keystone)
    return app
