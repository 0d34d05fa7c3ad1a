"""Heat orchestration templates, with nested templates and linked environments."""

from artifacts import plugin as p


class HeatTemplate(p.BaseArtifact):
    TYPE = "heat_templates"
    DISPLAY_NAME = "Heat Templates"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "template": p.Blob(
            max_size=10 * 1024 * 1024,
            required_on_activate=True,
            description="Heat template body.",
        ),
        "nested_templates": p.BlobDict(
            max_size=10 * 1024 * 1024,
            description="Nested templates: the key is the template's name, the value its body.",
        ),
        "environments": p.Dict(
            p.Link(target_type="heat_environments"),
            mutable=True,
            description="Heat environments that can be used with this template, by name.",
        ),
        "default_envs": p.Dict(
            p.String(),
            mutable=True,
            description="Environments applied when the user names none.",
        ),
    }
