"""Wire the core together from settings: the one place services are constructed."""

from __future__ import annotations

from dataclasses import dataclass

from artifacts.config import Settings
from artifacts.db import migrate
from artifacts.db.session import Database, build_engine
from artifacts.engine.artifacts import ArtifactService, ListLimits
from artifacts.engine.policy import Policy
from artifacts.engine.registry import TypeRegistry


@dataclass(frozen=True)
class Services:
    """What the HTTP layer is given: services, never the database or stores themselves."""

    types: TypeRegistry
    artifacts: ArtifactService
    database: Database

    def close(self) -> None:
        self.database.dispose()


def build_services(
    settings: Settings, *, types: TypeRegistry | None = None, upgrade_schema: bool = False
) -> Services:
    """Construct every service from ``settings`` (types from entry points unless given)."""
    registry = types or TypeRegistry.from_entry_points(settings.enabled_types or None)
    engine = build_engine(settings.effective_database_url, pool_size=settings.database_pool_size)
    if upgrade_schema:
        migrate.upgrade(engine)
    database = Database(engine)
    artifacts = ArtifactService(
        database,
        registry,
        Policy(),
        limits=ListLimits(default=settings.default_list_limit, maximum=settings.max_list_limit),
    )
    return Services(types=registry, artifacts=artifacts, database=database)
