"""TOSCA service templates."""

from artifacts import plugin as p


class ToscaTemplate(p.BaseArtifact):
    TYPE = "tosca_templates"
    DISPLAY_NAME = "TOSCA Templates"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "template_format": p.String(
            required_on_activate=True, description="TOSCA template format (e.g. yaml)."
        ),
        "template": p.Blob(
            max_size=10 * 1024 * 1024,
            required_on_activate=True,
            description="TOSCA template body.",
        ),
    }
