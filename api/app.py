"""The falcon application factory: routes, middleware and error handling around given services."""

from __future__ import annotations

import falcon

from api import errors, glance
from api.cors import CorsMiddleware
from api.glance import discovery
from api.glance import faults as glance_faults
from api.identity import identity_middleware
from api.metrics import Metrics, MetricsMiddleware, MetricsResource
from api.microversion import MicroversionMiddleware
from api.middleware import BodylessMethodsMiddleware, RequestIdMiddleware
from api.openapi import resources as openapi
from api.request_log import RequestLogMiddleware
from api.resources.artifacts import ArtifactCollection, ArtifactItem
from api.resources.blobs import BlobResource
from api.resources.direct import DirectCommit, DirectUpload, DirectUploads
from api.resources.glare_quotas import GlareProjectQuotas, GlareQuotas
from api.resources.health import HealthResource, ReadinessResource
from api.resources.members import MemberCollection, MemberItem
from api.resources.quotas import ProjectQuota, QuotaDefaults
from api.resources.root import VersionsResource
from api.resources.schemas import SchemasResource
from api.resources.uploads import UploadResource, UploadsRoot
from api.resources.whoami import WhoAmIResource
from api.sanitize import InputSanitizerMiddleware
from api.ui import PREFIX as CATALOG_PREFIX
from api.ui import install as install_catalog
from artifacts.config import TRUSTED_HEADERS, Settings
from artifacts.engine.services import Services


def create_app(
    settings: Settings, services: Services, metrics: Metrics | None = None
) -> falcon.App[falcon.Request, falcon.Response]:
    """Build the WSGI app; everything it needs is passed in, nothing is global."""
    metrics = metrics or Metrics()
    services.hooks.listen(metrics.hook_failed)
    origins = settings.cors_origins
    cors = [CorsMiddleware(origins, settings.cors_max_age)] if origins else []
    middleware = [
        RequestIdMiddleware(),
        RequestLogMiddleware(),
        MetricsMiddleware(metrics),
        # Before identification: browsers send preflights without credentials.
        *cors,
        InputSanitizerMiddleware(),
        # Glare's microversions are the Glare API's; the other doors have their own rules.
        MicroversionMiddleware(other_doors=(glance.PREFIX, CATALOG_PREFIX)),
        identity_middleware(settings.auth_mode, services.tokens),
        BodylessMethodsMiddleware(),
    ]
    app = falcon.App(middleware=middleware)  # type: ignore[arg-type]  # protocol typing gap
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.auto_parse_form_urlencoded = False
    errors.register(
        app,
        doors=((glance.PREFIX, glance_faults.write_fault),),
        guests_forbidden=settings.auth_mode == TRUSTED_HEADERS,
    )

    app.add_route("/healthz", HealthResource())
    app.add_route("/readyz", ReadinessResource(services.health))
    app.add_route("/metrics", MetricsResource(metrics))

    glance_door = settings.glance_api and "images" in services.types
    versions = VersionsResource(discovery.glance_versions if glance_door else None)
    app.add_route("/", versions)
    app.add_route("/versions", versions)
    app.add_route("/whoami", WhoAmIResource())

    app.add_route("/quotas", GlareQuotas(services.quotas, settings.max_json_body))
    app.add_route("/project-quotas", GlareProjectQuotas(services.quotas))
    app.add_route("/project-quotas/{project_id}", GlareProjectQuotas(services.quotas))
    app.add_route("/quotas/defaults", QuotaDefaults(services.quotas, settings.max_json_body))
    quota = ProjectQuota(services.quotas, settings.max_json_body)
    app.add_route("/quotas/projects/{project_id}", quota)

    schemas = SchemasResource(services.types)
    app.add_route("/schemas", schemas)
    app.add_route("/schemas/{type_name}", schemas, suffix="type")

    collection = ArtifactCollection(services.artifacts, settings.max_json_body)
    item = ArtifactItem(services.artifacts, settings.max_json_body)
    app.add_route("/artifacts/{type_name}", collection)
    app.add_route("/artifacts/{type_name}/{artifact_id}", item)
    # Literal segments win over fields in falcon's router, so "members" never reaches the blob
    # routes (and the type registry refuses a blob field of that name).
    members = MemberCollection(services.members, settings.max_json_body)
    app.add_route("/artifacts/{type_name}/{artifact_id}/members", members)
    member = MemberItem(services.members, settings.max_json_body)
    app.add_route("/artifacts/{type_name}/{artifact_id}/members/{project_id}", member)
    blobs = BlobResource(services.blobs, settings.max_json_body)
    app.add_route("/artifacts/{type_name}/{artifact_id}/{field}", blobs)
    app.add_route("/artifacts/{type_name}/{artifact_id}/{field}/{key:path}", blobs)
    largest = services.blobs.largest_blob
    app.add_route("/uploads", UploadsRoot(largest))
    app.add_route("/uploads/{upload_id}", UploadResource(services.blobs, largest))
    app.add_route("/direct-uploads", DirectUploads(services.blobs, settings.max_json_body))
    app.add_route("/direct-uploads/{upload_id}", DirectUpload(services.blobs))
    app.add_route(
        "/direct-uploads/{upload_id}/commit", DirectCommit(services.blobs, services.artifacts)
    )
    if glance_door:
        glance.add_routes(app, settings, services)
    openapi.add_routes(app, services.types, settings)
    install_catalog(app, settings, services)
    return app
