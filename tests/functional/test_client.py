"""The client library and the ``artifacts`` command against real gunicorn servers.

Push, pull with verification, lists with version ranges, sharing between two projects and a
resumed pull, on SQLite and PostgreSQL; and API tokens through the installed console script.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from artifacts_client import Client, NotFound
from artifacts_client.cli import main
from tests.functional.conftest import REPO, Server, start_server

pytestmark = pytest.mark.functional

MIB = 1024 * 1024


@pytest.fixture
def cli(
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> _Cli:
    for name in [name for name in os.environ if name.startswith("ARTIFACTS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ARTIFACTS_CLIENT_CONFIG", str(tmp_path / "no-profile.toml"))
    monkeypatch.setenv("ARTIFACTS_URL", server.url)
    monkeypatch.chdir(tmp_path)
    return _Cli(capsys)


class _Cli:
    """Run ``artifacts`` in this process as one project; return (status, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, project: str, *args: str) -> tuple[int, str, str]:
        self._capsys.readouterr()
        status = main(["--project", project, *args])
        captured = self._capsys.readouterr()
        return status, captured.out, captured.err

    def json(self, project: str, *args: str) -> object:
        status, out, err = self(project, *args, "--format", "json")
        assert status == 0, err
        return json.loads(out)


def _payload(size: int, seed: bytes = b"") -> bytes:
    block = hashlib.sha256(seed + str(size).encode()).digest()
    return (block * (size // 32 + 1))[:size]


def test_push_then_pull_round_trips_with_verified_digests(cli: _Cli, tmp_path: Path) -> None:
    project = f"p-{uuid.uuid4().hex[:8]}"
    data = _payload(5 * MIB + 17)
    (tmp_path / "disk.img").write_bytes(data)
    status, out, err = cli(
        project, "push", "images", "cirros", "0.6.2", "disk.img",
        "--set", "disk_format=raw", "--set", "container_format=bare", "--set", "min_ram=64",
        "--activate", "--format", "json",
    )  # fmt: skip
    assert status == 0, err
    pushed = json.loads(out)
    assert (pushed["status"], pushed["min_ram"]) == ("active", 64)
    assert pushed["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert "(verified)" in err

    status, _, err = cli(project, "pull", "images/cirros@0.6.2", "-o", "copy.img")
    assert status == 0, err
    assert (tmp_path / "copy.img").read_bytes() == data
    assert f"sha256 {hashlib.sha256(data).hexdigest()} (verified)" in err

    # A second push of the same name and version is refused, not silently duplicated.
    status, _, err = cli(project, "push", "images", "cirros", "0.6.2", "disk.img")
    assert status == 1
    assert "409" in err


def test_pushing_again_after_a_failed_upload_reuses_the_draft(cli: _Cli, tmp_path: Path) -> None:
    project = f"p-{uuid.uuid4().hex[:8]}"
    (tmp_path / "big.yaml").write_bytes(b"x" * (11 * MIB))  # over the template blob's 10 MiB
    status, _, err = cli(project, "push", "heat_templates", "stack", "1.0.0", "big.yaml")
    assert status == 1
    assert "413" in err
    (tmp_path / "ok.yaml").write_text("heat_template_version: 2018-08-31\n")
    status, _, err = cli(project, "push", "heat_templates", "stack", "1.0.0", "ok.yaml")
    assert status == 0, err
    listed = cli.json(project, "ls", "heat_templates", "--name", "stack")
    assert isinstance(listed, list)
    assert len(listed) == 1


def test_ls_and_references_take_semver_ranges(cli: _Cli, server: Server) -> None:
    project = f"p-{uuid.uuid4().hex[:8]}"
    with Client(server.url, project=project) as client:
        for version in ["1.0.0", "1.2.0", "1.10.0", "2.0.0", "1.2.1-beta"]:
            client.create("images", "ubuntu", version)
        client.create("images", "debian", "12.0.0")
        listed = cli.json(project, "ls", "images", "--name", "ubuntu", "--version", "^1.2")
        assert isinstance(listed, list)
        # The listing is in the server's default order (Glare's); the range decides the set.
        assert {item["version"] for item in listed} == {"1.10.0", "1.2.0"}
        shown = cli.json(project, "show", "images/ubuntu@^1")
        assert isinstance(shown, dict)
        assert shown["version"] == "1.10.0"  # SemVer order, not string order
        assert client.resolve("images/ubuntu").version == "2.0.0"
        latest = {a.name: a.version for a in client.list("images", latest=True)}
        assert latest == {"ubuntu": "2.0.0", "debian": "12.0.0"}
        assert client.count("images", name="ubuntu", version="^1.0") == 3
        # Small pages: the iterator follows the server's next links.
        assert len(list(client.list("images", name="ubuntu", page_size=2))) == 5
        status, _, err = cli(project, "show", "images/ubuntu@^3")
        assert (status, "404" in err) == (1, True)


def test_share_and_accept_between_two_projects(cli: _Cli, server: Server) -> None:
    owner, member = f"own-{uuid.uuid4().hex[:6]}", f"mem-{uuid.uuid4().hex[:6]}"
    with Client(server.url, project=owner) as client:
        artifact = client.create(
            "images", "shared-img", "1.0.0", disk_format="raw", container_format="bare"
        )
        client.upload(artifact, "image", b"shared bytes")
        client.activate(artifact)
    ref = "images/shared-img@1.0.0"

    status, _, err = cli(owner, "share", ref, member)
    assert status == 0, err
    assert cli.json(member, "ls", "images") == []
    pending = cli.json(member, "ls", "images", "--pending")
    assert isinstance(pending, list)
    assert [item["id"] for item in pending] == [artifact.id]

    answered = cli.json(member, "accept", ref)
    assert isinstance(answered, list)
    assert answered[0]["status"] == "accepted"
    listed = cli.json(member, "ls", "images")
    assert isinstance(listed, list)
    assert [item["visibility"] for item in listed] == ["shared"]
    status, _, err = cli(member, "pull", ref, "-o", "got.img")
    assert status == 0, err
    members = cli.json(owner, "members", ref)
    assert isinstance(members, list)
    assert [(m["member_id"], m["status"]) for m in members] == [(member, "accepted")]

    status, _, err = cli(member, "rm", ref)
    assert status == 1
    assert "403" in err
    assert cli(owner, "unshare", ref, member)[0] == 0
    assert cli(member, "show", ref)[0] == 1


def test_an_interrupted_pull_resumes_with_a_range_request(
    cli: _Cli, server: Server, tmp_path: Path
) -> None:
    project = f"p-{uuid.uuid4().hex[:8]}"
    data = _payload(3 * MIB + 5, b"resume")
    with Client(server.url, project=project) as client:
        artifact = client.create(
            "images", "resumable", "1.0.0", disk_format="raw", container_format="bare"
        )
        client.upload(artifact, "image", data)
    (tmp_path / "img.part").write_bytes(data[: 2 * MIB])
    status, _, err = cli(project, "pull", artifact.id, "-o", "img")
    assert status == 0, err
    assert f"resumed after {2 * MIB} bytes" in err
    assert (tmp_path / "img").read_bytes() == data
    assert not (tmp_path / "img.part").exists()

    (tmp_path / "bad.part").write_bytes(b"garbage that is not the blob")
    status, _, err = cli(project, "pull", artifact.id, "-o", "bad")
    assert status == 0, err
    assert (tmp_path / "bad").read_bytes() == data

    status, _, _ = cli(project, "rm", artifact.id)
    assert status == 0
    with Client(server.url, project=project) as client, pytest.raises(NotFound):
        client.get("images", artifact.id)


def test_the_console_script_uses_an_api_token(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    env.update(ARTIFACTS_DATA_DIR=str(data_dir), ARTIFACTS_AUTH_MODE="tokens")
    script = Path(sys.executable).with_name("artifacts")
    issued = subprocess.run(
        [script, "token", "create", "--project", "tok-p", "--user", "ci"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    token = issued.stdout.strip()
    servers = start_server(data_dir, extra_env={"ARTIFACTS_AUTH_MODE": "tokens"})
    server = next(servers)
    try:
        client_env = {**env, "ARTIFACTS_URL": server.url, "ARTIFACTS_TOKEN": token}
        client_env["ARTIFACTS_CLIENT_CONFIG"] = str(tmp_path / "none.toml")
        who = subprocess.run(
            [script, "whoami", "--format", "json"],
            env=client_env, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        identity = json.loads(who.stdout)
        assert (identity["project_id"], identity["user_id"]) == ("tok-p", "ci")
        assert identity["credentials"] == "API token"
        anonymous = subprocess.run(
            [script, "push", "images", "x", "1.0.0", str(REPO / "README.md")],
            env={**client_env, "ARTIFACTS_TOKEN": ""}, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
        assert anonymous.returncode == 1
        assert "401" in anonymous.stderr
    finally:
        servers.close()
