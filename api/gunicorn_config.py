"""A worker's view of gunicorn's configuration, with every setting's value read once.

gunicorn's ``Config`` answers each attribute through ``__getattr__`` and the setting's
``get()``: a request's parsing, environ and response read ~30 of them (limits, header
policies, hooks), and ``is_ssl`` costs two more each time it is asked, several times a
request. A worker's configuration cannot change after it is forked (a reload forks new
workers), so this view holds the values as plain attributes, read when the worker starts.
Whatever ``Config`` computes itself (its properties and methods: ``worker_class``,
``ssl_options``, ``forwarded_allow_networks()``, …) is still asked of the real one.
"""

from __future__ import annotations

from typing import Any


class SettledConfig:
    """The values of ``cfg``'s settings, read once; everything else from ``cfg`` itself."""

    def __init__(self, cfg: Any) -> None:
        self._cfg = cfg
        computed = type(cfg)
        for name, setting in cfg.settings.items():
            if not hasattr(computed, name):
                self.__dict__[name] = setting.get()
        self.is_ssl = cfg.is_ssl

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cfg, name)
