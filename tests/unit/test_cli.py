from __future__ import annotations

from pathlib import Path

import pytest

from artifacts.cli import main
from artifacts.db import migrate


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ARTIFACTS_CONFIG", "ARTIFACTS_DATABASE_URL", "ARTIFACTS_ENABLED_TYPES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARTIFACTS_DATA_DIR", str(tmp_path))


def test_db_upgrade_creates_the_sqlite_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "artifacts.db").exists()
    assert f"revision {migrate.head_revision()}" in capsys.readouterr().out
    assert main(["db", "current"]) == 0


def test_db_current_fails_on_an_empty_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current"]) == 1
    assert "current: empty" in capsys.readouterr().out


def test_types_lists_the_installed_types(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["types"]) == 0
    out = capsys.readouterr().out
    assert "images\t1.0\ttype_plugins.images" in out


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


def test_db_indexes_prints_the_per_type_ddl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "indexes"]) == 0
    out = capsys.readouterr().out
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_images_disk_format" in out


def test_db_indexes_apply_is_a_no_op_on_sqlite(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "indexes", "--apply"]) == 0
    assert "nothing to do on sqlite" in capsys.readouterr().out
