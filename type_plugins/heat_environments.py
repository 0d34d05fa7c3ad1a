"""Heat environments: parameter and resource-registry files applied to templates.

Uploaded environments are parsed: a YAML mapping made only of the sections Heat knows, so a
misspelt section is refused at upload rather than ignored at stack creation.
"""

from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p
from type_plugins._yaml_checks import YamlDocument

#: The sections of a Heat environment file.
SECTIONS = (
    "parameters",
    "parameter_defaults",
    "resource_registry",
    "encrypted_param_names",
    "event_sinks",
    "parameter_merge_strategies",
)


def _known_sections(environment: Mapping[str, Any]) -> str | None:
    unknown = sorted(str(key) for key in environment if key not in SECTIONS)
    if unknown:
        return (
            f"the environment has unknown sections {', '.join(unknown)}; "
            f"Heat knows {', '.join(SECTIONS)}"
        )
    return None


class HeatEnvironment(p.BaseArtifact):
    TYPE = "heat_environments"
    DISPLAY_NAME = "Heat Environments"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "environment": p.Blob(
            max_size=10 * 1024 * 1024,
            required_on_activate=True,
            stream_validators=[YamlDocument("environment", _known_sections)],
            description="Environment body.",
        ),
    }
