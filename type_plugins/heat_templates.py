"""Heat orchestration templates, with nested templates and linked environments.

Uploaded templates are parsed: a template must be a YAML (or JSON) mapping that names its format
version the way Heat requires, so a file Heat would refuse is refused at upload, with the line
at fault.
"""

from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p
from type_plugins._yaml_checks import YamlDocument

#: The keys Heat reads a template's format from (HOT, and the CloudFormation-compatible forms).
VERSION_KEYS = ("heat_template_version", "HeatTemplateFormatVersion", "AWSTemplateFormatVersion")


def _names_its_version(template: Mapping[str, Any]) -> str | None:
    if any(key in template for key in VERSION_KEYS):
        return None
    return (
        "the template has no heat_template_version (a HOT template starts with e.g. "
        "'heat_template_version: 2021-04-16')"
    )


TEMPLATE = YamlDocument("template", _names_its_version)


class HeatTemplate(p.BaseArtifact):
    TYPE = "heat_templates"
    DISPLAY_NAME = "Heat Templates"
    VERSION = "1.0"

    # In Glare's order, which documents keep (clients print fields in the order they arrive).
    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "environments": p.Dict(
            p.Link(target_type="heat_environments"),
            mutable=True,
            description="Heat environments that can be used with this template, by name.",
        ),
        "template": p.Blob(
            max_size=10 * 1024 * 1024,
            required_on_activate=True,
            stream_validators=[TEMPLATE],
            description="Heat template body.",
        ),
        "nested_templates": p.BlobDict(
            max_size=10 * 1024 * 1024,
            stream_validators=[TEMPLATE],
            description="Nested templates: the key is the template's name, the value its body.",
        ),
        "default_envs": p.Dict(
            p.String(),
            mutable=True,
            description="Environments applied when the user names none.",
        ),
    }
