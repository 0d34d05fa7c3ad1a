"""gunicorn server hooks, loaded with ``--config python:api.gunicorn_hooks``.

Only hook functions live here (gunicorn reads a config module's attributes by name); the
settings themselves come from ``artifacts serve``'s command line, built from ``Settings``.
Importing this module has no effect.
"""

from __future__ import annotations

import os
from typing import Any

from api.metrics import MULTIPROC_ENV


def child_exit(server: Any, worker: Any) -> None:
    """Retire a dead worker's metric files: its counts stay in the totals, its live values go."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
