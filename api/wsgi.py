"""The gunicorn target: ``api.wsgi:create_wsgi_app()`` builds settings, services and the app.

A factory rather than a module-level ``application`` so importing this module does nothing; each
gunicorn worker builds its own database engine after the fork.
"""

from __future__ import annotations

import falcon

from api.app import create_app
from artifacts.config import load_settings
from artifacts.engine.services import build_services


def create_wsgi_app() -> falcon.App[falcon.Request, falcon.Response]:
    settings = load_settings()
    return create_app(settings, build_services(settings))
