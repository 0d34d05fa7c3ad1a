"""The artifact-repo test kit: the service with this package's type, in-process or real."""

pytest_plugins = ["artifacts.testing"]
