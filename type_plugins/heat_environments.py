"""Heat environments: parameter and resource-registry files applied to templates."""

from artifacts import plugin as p


class HeatEnvironment(p.BaseArtifact):
    TYPE = "heat_environments"
    DISPLAY_NAME = "Heat Environments"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "environment": p.Blob(
            max_size=10 * 1024 * 1024,
            required_on_activate=True,
            description="Environment body.",
        ),
    }
