from __future__ import annotations

from pathlib import Path

import pytest

from artifacts.config import ConfigError, Settings, load_settings


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
    ],
)
def test_bad_configuration_stops_with_a_message(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, environ={})


def test_missing_file_is_reported() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings("/nonexistent/artifacts.toml", environ={})


def test_settings_are_immutable() -> None:
    with pytest.raises(AttributeError):
        Settings().workers = 3  # type: ignore[misc]


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
