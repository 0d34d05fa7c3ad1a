"""The ``keystone`` mode's outer layer: keystonemiddleware's auth_token around the app.

keystonemiddleware is an optional extra (``pip install 'artifact-repo[keystone]'``), imported
only when this mode is configured. Its options come from the ``[keystone]`` table of the
configuration, passed through as auth_token's own ``[keystone_authtoken]`` options
(``www_authenticate_uri``, ``auth_url``, ``auth_type``, ``username``, …). Nothing contacts
Keystone until a request presents a token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from artifacts.config import ConfigError

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Requests without a token must reach the app (as anonymous readers of public artifacts);
#: without this auth_token answers them 401 itself.
_DEFAULTS = {"delay_auth_decision": "true"}


def with_auth_token(app: WSGIApp, options: Mapping[str, Any]) -> WSGIApp:
    """Wrap ``app`` in auth_token configured by ``options``."""
    try:
        from keystonemiddleware import auth_token
    except ImportError as exc:
        raise ConfigError(
            "auth mode 'keystone' needs keystonemiddleware: pip install 'artifact-repo[keystone]'"
        ) from exc
    conf = {**_DEFAULTS, **{key: _option(value) for key, value in options.items()}}
    wrapped: WSGIApp = auth_token.AuthProtocol(app, conf)
    return wrapped


def _option(value: Any) -> str:
    # auth_token reads paste-deploy options, which are strings; render TOML values that way.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)
