"""Wire the core together from settings: the one place services are constructed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from artifacts.config import Settings
from artifacts.db import migrate
from artifacts.db.session import Database, PoolSettings, build_engine
from artifacts.engine.artifacts import ArtifactService, Clock, ListLimits, utcnow
from artifacts.engine.blobs import BlobService, DataRemover, StoreChoice
from artifacts.engine.contents import ContentRefs
from artifacts.engine.fetch import Fetcher, FetchPolicy
from artifacts.engine.gc import GarbageCollector
from artifacts.engine.health import HealthService
from artifacts.engine.hooks import HookRunner
from artifacts.engine.imports import TASK_TYPE, ImportService
from artifacts.engine.locations import LocationPolicy
from artifacts.engine.members import MemberService
from artifacts.engine.policy import Policy
from artifacts.engine.quotas import QuotaService
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.tasks import TaskQueue, TaskSettings
from artifacts.engine.tokens import TokenService
from artifacts.engine.uploads import UploadLeases
from artifacts.engine.validation import UploadValidators
from artifacts.engine.versions import check_stored_versions
from artifacts.engine.worker import Worker
from artifacts.store.base import BlobStore
from artifacts.store.registry import build_stores


@dataclass(frozen=True)
class Services:
    """What the HTTP layer is given: services, never the database or stores themselves."""

    types: TypeRegistry
    artifacts: ArtifactService
    blobs: BlobService
    members: MemberService
    quotas: QuotaService
    gc: GarbageCollector
    tokens: TokenService
    remover: DataRemover
    database: Database
    stores: Mapping[str, BlobStore]
    health: HealthService
    leases: UploadLeases
    #: Runs the types' hooks; the HTTP layer listens to it to count failed after-hooks.
    hooks: HookRunner
    tasks: TaskQueue
    imports: ImportService

    def worker(self, *, name: str | None = None, poll_interval: float = 1.0) -> Worker:
        """A worker running this process's kinds of task (``artifacts worker``, tests)."""
        return Worker(
            self.tasks, {TASK_TYPE: self.imports.run}, name=name, poll_interval=poll_interval
        )

    def close(self) -> None:
        """Release connections: the stores' (a database store has its own engine), then ours."""
        self.leases.close()
        for store in self.stores.values():
            close = getattr(store, "close", None)
            if close is not None:
                close()
        self.database.dispose()


def pool_settings(settings: Settings) -> PoolSettings:
    """The connection pool a worker process keeps, from the ``[database]`` settings."""
    return PoolSettings(
        size=settings.database_pool_size,
        max_overflow=settings.database_pool_max_overflow,
        timeout=settings.database_pool_timeout,
        recycle=settings.database_pool_recycle,
        pre_ping=settings.database_pool_pre_ping,
        connect_timeout=settings.database_connect_timeout,
    )


def build_services(
    settings: Settings,
    *,
    types: TypeRegistry | None = None,
    database: Database | None = None,
    stores: Mapping[str, BlobStore] | None = None,
    clock: Clock = utcnow,
    upgrade_schema: bool = False,
) -> Services:
    """Construct every service from ``settings``; tests may hand in types, database or stores."""
    registry = types or TypeRegistry.from_entry_points(settings.enabled_types or None)
    validators = UploadValidators(registry, settings.validator_options)
    hooks = HookRunner()
    if database is None:
        engine = build_engine(settings.effective_database_url, pool=pool_settings(settings))
        if upgrade_schema:
            migrate.upgrade(engine)
        database = Database(engine)
    check_stored_versions(database, registry)
    blob_stores = stores if stores is not None else build_stores(settings.effective_stores)
    policy = Policy(Path(settings.policy_file) if settings.policy_file else None)
    remover = DataRemover(database, blob_stores, clock)
    leases = UploadLeases(database, clock, ttl=dt.timedelta(seconds=settings.upload_lease))
    contents = ContentRefs(
        share=settings.deduplicate,
        delete_delay=dt.timedelta(seconds=settings.delete_delay),
        clock=clock,
    )
    artifacts = ArtifactService(
        database,
        registry,
        policy,
        limits=ListLimits(
            default=settings.default_list_limit,
            maximum=settings.max_list_limit,
            count=settings.count_limit,
            scan=settings.count_scan_limit,
        ),
        clock=clock,
        remover=remover,
        contents=contents,
        hooks=hooks,
    )
    blobs = BlobService(
        database,
        registry,
        policy,
        blob_stores,
        store_choice=StoreChoice(settings.default_store, settings.store_for),
        remover=remover,
        leases=leases,
        locations=LocationPolicy.from_settings(
            settings.external_schemes, settings.external_hosts, settings.external_networks
        ),
        clock=clock,
        render=artifacts.render,
        contents=contents,
        validators=validators,
        hooks=hooks,
        resumable_expiry=dt.timedelta(seconds=settings.resumable_expiry),
    )
    tasks = TaskQueue(
        database,
        clock,
        policy,
        TaskSettings(
            time_to_live=dt.timedelta(hours=settings.task_time_to_live),
            lease=dt.timedelta(seconds=settings.task_lease),
            max_attempts=settings.task_max_attempts,
            retry_delay=dt.timedelta(seconds=settings.task_retry_delay),
        ),
    )
    fetch_policy = FetchPolicy.from_settings(
        allowed_schemes=settings.import_allowed_schemes,
        disallowed_schemes=settings.import_disallowed_schemes,
        allowed_hosts=settings.import_allowed_hosts,
        disallowed_hosts=settings.import_disallowed_hosts,
        allowed_ports=settings.import_allowed_ports,
        disallowed_ports=settings.import_disallowed_ports,
        allowed_networks=settings.import_allowed_networks,
    )
    imports = ImportService(
        database,
        registry,
        policy,
        artifacts=artifacts,
        blobs=blobs,
        tasks=tasks,
        stores=blob_stores,
        store_choice=StoreChoice(settings.default_store, settings.store_for),
        staging_store=settings.staging_store or settings.default_store,
        remover=remover,
        fetcher=Fetcher(fetch_policy, timeout=settings.import_fetch_timeout),
        methods=settings.import_methods,
        clock=clock,
    )
    return Services(
        types=registry,
        artifacts=artifacts,
        blobs=blobs,
        members=MemberService(database, registry, policy, clock=clock),
        quotas=QuotaService(database, registry, policy, clock=clock),
        gc=GarbageCollector(
            database,
            blob_stores,
            blobs,
            remover,
            lease=leases.ttl,
            delete_delay=contents.delete_delay,
            grace=dt.timedelta(seconds=settings.gc_grace),
            clock=clock,
        ),
        tokens=TokenService(database, clock=clock),
        remover=remover,
        database=database,
        stores=blob_stores,
        health=HealthService(database, blob_stores),
        leases=leases,
        hooks=hooks,
        tasks=tasks,
        imports=imports,
    )
