"""TOSCA service templates.

Uploaded templates are parsed: a YAML mapping whose ``tosca_definitions_version`` header names a
TOSCA profile, as the TOSCA Simple Profile requires of every service template.
"""

from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p
from type_plugins._yaml_checks import YamlDocument


def _has_tosca_header(template: Mapping[str, Any]) -> str | None:
    version = template.get("tosca_definitions_version")
    if not isinstance(version, str) or not version.startswith("tosca_"):
        return (
            "the template has no TOSCA header: it must start with "
            "'tosca_definitions_version: tosca_simple_yaml_1_3' (or another tosca_ profile)"
        )
    return None


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
            stream_validators=[YamlDocument("template", _has_tosca_header)],
            description="TOSCA template body.",
        ),
    }
