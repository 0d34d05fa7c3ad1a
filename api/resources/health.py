"""``/healthz`` (the process answers) and ``/readyz`` (its database and stores answer too).

Load balancers send traffic to ready nodes and restart unhealthy ones; keeping the two apart
means a database outage takes nodes out of rotation without restarting them all.
"""

from __future__ import annotations

import falcon

from api.media import write_json
from artifacts.engine.health import HealthService


class HealthResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, {"status": "ok"})


class ReadinessResource:
    def __init__(self, health: HealthService) -> None:
        self._health = health

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        readiness = self._health.readiness()
        write_json(
            resp,
            {"status": "ok" if readiness.ready else "unavailable", "checks": readiness.checks},
            status=200 if readiness.ready else 503,
        )
