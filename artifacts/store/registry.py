"""Build the configured blob stores from plain settings, finding drivers by entry point.

Settings map store names to a driver and its options, e.g. from TOML::

    [stores.default]
    driver = "filesystem"
    root = "/var/lib/artifacts/blobs"

    [stores.images]
    driver = "s3"
    bucket = "artifacts"
    prefix = "prod"

A driver is a factory ``(store name, options) -> BlobStore`` published in the
``artifacts.stores`` entry-point group, so a third-party package adds a driver without a change
here, and a store is chosen by configuration, never by comparing strings in the engine.
Drivers are imported only when a store uses them (boto3 loads only for S3 stores).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from artifacts.store.base import BlobStore, StoreConfigError

ENTRY_POINT_GROUP = "artifacts.stores"

#: ``(store name, options without "driver") -> store``; raises StoreConfigError on bad options.
StoreFactory = Callable[[str, Mapping[str, Any]], BlobStore]

#: The drivers this package ships, as the entry points pyproject.toml declares for them.
BUILTIN_ENTRY_POINTS: tuple[EntryPoint, ...] = (
    EntryPoint("database", "artifacts.store.database:from_options", ENTRY_POINT_GROUP),
    EntryPoint("filesystem", "artifacts.store.filesystem:from_options", ENTRY_POINT_GROUP),
    EntryPoint("memory", "artifacts.store.memory:from_options", ENTRY_POINT_GROUP),
    EntryPoint("s3", "artifacts.store.s3:from_options", ENTRY_POINT_GROUP),
)


def discover_drivers(
    eps: Iterable[EntryPoint] | None = None,
) -> dict[str, StoreFactory]:
    """Map driver names to factories that import their module on first use.

    ``eps`` defaults to the installed ``artifacts.stores`` entry points; tests pass
    :data:`BUILTIN_ENTRY_POINTS` (or their own) to run without installed package metadata.
    Two different entry points claiming one name stop start-up: which one wins would depend
    on installation order.
    """
    found = entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps
    drivers: dict[str, StoreFactory] = {}
    values: dict[str, str] = {}
    for ep in found:
        if ep.name in values and values[ep.name] != ep.value:
            raise StoreConfigError(
                f"store driver {ep.name!r} is declared twice: by {values[ep.name]} "
                f"and by {ep.value}"
            )
        values[ep.name] = ep.value
        drivers[ep.name] = _lazy_factory(ep)
    return drivers


def builtin_drivers() -> dict[str, StoreFactory]:
    """The drivers shipped here, whether or not the package's entry points are installed."""
    return discover_drivers(BUILTIN_ENTRY_POINTS)


def build_stores(
    settings: Mapping[str, Mapping[str, Any]],
    drivers: Mapping[str, StoreFactory] | None = None,
) -> dict[str, BlobStore]:
    """Build every configured store: ``{store name: {"driver": …, option: value, …}}``.

    ``drivers`` defaults to :func:`discover_drivers` (installed entry points). Every problem
    (unknown driver, missing, unknown or mistyped option) raises StoreConfigError naming the
    store, before any store is used; building a store contacts nothing (use ``check``).
    """
    available = discover_drivers() if drivers is None else drivers
    stores: dict[str, BlobStore] = {}
    for name, raw in settings.items():
        if not isinstance(raw, Mapping):
            raise StoreConfigError(f"store {name!r}: settings must be a table of options")
        options = dict(raw)
        driver = options.pop("driver", None)
        if not driver or not isinstance(driver, str):
            raise StoreConfigError(f"store {name!r}: option 'driver' is required")
        factory = available.get(driver)
        if factory is None:
            known = ", ".join(sorted(available)) or "none installed"
            raise StoreConfigError(
                f"store {name!r}: unknown driver {driver!r} (available: {known})"
            )
        try:
            stores[name] = factory(name, options)
        except (ValueError, TypeError) as exc:  # a constructor refusing a value
            raise StoreConfigError(f"store {name!r} ({driver} driver): {exc}") from exc
    return stores


def _lazy_factory(ep: EntryPoint) -> StoreFactory:
    def factory(name: str, options: Mapping[str, Any]) -> BlobStore:
        try:
            loaded = ep.load()
        except (ImportError, AttributeError) as exc:
            raise StoreConfigError(
                f"store {name!r}: driver {ep.name!r} ({ep.value}) cannot be loaded: {exc}"
            ) from exc
        store: BlobStore = loaded(name, options)
        return store

    return factory
