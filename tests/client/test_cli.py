"""The ``artifacts`` command's own behaviour: its help, completion, typed values, layering."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from artifacts_client.cli import main
from artifacts_client.cli.fields import assignments, blob_fields

SCHEMA = {
    "properties": {
        "name": {"type": "string"},
        "min_ram": {"type": ["integer", "null"]},
        "ratio": {"type": ["number", "null"]},
        "public_ok": {"type": ["boolean", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "ports": {"type": "array", "items": {"type": "integer"}},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        "image": {"type": ["object", "null"], "glareType": "Blob"},
        "files": {"type": "object", "glareType": "BlobDict", "required_on_activate": True},
    }
}


def test_values_are_typed_by_the_schema() -> None:
    assert assignments(
        SCHEMA,
        [
            *["name=123", "min_ram=512", "ratio=1.5", "public_ok=yes", "tags=a, b"],
            *["ports=[1,2]", "metadata.os=linux", 'metadata={"a": "b"}'],
        ],
    ) == {
        "name": "123",
        "min_ram": 512,
        "ratio": 1.5,
        "public_ok": True,
        "tags": ["a", "b"],
        "ports": [1, 2],
        "metadata.os": "linux",
        "metadata": {"a": "b"},
    }
    for bad in ["min_ram=lots", "nope=1", "name.key=x", "public_ok=maybe", "novalue"]:
        with pytest.raises(click.BadParameter):
            assignments(SCHEMA, [bad])


def test_the_main_blob_is_the_required_one() -> None:
    assert blob_fields(SCHEMA) == ["files", "image"]


def test_help_lists_client_and_server_commands_apart(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    client, _, server = out.partition("\nServer administration")
    for command in ["push", "pull", "ls", "show", "share", "accept", "whoami", "schema"]:
        assert f"\n  {command} " in client
    for command in ["serve", "db", "token", "scrub"]:
        assert f"\n  {command} " in server
    assert "``" not in out


def test_server_commands_keep_their_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    assert "--workers" in capsys.readouterr().out


def test_completion_scripts_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    assert "_ARTIFACTS_COMPLETE" in capsys.readouterr().out


def test_a_bad_reference_exits_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--url", "http://127.0.0.1:9", "show", "cirros"]) == 2
    assert "TYPE/NAME[@RANGE]" in capsys.readouterr().err


def test_client_commands_never_import_the_server() -> None:
    code = (
        "import sys; from artifacts_client.cli import main; main(['ls', '--help']); "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('artifacts', 'api')], "
        "sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


def test_the_server_configuration_option_reaches_server_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[nope]\nx = 1\n")
    assert main(["--config", str(bad), "types"]) == 2
    assert "unknown setting [nope] x" in capsys.readouterr().err
