"""The plugin API is a contract with third-party packages: changing it must be deliberate."""

from artifacts import plugin


def test_public_plugin_api_is_frozen() -> None:
    assert sorted(plugin.__all__) == [
        "AllowedValues",
        "BaseArtifact",
        "Blob",
        "BlobDict",
        "Boolean",
        "DateTime",
        "Dict",
        "Field",
        "Float",
        "Integer",
        "InvalidValue",
        "Link",
        "List",
        "MaxItems",
        "MaxKeys",
        "MaxLength",
        "MaxNumber",
        "MinLength",
        "MinNumber",
        "Regex",
        "String",
        "UUID",
        "Unique",
        "Validator",
        "Version",
    ]
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None
