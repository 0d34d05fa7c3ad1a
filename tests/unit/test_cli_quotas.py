"""``artifacts quotas``: setting, unsetting and exempting limits from the server's host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artifacts.cli import main


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ARTIFACTS_CONFIG", "ARTIFACTS_DATABASE_URL", "ARTIFACTS_ENABLED_TYPES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARTIFACTS_DATA_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(["quotas", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_unlimited_exempts_a_project_and_none_gives_it_the_default_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _run(capsys, "set", "--max-artifacts", "10")

    exempt = _run(capsys, "set", "p1", "--max-artifacts", "unlimited", "--max-bytes", "500")
    assert exempt["limits"] == {"max_artifacts": -1, "max_bytes": 500, "max_blob_size": None}
    assert exempt["effective_limits"] == {
        "max_artifacts": None,
        "max_bytes": 500,
        "max_blob_size": None,
    }

    unset = _run(capsys, "set", "p1", "--max-artifacts", "none")
    assert unset["limits"] == {"max_artifacts": None, "max_bytes": 500, "max_blob_size": None}
    assert unset["effective_limits"]["max_artifacts"] == 10


@pytest.mark.parametrize(
    ("value", "said"),
    [("-1", "a limit is 0 or more"), ("lots", "'unlimited' or 'none'"), ("1.5", "whole number")],
)
def test_a_limit_is_a_whole_number_unlimited_or_none(
    value: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["quotas", "set", "p1", "--max-bytes", value])
    assert exited.value.code == 2
    assert said in capsys.readouterr().err
