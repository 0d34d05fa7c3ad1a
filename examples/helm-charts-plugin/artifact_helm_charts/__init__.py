"""A Helm chart artifact type, shipped as its own package.

Everything a plugin author writes, importing only ``artifacts.plugin``: the type's fields (a
blob, a version field), a hook (a deprecated chart is never made public), a streaming validator
(the chart must be a gzip stream; once stored, its Chart.yaml is read and recorded) and a schema
migration (version 1.1 renamed ``home`` to ``home_url``). One entry point in ``pyproject.toml``
makes it a type; ``pip install`` it and it appears in ``/schemas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from artifact_helm_charts.chart import ChartArchive
from artifacts import plugin as p


def _home_to_home_url(values: Mapping[str, Any]) -> dict[str, Any]:
    upgraded = dict(values)
    upgraded["home_url"] = upgraded.pop("home", None)
    return upgraded


def _home_url_to_home(values: Mapping[str, Any]) -> dict[str, Any]:
    backported = dict(values)
    backported["home"] = backported.pop("home_url", None)
    return backported


class HelmChart(p.BaseArtifact):
    TYPE = "helm_charts"
    DISPLAY_NAME = "Helm Charts"
    VERSION = "1.1"
    MIGRATIONS = (p.Migration("1.0", "1.1", upgrade=_home_to_home_url, backport=_home_url_to_home),)

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "app_version": p.Version(
            sortable=True, description="Version of the packaged application (appVersion)."
        ),
        "kube_version": p.String(
            max_length=64, description="Kubernetes versions the chart supports (a range)."
        ),
        "chart_api": p.String(
            default="v2",
            nullable=False,
            validators=[p.AllowedValues(["v1", "v2"])],
            description="Chart API version (apiVersion in Chart.yaml).",
        ),
        "keywords": p.List(p.String(max_length=64), max_items=32, unique=True),
        "maintainers": p.List(p.String(max_length=255), max_items=16),
        "home_url": p.String(max_length=1024, description="Project home page."),
        "deprecated": p.Boolean(default=False, nullable=False, mutable=True),
        "chart": p.Blob(
            max_size=64 * 1024 * 1024,
            required_on_activate=True,
            stream_validators=[ChartArchive()],
            description="The packaged chart (.tgz); its Chart.yaml fills the chart's fields.",
        ),
        "provenance": p.Blob(max_size=64 * 1024, description="Signature file (.prov)."),
    }

    def before_publish(self, hook: p.HookContext) -> None:
        if self.deprecated:
            raise p.NotAllowed("a deprecated chart cannot be made public", field="deprecated")
