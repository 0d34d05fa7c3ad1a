from __future__ import annotations

from pathlib import Path

import pytest

from artifacts.cli import _fresh_metrics_dir, _gunicorn_command, command_summaries, main
from artifacts.config import Settings
from artifacts.db import migrate
from tests.conftest import s3_client, s3_store_toml


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "ARTIFACTS_CONFIG",
        "ARTIFACTS_DATABASE_URL",
        "ARTIFACTS_ENABLED_TYPES",
        "ARTIFACTS_AUTH_MODE",
        "ARTIFACTS_BIND",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARTIFACTS_DATA_DIR", str(tmp_path))


def test_db_upgrade_creates_the_sqlite_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "artifacts.db").exists()
    assert f"revision {migrate.head_revision()}" in capsys.readouterr().out
    assert main(["db", "current"]) == 0


def test_db_current_without_a_database_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ARTIFACTS_DATA_DIR", str(data_dir))
        assert main(["db", "current"]) == 1
        assert main(["token", "list"]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not data_dir.exists()


def test_db_current_fails_on_an_empty_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "artifacts.db").touch()
    assert main(["db", "current"]) == 1
    assert "current: empty" in capsys.readouterr().out


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "``" not in capsys.readouterr().out


def test_command_summaries_name_every_server_command() -> None:
    summaries = command_summaries()
    assert {"serve", "db", "token", "scrub", "types"} <= set(summaries)
    assert all(summaries.values())


def test_types_lists_the_installed_types(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["types"]) == 0
    out = capsys.readouterr().out
    assert "images\t1.1\ttype_plugins.images" in out


def test_configuration_errors_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[nope]\nx = 1\n")
    assert main(["--config", str(bad), "types"]) == 2
    assert "unknown setting [nope] x" in capsys.readouterr().err


def test_enabling_a_missing_type_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARTIFACTS_ENABLED_TYPES", "images,flux_capacitors")
    assert main(["types"]) == 2
    assert "flux_capacitors" in capsys.readouterr().err


def test_token_create_prints_the_token_once_and_list_shows_it_without_the_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        main(
            [
                "token",
                "create",
                "--project",
                "p1",
                "--user",
                "ci",
                "--roles",
                "Admin,member",
                "--expires-in",
                "12h",
                "--description",
                "CI pipeline",
            ]
        )
        == 0
    )
    created = capsys.readouterr()
    token = created.out.strip()
    assert token.startswith("art_")
    assert "shown only once" in created.err
    assert "only in 'tokens' mode" in created.err  # the default mode is trusted-headers

    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split("\t")[:5] == ["id", "project", "user", "roles", "state"]
    token_id, project, user, roles, state, _expires, description = listed[1].split("\t")
    assert token.startswith(f"art_{token_id}_")
    assert (project, user, roles, state, description) == (
        "p1",
        "ci",
        "admin,member",
        "active",
        "CI pipeline",
    )
    # The secret may itself hold "_": it is all that follows the id.
    secret = token.removeprefix(f"art_{token_id}_")
    assert secret not in "\n".join(listed)


def test_token_revoke_marks_it_revoked(capsys: pytest.CaptureFixture[str]) -> None:
    main(["token", "create", "--project", "p1", "--user", "ci"])
    main(["token", "create", "--project", "p2", "--user", "ci"])
    capsys.readouterr()
    main(["token", "list", "--project", "p1"])
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 1
    token_id = rows[0].split("\t")[0]

    assert main(["token", "revoke", token_id]) == 0
    assert f"token {token_id} revoked" in capsys.readouterr().out
    main(["token", "list", "--project", "p1"])
    assert capsys.readouterr().out.splitlines()[1].split("\t")[4] == "revoked"


def test_revoking_an_unknown_token_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["token", "revoke", "0123456789abcdef"]) == 1
    assert "Token 0123456789abcdef not found" in capsys.readouterr().err


@pytest.mark.parametrize("lifetime", ["forever", "10y", "-1d"])
def test_token_lifetimes_must_be_durations(
    lifetime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["token", "create", "--project", "p1", "--user", "ci", f"--expires-in={lifetime}"])
    assert "is not a duration" in capsys.readouterr().err


def test_serve_refuses_trusted_headers_on_a_public_bind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--bind", "0.0.0.0:9494"]) == 2
    assert "not a loopback address" in capsys.readouterr().err


def test_db_indexes_prints_the_per_type_ddl_of_the_configured_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["db", "indexes"]) == 0  # the default: SQLite in the data directory
    out = capsys.readouterr().out
    assert "CREATE INDEX IF NOT EXISTS ix_t_images_disk_format ON artifacts (type_name, " in out
    assert "JSON_EXTRACT(properties, '$.\"disk_format\"')" in out


def test_db_indexes_apply_builds_them_on_sqlite_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "indexes", "--apply"]) == 0
    assert "built ix_t_images_disk_format" in capsys.readouterr().out
    assert main(["db", "indexes", "--check"]) == 0
    assert main(["db", "indexes", "--apply"]) == 0
    assert "built" not in capsys.readouterr().out


def test_gunicorn_command_carries_the_server_settings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, graceful_timeout=45, max_requests=100, max_requests_jitter=10
    )
    command = _gunicorn_command(settings, "127.0.0.1:1", workers=3, threads=2)
    options = dict(zip(command[3:-1:2], command[4:-1:2], strict=True))
    assert options["--config"] == "python:api.gunicorn_hooks"
    assert options["--worker-class"] == "api.gunicorn_worker.BufferingThreadWorker"
    assert (options["--workers"], options["--threads"]) == ("3", "2")
    assert options["--graceful-timeout"] == "45"
    assert (options["--max-requests"], options["--max-requests-jitter"]) == ("100", "10")
    assert command[-1] == "api.wsgi:create_wsgi_app()"
    sync = _gunicorn_command(Settings(worker_class="sync"), "127.0.0.1:1", workers=3, threads=2)
    assert "--threads" not in sync


def test_metrics_directory_is_emptied_at_start_and_per_bind(tmp_path: Path) -> None:
    first = _fresh_metrics_dir(tmp_path, "127.0.0.1:9494")
    (first / "counter_123.db").write_bytes(b"old run")
    again = _fresh_metrics_dir(tmp_path, "127.0.0.1:9494")
    assert again == first
    assert list(again.iterdir()) == []
    other = _fresh_metrics_dir(tmp_path, "127.0.0.1:9495")
    assert other != first
    assert other.parent == tmp_path.resolve() / "metrics"


def test_bucket_cors_sets_shows_and_removes_a_buckets_rules(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    s3_endpoint: str,
) -> None:
    s3_client(s3_endpoint).create_bucket(Bucket="cli-cors")
    config = tmp_path / "artifacts.toml"
    filesystem = '[stores.default]\ndriver = "filesystem"\nroot = "blobs"\n'
    config.write_text(filesystem + s3_store_toml(s3_endpoint, "cli-cors", "p", name="s3"))
    monkeypatch.setenv("ARTIFACTS_CONFIG", str(config))
    origin = "https://app.example.org"
    assert main(["bucket-cors", "s3", "--allow", origin]) == 0
    assert main(["bucket-cors", "s3", "--show"]) == 0
    output = capsys.readouterr().out
    assert f"bucket 'cli-cors' allows {origin}" in output
    assert '"ETag"' in output
    assert main(["bucket-cors", "s3", "--remove"]) == 0
    assert main(["bucket-cors", "default", "--show"]) == 2  # not an s3 store
    assert "no s3 store named 'default'" in capsys.readouterr().out
