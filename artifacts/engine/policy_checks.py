"""oslo.policy's rule-check plugins, loaded when a rule names one rather than at start.

Parsing any rule (``role:admin``) makes oslo.policy load every plugin of its
``oslo.policy.rule_checks`` entry point, to learn their names. The ones it ships (``http:``
and ``https:``, which ask a remote server) import requests, urllib3 and their dependencies: 60
modules and ~8 MB in every worker, for checks our rules never use. This table answers "is
there a plugin called X" from the entry points' names alone and imports a plugin the first
time a rule uses it, so an operator's policy file with ``http:`` checks works as before.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from oslo_policy import _checks

_GROUP = "oslo.policy.rule_checks"


class _LazyChecks(dict[str, Callable[..., Any]]):
    """The plugin table oslo.policy consults, filled on first use of each name."""

    def __init__(self) -> None:
        super().__init__()
        self._points: dict[str, EntryPoint] = {
            point.name: point for point in entry_points(group=_GROUP)
        }

    def __contains__(self, kind: object) -> bool:
        return kind in self._points

    def __missing__(self, kind: str) -> Callable[..., Any]:
        plugin: Callable[..., Any] = self._points[kind].load()
        self[kind] = plugin
        return plugin


def load_rule_checks_lazily() -> None:
    """Install the lazy table, unless oslo.policy has loaded its plugins already."""
    if _checks.extension_checks is None:
        _checks.extension_checks = _LazyChecks()
