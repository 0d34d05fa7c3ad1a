"""The plugin API is a contract with third-party packages: changing it must be deliberate."""

from artifacts import plugin


def test_public_plugin_api_is_frozen() -> None:
    assert sorted(plugin.__all__) == [
        "ACCEPT",
        "AllowedValues",
        "BaseArtifact",
        "Blob",
        "BlobDict",
        "BlobEvent",
        "BlobRejected",
        "Boolean",
        "Caller",
        "DateTime",
        "Dict",
        "Field",
        "Float",
        "HookContext",
        "Integer",
        "InvalidValue",
        "Link",
        "List",
        "MaxItems",
        "MaxKeys",
        "MaxLength",
        "MaxNumber",
        "Migration",
        "MinLength",
        "MinNumber",
        "NotAllowed",
        "PostStoreCheck",
        "Refused",
        "Regex",
        "StoredBlob",
        "StreamCheck",
        "StreamResult",
        "StreamTransform",
        "StreamValidator",
        "String",
        "Transform",
        "Transformed",
        "UUID",
        "Unique",
        "Upload",
        "Validator",
        "Verdict",
        "Version",
    ]
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None
