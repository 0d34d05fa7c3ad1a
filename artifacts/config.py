"""Typed settings, read from a TOML file and overridden by ``ARTIFACTS_*`` environment variables.

Settings are built once (by the CLI or the WSGI entry point) and passed down explicitly; nothing
reads the environment at import time.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

CONFIG_ENV = "ARTIFACTS_CONFIG"
DEFAULT_BIND = "127.0.0.1:9494"


class ConfigError(Exception):
    """The configuration is unreadable or inconsistent; start-up must stop."""


@dataclass(frozen=True)
class Settings:
    #: Directory holding the SQLite database and, by default, blob files.
    data_dir: Path = Path("data")
    #: SQLAlchemy URL; empty means SQLite at ``<data_dir>/artifacts.db``.
    database_url: str = ""
    #: Connection pool of each worker process (PostgreSQL; SQLite opens a connection per
    #: thread). Size it to the worker's threads: every request thread holds one connection at
    #: a time, so ``pool_size >= threads`` means no request waits for a connection; overflow
    #: absorbs the blob service's short second transactions. The database must allow
    #: ``nodes * workers * (pool_size + pool_max_overflow)`` connections.
    database_pool_size: int = 5
    database_pool_max_overflow: int = 5
    #: Seconds a request waits for a free pooled connection before it fails with 503.
    database_pool_timeout: int = 10
    #: Seconds after which a pooled connection is replaced, below any server- or proxy-side
    #: idle cut-off (PgBouncer, load balancers), so no request picks a dead connection.
    database_pool_recycle: int = 1800
    #: Test each pooled connection with a cheap round trip before use: a database restart or
    #: fail-over then costs a reconnect, not a failed request.
    database_pool_pre_ping: bool = True
    #: Seconds to wait for a new PostgreSQL connection (readiness answers quickly when down).
    database_connect_timeout: int = 5
    #: Types to serve (entry-point names); empty means every installed type.
    enabled_types: tuple[str, ...] = ()
    bind: str = DEFAULT_BIND
    #: Measured best on 2 cores (docs/PERFORMANCE.md): one process more than cores, so that
    #: keep-alive connections, which stay with the worker that accepted them, do not leave a
    #: core idle; a few threads each to overlap database and client I/O.
    workers: int = 3
    threads: int = 3
    #: gunicorn worker class: "buffered" (gthread whose threads never wait for a slow
    #: client's request head or small body: docs/deploy.md), "gthread" (threads share a
    #: process's pool and digest lanes)
    #: or "sync" (one request at a time per process). See docs/deploy.md for the measurements.
    worker_class: str = "buffered"
    #: Seconds a worker may spend on one request; generous for large blob transfers.
    timeout: int = 600
    #: Seconds a worker gets to finish its requests on reload or shutdown (SIGHUP / SIGTERM)
    #: before it is killed; in-flight uploads need this much to complete.
    graceful_timeout: int = 120
    #: Seconds an idle keep-alive connection stays open (behind a load balancer, longer than
    #: its idle timeout is wrong; a few seconds is enough for clients that pipeline requests).
    keepalive: int = 5
    #: Restart a worker after this many requests (plus up to ``max_requests_jitter``, so the
    #: workers of a node do not restart together); 0 disables it.
    max_requests: int = 20000
    max_requests_jitter: int = 2000
    #: Import the application's modules (and the enabled types' plugins) once in gunicorn's
    #: master, so a worker, at start or when recycled, forks with them loaded: it spends ~0.14 s
    #: of CPU building its services instead of ~0.8 s importing and building, and the workers
    #: share those pages with the master. Each worker still builds its own settings,
    #: database engine and services. The price: a code change needs a restart (or gunicorn's
    #: USR2), because SIGHUP's new workers fork from the master's already imported code.
    preload: bool = True
    default_list_limit: int = 25
    max_list_limit: int = 1000
    #: A list's ``total_count`` is exact up to this many matches; past it the count stops and
    #: says so (``total_count_limited``). Counting reads every match, which on a type of a
    #: million rows costs more than the page: reading 10,000 took 60-120 ms on SQLite and
    #: ~30 ms on PostgreSQL, 1,000 a tenth of it. 0 counts every match, however many.
    count_limit: int = 1_000
    #: A bounded count of a list with filters tested row by row (on SQLite any list or dict
    #: filter, ``tags=…``; on PostgreSQL those no GIN index serves) examines at most this many
    #: rows that match its other conditions, and past them says so too: a rare
    #: combination of two common conditions is otherwise counted by reading every row of the
    #: commoner one (~70,000 of a million for ``disk_format=qcow2&tags=ubuntu``). 0: no bound.
    count_scan_limit: int = 10_000
    #: Largest JSON request body accepted (bytes).
    max_json_body: int = 1024 * 1024
    #: Serve Glance's Images API v2 under /v2 (over the images type, when it is enabled).
    glance_api: bool = True
    #: How callers are identified: "trusted-headers", "tokens" or "keystone" (see AUTH_MODES).
    auth_mode: str = "trusted-headers"
    #: trusted-headers believes any caller's X-Project-Id, so it refuses a non-loopback bind
    #: unless this says a gateway in front sets (and strips) those headers.
    allow_trusted_headers_on_public_bind: bool = False
    #: keystonemiddleware auth_token options (the [keystone] table), for auth_mode "keystone".
    keystone: Mapping[str, Any] = field(default_factory=dict)
    #: YAML file overriding the default policy rules; empty means the defaults.
    policy_file: str = ""
    log_level: str = "info"
    #: Blob stores by name: ``{"default": {"driver": "filesystem", "root": "blobs"}}``. Empty
    #: means one filesystem store named "default" under ``<data_dir>/blobs``.
    stores: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Store receiving new blob data, unless ``store_for`` names another for a type
    #: (``"images"``) or a field (``"heat_templates.template"``).
    default_store: str = "default"
    store_for: Mapping[str, str] = field(default_factory=dict)
    #: Seconds an upload's lease lasts. The uploading process renews it every third of that
    #: while the bytes flow; a blob left "saving" by a process that died may be uploaded again
    #: (and is cleaned by ``artifacts scrub``) once its lease is this old.
    upload_lease: int = 30
    #: Seconds a resumable upload lives after its creation or its last append; then its
    #: partial data is removed and its URL answers 410.
    resumable_expiry: int = 86400
    #: Store equal uploads once per store: an upload whose sha256 and size match stored content
    #: references it, and its own copy is removed. Turn on once every node runs a release that
    #: counts references (an older node deletes shared data with the blob it removes).
    deduplicate: bool = True
    #: Seconds blob data is kept after nothing references it any more (deleted artifacts,
    #: replaced blobs); ``artifacts gc`` removes it afterwards. 0 removes it at once.
    delete_delay: int = 0
    #: Seconds a store object no database row names must be old before ``artifacts gc``
    #: removes it: longer than any upload takes (the request ``timeout``), so the object of an
    #: upload about to be recorded is never taken.
    gc_grace: int = 3600
    #: URL schemes external blob locations may use.
    external_schemes: tuple[str, ...] = ("http", "https")
    #: If set, the only hosts external locations may name (``mirror.example.com``, or
    #: ``*.example.com`` for its subdomains); a name listed here is admitted even if local.
    external_hosts: tuple[str, ...] = ()
    #: Address ranges external locations may point into although they are not public
    #: (loopback, private, link-local, …), e.g. ``["10.20.0.0/16"]`` for an internal mirror.
    external_networks: tuple[str, ...] = ()
    #: Glance's interoperable import methods offered (``glance-direct``, ``web-download``,
    #: ``copy-image``); empty offers none.
    import_methods: tuple[str, ...] = ("glance-direct", "web-download", "copy-image")
    #: Store that holds data staged for ``glance-direct`` until its import (empty: the default
    #: store).
    staging_store: str = ""
    #: What ``web-download`` may fetch. Schemes and hosts are lists to allow (empty: any) and to
    #: refuse; ports likewise (Glance's defaults: only 80 and 443). Addresses that are not
    #: public (loopback, private, link-local, multicast, reserved) are refused unless they lie
    #: in ``import_allowed_networks``; every redirect and every DNS answer is checked again.
    import_allowed_schemes: tuple[str, ...] = ("http", "https")
    import_disallowed_schemes: tuple[str, ...] = ()
    import_allowed_hosts: tuple[str, ...] = ()
    import_disallowed_hosts: tuple[str, ...] = ()
    import_allowed_ports: tuple[str, ...] = ("80", "443")
    import_disallowed_ports: tuple[str, ...] = ()
    import_allowed_networks: tuple[str, ...] = ()
    #: Seconds ``web-download`` waits to connect and between two reads of the source.
    import_fetch_timeout: int = 30
    #: Hours a finished task stays listed (Glance's ``task_time_to_live``).
    task_time_to_live: int = 48
    #: Seconds a worker's claim on a task lasts; renewed while it runs, so a task whose worker
    #: died is claimed again by another worker after at most this long.
    task_lease: int = 60
    #: Attempts of a task failing for a passing reason (store or network outage) before it fails.
    task_max_attempts: int = 3
    #: Seconds before the first retry; each further retry waits twice as long.
    task_retry_delay: int = 5
    #: Origins (``https://app.example.org``, or ``*`` for any) whose browser pages may call
    #: the API; empty (the default) answers no cross-origin request (docs/deploy.md).
    cors_origins: tuple[str, ...] = ()
    #: Seconds a browser may cache a preflight's answer.
    cors_max_age: int = 600
    #: Options of the types' streaming validators by validator name (``[validators.<name>]``),
    #: handed to each validator's ``configure`` at start-up.
    validator_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def effective_stores(self) -> dict[str, dict[str, Any]]:
        if not self.stores:
            return {"default": {"driver": "filesystem", "root": str(self.data_dir / "blobs")}}
        resolved: dict[str, dict[str, Any]] = {}
        for name, options in self.stores.items():
            opts = dict(options)
            if opts.get("driver") == "filesystem" and "root" in opts:
                opts["root"] = str(self.data_dir / opts["root"])
            if opts.get("driver") == "database" and not opts.get("url"):
                opts["url"] = self.effective_database_url
            resolved[name] = opts
        return resolved

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'artifacts.db').resolve()}"


# TOML section.key → Settings attribute
_TOML_KEYS: Mapping[tuple[str, str], str] = {
    ("storage", "data_dir"): "data_dir",
    ("database", "url"): "database_url",
    ("database", "pool_size"): "database_pool_size",
    ("database", "pool_max_overflow"): "database_pool_max_overflow",
    ("database", "pool_timeout"): "database_pool_timeout",
    ("database", "pool_recycle"): "database_pool_recycle",
    ("database", "pool_pre_ping"): "database_pool_pre_ping",
    ("database", "connect_timeout"): "database_connect_timeout",
    ("types", "enabled"): "enabled_types",
    ("server", "bind"): "bind",
    ("server", "workers"): "workers",
    ("server", "threads"): "threads",
    ("server", "worker_class"): "worker_class",
    ("server", "timeout"): "timeout",
    ("server", "graceful_timeout"): "graceful_timeout",
    ("server", "keepalive"): "keepalive",
    ("server", "max_requests"): "max_requests",
    ("server", "max_requests_jitter"): "max_requests_jitter",
    ("server", "preload"): "preload",
    ("server", "log_level"): "log_level",
    ("api", "default_list_limit"): "default_list_limit",
    ("api", "max_list_limit"): "max_list_limit",
    ("api", "count_limit"): "count_limit",
    ("api", "count_scan_limit"): "count_scan_limit",
    ("api", "max_json_body"): "max_json_body",
    ("api", "glance"): "glance_api",
    ("auth", "mode"): "auth_mode",
    ("auth", "allow_trusted_headers_on_public_bind"): "allow_trusted_headers_on_public_bind",
    ("policy", "file"): "policy_file",
    ("blobs", "default_store"): "default_store",
    ("blobs", "upload_lease"): "upload_lease",
    ("blobs", "resumable_expiry"): "resumable_expiry",
    ("blobs", "deduplicate"): "deduplicate",
    ("blobs", "delete_delay"): "delete_delay",
    ("blobs", "gc_grace"): "gc_grace",
    ("blobs", "external_schemes"): "external_schemes",
    ("blobs", "external_hosts"): "external_hosts",
    ("blobs", "external_networks"): "external_networks",
    ("blobs", "store_for"): "store_for",
    ("import", "methods"): "import_methods",
    ("import", "staging_store"): "staging_store",
    ("import", "allowed_schemes"): "import_allowed_schemes",
    ("import", "disallowed_schemes"): "import_disallowed_schemes",
    ("import", "allowed_hosts"): "import_allowed_hosts",
    ("import", "disallowed_hosts"): "import_disallowed_hosts",
    ("import", "allowed_ports"): "import_allowed_ports",
    ("import", "disallowed_ports"): "import_disallowed_ports",
    ("import", "allowed_networks"): "import_allowed_networks",
    ("import", "fetch_timeout"): "import_fetch_timeout",
    ("tasks", "time_to_live"): "task_time_to_live",
    ("tasks", "lease"): "task_lease",
    ("tasks", "max_attempts"): "task_max_attempts",
    ("tasks", "retry_delay"): "task_retry_delay",
    ("cors", "allowed_origins"): "cors_origins",
    ("cors", "max_age"): "cors_max_age",
}

#: Sections whose keys are user-chosen names rather than settings.
_NAMED_TABLES = {"stores": "stores"}

#: Sections passed through whole, as options for a library.
_PASSTHROUGH_TABLES = {"keystone": "keystone"}

#: Sections of named option tables for plugins (``[validators.<name>]``).
_OPTION_TABLES = {"validators": "validator_options"}

TRUSTED_HEADERS = "trusted-headers"
TOKENS = "tokens"
KEYSTONE = "keystone"
AUTH_MODES = (TRUSTED_HEADERS, TOKENS, KEYSTONE)
WORKER_CLASSES = ("buffered", "gthread", "sync")
IMPORT_METHODS = ("glance-direct", "web-download", "copy-image")
#: What gunicorn is told for each worker class (a dotted path for ours: named, not imported,
#: so the core never imports the HTTP layer).
GUNICORN_WORKER_CLASSES = {
    "buffered": "api.gunicorn_worker.BufferingThreadWorker",
    "gthread": "gthread",
    "sync": "sync",
}
#: Worker classes that run requests on a pool of threads (``threads`` applies to them).
THREADED_WORKER_CLASSES = ("buffered", "gthread")
_ORIGIN = re.compile(
    r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$"
)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def load_settings(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from defaults, then the TOML file, then the environment."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_path = path or env.get(CONFIG_ENV)
    if config_path:
        values.update(_from_toml(Path(config_path)))
    values.update(_from_env(env))
    settings = _coerce(values)
    _check(settings)
    return settings


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"Configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Configuration file {path} is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for section, table in document.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: top-level key {section!r} must be a [section]")
        if section in _NAMED_TABLES:
            values[_NAMED_TABLES[section]] = _option_tables(path, section, table, needs="driver")
            continue
        if section in _PASSTHROUGH_TABLES:
            values[_PASSTHROUGH_TABLES[section]] = table
            continue
        if section in _OPTION_TABLES:
            values[_OPTION_TABLES[section]] = _option_tables(path, section, table)
            continue
        for key, value in table.items():
            attribute = _TOML_KEYS.get((section, key))
            if attribute is None:
                raise ConfigError(f"{path}: unknown setting [{section}] {key}")
            values[attribute] = value
    if "data_dir" in values:
        values["data_dir"] = (path.parent / values["data_dir"]).resolve()
    if values.get("policy_file"):
        values["policy_file"] = str((path.parent / values["policy_file"]).resolve())
    return values


def _option_tables(
    path: Path, section: str, table: Mapping[str, Any], needs: str = ""
) -> dict[str, Any]:
    """Check a section of named tables (``[stores.<name>]``, ``[validators.<name>]``)."""
    for name, options in table.items():
        if not isinstance(options, dict) or (needs and needs not in options):
            what = f"a table with a {needs}" if needs else "a table of options"
            raise ConfigError(f"{path}: [{section}.{name}] must be {what}")
    return dict(table)


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in _TOML_KEYS.values():
        if attribute == "store_for":
            continue
        raw = env.get(f"ARTIFACTS_{attribute.upper()}")
        if raw is not None:
            values[attribute] = raw
    return values


def _coerce(values: Mapping[str, Any]) -> Settings:
    defaults = Settings()
    kinds = {fld.name: type(getattr(defaults, fld.name)) for fld in fields(Settings)}
    converted: dict[str, Any] = {}
    for name, raw in values.items():
        kind = kinds[name]
        try:
            if name in ("stores", "store_for", "keystone", "validator_options"):
                if not isinstance(raw, dict):
                    raise TypeError(name)
                converted[name] = dict(raw)
            elif kind is tuple:
                items = raw.split(",") if isinstance(raw, str) else list(raw)
                converted[name] = tuple(str(item).strip() for item in items if str(item).strip())
            elif kind is bool:
                converted[name] = _boolean(raw)
            elif kind is int:
                if isinstance(raw, bool):
                    raise TypeError(name)
                converted[name] = int(raw)
            elif name == "data_dir":
                converted[name] = Path(raw)
            else:
                converted[name] = str(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"Setting {name!r} has an invalid value {raw!r}") from None
    return replace(defaults, **converted)


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(raw)


def check_bind(settings: Settings, bind: str) -> None:
    """Refuse to serve trusted-headers on an address others can reach, unless allowed.

    In that mode anyone who can connect can claim any project, so only a loopback address (or a
    Unix socket) is safe without a gateway in front.
    """
    if settings.auth_mode != TRUSTED_HEADERS or settings.allow_trusted_headers_on_public_bind:
        return
    if not is_loopback(bind):
        raise ConfigError(
            f"auth mode 'trusted-headers' trusts every caller's X-Project-Id; refusing to bind "
            f"{bind!r}, which is not a loopback address. Use auth mode 'tokens' or 'keystone', "
            "or, behind a gateway that sets and strips the identity headers, set "
            "[auth] allow_trusted_headers_on_public_bind = true."
        )


def is_loopback(bind: str) -> bool:
    """Return whether a gunicorn bind (``host:port``, ``[v6]:port``, ``unix:path``) is local."""
    if bind.startswith(("unix:", "fd://")):
        return True
    host = bind.rsplit(":", 1)[0] if bind.count(":") == 1 or bind.startswith("[") else bind
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_lists(settings: Settings) -> None:
    if not 1 <= settings.default_list_limit <= settings.max_list_limit:
        raise ConfigError("default_list_limit must be between 1 and max_list_limit")
    if settings.count_limit < 0:
        raise ConfigError("count_limit must be 0 (exact counts) or a positive number")
    if settings.count_scan_limit < 0:
        raise ConfigError("count_scan_limit must be 0 (no bound) or a positive number")


def _check_blobs(settings: Settings) -> None:
    if settings.gc_grace < settings.timeout:
        raise ConfigError("gc_grace must be at least the request timeout")


def _check_cors(settings: Settings) -> None:
    for origin in settings.cors_origins:
        if origin == "*":
            if len(settings.cors_origins) > 1:
                raise ConfigError("[cors] allowed_origins: '*' allows every origin; list it alone")
            continue
        if not _ORIGIN.match(origin):
            raise ConfigError(
                f"[cors] allowed_origins: {origin!r} is not an origin "
                "(scheme://host[:port], no path), nor '*'"
            )
    if settings.cors_max_age < 0:
        raise ConfigError("[cors] max_age must be 0 or more seconds")


def _check(settings: Settings) -> None:
    if settings.auth_mode not in AUTH_MODES:
        raise ConfigError(f"auth mode must be one of {AUTH_MODES}, not {settings.auth_mode!r}")
    check_bind(settings, settings.bind)
    _check_lists(settings)
    _check_blobs(settings)
    _check_cors(settings)
    if settings.workers < 1 or settings.threads < 1:
        raise ConfigError("workers and threads must be at least 1")
    if settings.worker_class not in WORKER_CLASSES:
        raise ConfigError(
            f"worker_class must be one of {WORKER_CLASSES}, not {settings.worker_class!r}"
        )
    for name in (
        "timeout",
        "graceful_timeout",
        "database_pool_timeout",
        "upload_lease",
        "resumable_expiry",
    ):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name} must be at least 1 second")
    for name in (
        "keepalive",
        "max_requests",
        "max_requests_jitter",
        "database_pool_size",
        "database_pool_max_overflow",
        "database_pool_recycle",
        "database_connect_timeout",
        "delete_delay",
    ):
        if getattr(settings, name) < 0:
            raise ConfigError(f"{name} must not be negative")
    _check_import(settings)
    stores = settings.effective_stores
    staging = {"staging_store": settings.staging_store} if settings.staging_store else {}
    chosen = {"default_store": settings.default_store, **settings.store_for, **staging}
    for target, store in chosen.items():
        if store not in stores:
            raise ConfigError(f"{target} names store {store!r}, which is not configured")


def _check_import(settings: Settings) -> None:
    """The address ranges, and the ``[import]`` and ``[tasks]`` settings."""
    for name in ("external_networks", "import_allowed_networks"):
        for network in getattr(settings, name):
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ConfigError(f"{name}: {network!r} is not an address range") from None
    for name in ("import_allowed_ports", "import_disallowed_ports"):
        for port in getattr(settings, name):
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise ConfigError(f"{name}: {port!r} is not a port number")
    unknown = set(settings.import_methods) - set(IMPORT_METHODS)
    if unknown:
        raise ConfigError(f"import methods must be among {IMPORT_METHODS}, not {sorted(unknown)}")
    for name in ("import_fetch_timeout", "task_time_to_live", "task_lease", "task_max_attempts"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name} must be at least 1")
    if settings.task_retry_delay < 0:
        raise ConfigError("task_retry_delay must not be negative")
