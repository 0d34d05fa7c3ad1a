from __future__ import annotations

from pathlib import Path

import pytest

from artifacts.config import ConfigError, Settings, is_loopback, load_settings


def test_defaults_serve_sqlite_on_loopback() -> None:
    settings = load_settings(environ={})
    assert settings.bind == "127.0.0.1:9494"
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith("/data/artifacts.db")


def test_toml_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "artifacts.toml"
    config.parent.mkdir()
    config.write_text(
        '[server]\nworkers = 3\n[storage]\ndata_dir = "../d"\n'
        '[types]\nenabled = ["images"]\n[api]\nmax_list_limit = 50\n'
    )
    settings = load_settings(config, environ={"ARTIFACTS_WORKERS": "5"})
    assert settings.workers == 5
    assert settings.data_dir == (tmp_path / "d").resolve()
    assert settings.enabled_types == ("images",)
    assert settings.max_list_limit == 50


def test_config_path_may_come_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "a.toml"
    config.write_text('[database]\nurl = "postgresql+psycopg://x@y/z"\n')
    settings = load_settings(environ={"ARTIFACTS_CONFIG": str(config)})
    assert settings.effective_database_url == "postgresql+psycopg://x@y/z"


def test_environment_lists_are_comma_separated() -> None:
    settings = load_settings(environ={"ARTIFACTS_ENABLED_TYPES": "images, heat_templates"})
    assert settings.enabled_types == ("images", "heat_templates")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[server]\nport = 1\n", "unknown setting"),
        ("[server\n", "not valid TOML"),
        ("bind = 1\n", "must be a \\[section\\]"),
        ("[server]\nworkers = 'many'\n", "invalid value"),
        ("[auth]\nmode = 'open'\n", "auth mode"),
        ("[api]\ndefault_list_limit = 5000\n", "default_list_limit"),
        ("[server]\nbind = '0.0.0.0:9494'\n", "refusing to bind '0.0.0.0:9494'"),
        ("[auth]\nallow_trusted_headers_on_public_bind = 'maybe'\n", "invalid value"),
        ("[validators]\nmagic = 1\n", "\\[validators.magic\\] must be a table of options"),
        ("[stores.x]\nroot = 'b'\n", "\\[stores.x\\] must be a table with a driver"),
    ],
)
def test_bad_configuration_stops_with_a_message(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, environ={})


def test_validator_tables_reach_the_settings(tmp_path: Path) -> None:
    config = tmp_path / "a.toml"
    config.write_text(
        "[validators.vmdk]\nallowed_create_types = ['monolithicSparse']\n[validators.x]\n"
    )
    settings = load_settings(config, environ={})
    assert settings.validator_options == {
        "vmdk": {"allowed_create_types": ["monolithicSparse"]},
        "x": {},
    }


def test_missing_file_is_reported() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings("/nonexistent/artifacts.toml", environ={})


def test_settings_are_immutable() -> None:
    with pytest.raises(AttributeError):
        Settings().workers = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("bind", "loopback"),
    [
        ("127.0.0.1:9494", True),
        ("127.8.9.10:80", True),
        ("localhost:9494", True),
        ("[::1]:9494", True),
        ("::1", True),
        ("unix:/run/artifacts.sock", True),
        ("0.0.0.0:9494", False),
        ("[::]:9494", False),
        ("10.1.2.3:9494", False),
        ("artifacts.example.com:9494", False),
    ],
)
def test_loopback_binds(bind: str, loopback: bool) -> None:
    assert is_loopback(bind) is loopback


def test_trusted_headers_may_serve_a_public_bind_only_when_allowed(tmp_path: Path) -> None:
    config = tmp_path / "artifacts.toml"
    config.write_text(
        "[server]\nbind = '0.0.0.0:9494'\n[auth]\nallow_trusted_headers_on_public_bind = true\n"
    )
    assert load_settings(config, environ={}).bind == "0.0.0.0:9494"
    environ = {
        "ARTIFACTS_BIND": "0.0.0.0:1",
        "ARTIFACTS_ALLOW_TRUSTED_HEADERS_ON_PUBLIC_BIND": "no",
    }
    with pytest.raises(ConfigError, match="not a loopback address"):
        load_settings(environ=environ)


@pytest.mark.parametrize("mode", ["tokens", "keystone"])
def test_other_auth_modes_may_serve_any_address(mode: str) -> None:
    settings = load_settings(environ={"ARTIFACTS_AUTH_MODE": mode, "ARTIFACTS_BIND": "0.0.0.0:1"})
    assert settings.auth_mode == mode


def test_policy_file_is_relative_to_the_config_and_keystone_options_pass_through(
    tmp_path: Path,
) -> None:
    config = tmp_path / "etc" / "artifacts.toml"
    config.parent.mkdir()
    config.write_text(
        '[auth]\nmode = "keystone"\n[policy]\nfile = "policy.yaml"\n'
        '[keystone]\nwww_authenticate_uri = "https://keystone.example.com/identity"\n'
        "memcached_servers = ['10.0.0.1:11211', '10.0.0.2:11211']\n"
    )
    settings = load_settings(config, environ={})
    assert settings.policy_file == str((tmp_path / "etc" / "policy.yaml").resolve())
    assert settings.keystone["www_authenticate_uri"] == "https://keystone.example.com/identity"
    assert settings.keystone["memcached_servers"] == ["10.0.0.1:11211", "10.0.0.2:11211"]


def test_pool_and_server_settings_from_toml_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "a.toml"
    config.write_text(
        "[database]\npool_size = 8\npool_max_overflow = 2\npool_pre_ping = false\n"
        '[server]\nworker_class = "sync"\ngraceful_timeout = 60\nmax_requests = 0\n'
    )
    settings = load_settings(
        config, environ={"ARTIFACTS_DATABASE_POOL_RECYCLE": "300", "ARTIFACTS_KEEPALIVE": "2"}
    )
    assert (settings.database_pool_size, settings.database_pool_max_overflow) == (8, 2)
    assert settings.database_pool_pre_ping is False
    assert settings.database_pool_recycle == 300
    assert (settings.worker_class, settings.graceful_timeout, settings.keepalive) == ("sync", 60, 2)
    assert settings.max_requests == 0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ARTIFACTS_WORKER_CLASS": "eventlet"}, "worker_class must be one of"),
        ({"ARTIFACTS_DATABASE_POOL_PRE_PING": "maybe"}, "database_pool_pre_ping"),
        ({"ARTIFACTS_GRACEFUL_TIMEOUT": "0"}, "graceful_timeout must be at least 1"),
        ({"ARTIFACTS_DATABASE_POOL_MAX_OVERFLOW": "-1"}, "must not be negative"),
    ],
)
def test_bad_server_and_pool_settings_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_settings_read_origins_and_refuse_what_is_not_one() -> None:
    settings = load_settings(
        environ={"ARTIFACTS_CORS_ORIGINS": "https://a.example.org, http://127.0.0.1:8080"}
    )
    assert settings.cors_origins == ("https://a.example.org", "http://127.0.0.1:8080")
    for bad in ("https://a.example.org/path", "a.example.org", "*,https://a.example.org"):
        with pytest.raises(ConfigError, match="allowed_origins"):
            load_settings(environ={"ARTIFACTS_CORS_ORIGINS": bad})
