"""A Helm chart artifact type, shipped as its own package.

This is all a plugin author writes: one declarative class importing only ``artifacts.plugin``, and
an entry point in ``pyproject.toml``. ``pip install`` it and the type appears in ``/schemas``.
"""

from artifacts import plugin as p


class HelmChart(p.BaseArtifact):
    TYPE = "helm_charts"
    DISPLAY_NAME = "Helm Charts"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "app_version": p.Version(sortable=True, description="Version of the packaged application."),
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
        "home": p.String(max_length=1024, description="Project home page."),
        "deprecated": p.Boolean(default=False, nullable=False, mutable=True),
        "chart": p.Blob(
            max_size=64 * 1024 * 1024,
            required_on_activate=True,
            description="The packaged chart (.tgz).",
        ),
        "provenance": p.Blob(max_size=64 * 1024, description="Signature file (.prov)."),
    }
