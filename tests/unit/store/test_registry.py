"""Building stores from settings: drivers by entry point, and clear errors for bad settings."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import pytest

from artifacts.config import ConfigError
from artifacts.store.base import StoreConfigError
from artifacts.store.filesystem import FilesystemStore
from artifacts.store.memory import MemoryStore
from artifacts.store.registry import (
    BUILTIN_ENTRY_POINTS,
    ENTRY_POINT_GROUP,
    build_stores,
    builtin_drivers,
    discover_drivers,
)
from artifacts.store.s3 import S3Store


def custom_factory(name: str, options: Mapping[str, Any]) -> MemoryStore:
    """A third-party driver, as an entry point would name it."""
    return MemoryStore(f"{name}:{options['flavour']}")


def test_builds_every_builtin_driver(tmp_path: Path) -> None:
    stores = build_stores(
        {
            "default": {"driver": "filesystem", "root": str(tmp_path)},
            "images": {
                "driver": "s3",
                "bucket": "b",
                "prefix": "prod/",
                "endpoint_url": "http://127.0.0.1:1",
                "region": "us-east-1",
                "access_key": "a",
                "secret_key": "s",
                "part_size": "16777216",  # from the environment, as a string
                "max_pool_connections": 8,
                "connect_timeout": 2,
                "addressing_style": "path",
                "parts_in_flight": "2",
                "read_ahead": "false",
                "payload_signing": "false",
                "request_checksums": "when_required",
            },
            "scratch": {"driver": "memory"},
        },
        builtin_drivers(),
    )
    default, images, scratch = stores["default"], stores["images"], stores["scratch"]
    assert isinstance(default, FilesystemStore)
    assert default.name == "default"
    assert default.root == tmp_path
    assert isinstance(images, S3Store)
    assert (images.bucket, images.prefix, images.part_size) == ("b", "prod", 16 * 1024 * 1024)
    assert images.client.meta.config.max_pool_connections == 8
    assert (images.parts_in_flight, images.read_ahead) == (2, False)
    assert images.client.meta.config.s3 == {
        "addressing_style": "path",
        "payload_signing_enabled": False,
    }
    assert images.client.meta.config.request_checksum_calculation == "when_required"
    config = images.client.meta.config
    assert config.retries == {"total_max_attempts": 5, "mode": "standard"}
    assert (config.connect_timeout, config.read_timeout) == (2, 60)
    assert isinstance(scratch, MemoryStore)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"x": {"driver": "tape"}}, "store 'x': unknown driver 'tape' .*filesystem, memory, s3"),
        ({"x": {"root": "/r"}}, "store 'x': option 'driver' is required"),
        ({"x": "filesystem"}, "store 'x': settings must be a table"),
        ({"x": {"driver": "filesystem"}}, "option 'root' is required"),
        ({"x": {"driver": "filesystem", "root": "/r", "rot": 1}}, "unknown option.*'rot'"),
        ({"x": {"driver": "filesystem", "root": 3}}, "'root' must be a string"),
        ({"x": {"driver": "memory", "size": 3}}, "unknown option.*'size'"),
        ({"x": {"driver": "s3"}}, r"store 'x' \(s3 driver\): option 'bucket' is required"),
        ({"x": {"driver": "s3", "bucket": "b", "part_size": 1024}}, "at least 5242880"),
        ({"x": {"driver": "s3", "bucket": "b", "part_size": "big"}}, "must be an integer"),
        ({"x": {"driver": "s3", "bucket": "b", "access_key": "a"}}, "'secret_key', or neither"),
        ({"x": {"driver": "s3", "bucket": "b", "prefix": "../up"}}, "option 'prefix'"),
        ({"x": {"driver": "s3", "bucket": "b", "read_timeout": "soon"}}, "must be a number"),
        ({"x": {"driver": "s3", "bucket": "b", "addressing_style": "dns"}}, "addressing_style"),
        ({"x": {"driver": "s3", "bucket": "b", "parts_in_flight": 0}}, "at least 1"),
        ({"x": {"driver": "s3", "bucket": "b", "read_ahead": "maybe"}}, "true or false"),
        ({"x": {"driver": "s3", "bucket": "b", "payload_signing": 2}}, "true or false"),
        ({"x": {"driver": "s3", "bucket": "b", "request_checksums": "always"}}, "when_required"),
    ],
)
def test_bad_settings_are_config_errors(settings: Any, message: str) -> None:
    with pytest.raises(StoreConfigError, match=message):
        build_stores(settings, builtin_drivers())


def test_store_config_errors_stop_start_up_like_other_config_errors() -> None:
    assert issubclass(StoreConfigError, ConfigError)


def test_drivers_come_from_entry_points() -> None:
    eps = [EntryPoint("custom", f"{__name__}:custom_factory", ENTRY_POINT_GROUP)]
    stores = build_stores({"x": {"driver": "custom", "flavour": "mint"}}, discover_drivers(eps))
    assert stores["x"].name == "x:mint"


def test_an_unloadable_driver_is_a_config_error() -> None:
    eps = [EntryPoint("broken", "no_such_module_anywhere:factory", ENTRY_POINT_GROUP)]
    drivers = discover_drivers(eps)  # nothing is imported until a store uses the driver
    with pytest.raises(StoreConfigError, match=r"driver 'broken'.*cannot be loaded"):
        build_stores({"x": {"driver": "broken"}}, drivers)


def test_two_packages_claiming_one_driver_name_is_a_config_error() -> None:
    eps = [
        EntryPoint("s3", "artifacts.store.s3:from_options", ENTRY_POINT_GROUP),
        EntryPoint("s3", "someone.else:s3", ENTRY_POINT_GROUP),
    ]
    with pytest.raises(StoreConfigError, match="declared twice"):
        discover_drivers(eps)


def test_installed_entry_points_match_the_builtin_table() -> None:
    installed = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if not installed:
        pytest.skip(f"no {ENTRY_POINT_GROUP!r} entry points installed (pyproject.toml)")
    builtin = {ep.name: ep.value for ep in BUILTIN_ENTRY_POINTS}
    assert {name: installed.get(name) for name in builtin} == builtin
    assert set(discover_drivers()) >= set(builtin)
