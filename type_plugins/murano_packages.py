"""Murano application packages."""

from artifacts import plugin as p


class MuranoPackage(p.BaseArtifact):
    TYPE = "murano_packages"
    DISPLAY_NAME = "Murano packages"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "package": p.Blob(max_size=100 * 1024 * 1024, description="Murano package archive."),
        "type": p.String(
            default="Application",
            nullable=False,
            sortable=True,
            required_on_activate=True,
            validators=[p.AllowedValues(["Application", "Library"])],
            description="Package type.",
        ),
        "display_name": p.String(
            mutable=True, required_on_activate=True, description="Package name shown in catalogs."
        ),
        "categories": p.List(
            p.String(),
            mutable=True,
            unique=True,
            description="Catalog categories the application belongs to.",
        ),
        "class_definitions": p.List(
            p.String(),
            unique=True,
            description="Fully qualified names of the MuranoPL classes the package defines.",
        ),
        "inherits": p.Dict(p.String(), description="Parent classes of the package's classes."),
        "keywords": p.List(p.String(), mutable=True, unique=True),
        "dependencies": p.List(
            p.Link(target_type="murano_packages"),
            description="Packages this package requires.",
        ),
    }
