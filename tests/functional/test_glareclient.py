"""python-glareclient 0.5.3's ``glare`` command, unchanged, against a gunicorn-served instance.

The client lives in its own virtualenv (``ARTIFACTS_TEST_GLARECLIENT_VENV``, made by
scripts/test from tests/functional/glareclient-constraints.txt) and authenticates with Glare's
trusted-auth token (``--auth-token user:project:roles``). Two of its commands crash inside the
client on Python 3, against the real Glare 5.0.1 exactly as against us (checked with the
reference peer): ``download`` (``IterableWithLength.next`` calls the Python 2 ``.next()`` of a
generator) and ``remove-location`` (its ``take_action`` returns nothing to print). For those the
test pins the crash and checks what the server did: the DELETE of ``remove-location`` is sent
and takes effect; the data ``download`` would save is checked with a plain GET.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.functional.conftest import Server, start_server

pytestmark = pytest.mark.functional

OWNER = "alice:proj-a:member"
ADMIN = "root:proj-admin:admin"
OTHER = "bob:proj-b:member"
DATA = b"an image's bytes, uploaded by glareclient\n" * 64
EXTERNAL = "http://127.0.0.1:9/images/elsewhere.img"


@pytest.fixture(scope="module")
def glare() -> Path:
    venv = os.environ.get("ARTIFACTS_TEST_GLARECLIENT_VENV", "")
    if venv and (Path(venv) / "bin" / "glare").exists():
        return Path(venv) / "bin" / "glare"
    if os.environ.get("ARTIFACTS_REQUIRE_CLIENTS"):
        pytest.fail("ARTIFACTS_TEST_GLARECLIENT_VENV does not hold python-glareclient 0.5.3")
    pytest.skip("python-glareclient is not installed (scripts/test installs it)")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A gunicorn server on each database."""
    database_url = ""
    if request.param == "postgresql":
        create_database: Callable[[], str] = request.getfixturevalue("pg_databases")
        database_url = create_database()
    # The external location below is on loopback, which only an operator's range admits.
    env = {"ARTIFACTS_EXTERNAL_NETWORKS": "127.0.0.0/8"}
    yield from start_server(tmp_path_factory.mktemp("glareclient"), database_url, extra_env=env)


class Cli:
    def __init__(self, glare: Path, server: Server) -> None:
        self._glare = glare
        self._url = server.url

    def run(self, *args: str, token: str = OWNER) -> subprocess.CompletedProcess[str]:
        command = [str(self._glare), "--os-glare-url", self._url, "--auth-token", token, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def ok(self, *args: str, token: str = OWNER) -> Any:
        done = self.run(*args, "-f", "json", token=token)
        assert done.returncode == 0, f"glare {' '.join(args)}\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)

    def artifact(self, *args: str, token: str = OWNER) -> dict[str, Any]:
        """What a command printed: an artifact (rows of Field, Value, Glare type) or a blob."""
        printed = self.ok(*args, token=token)
        if isinstance(printed, dict):
            return printed
        return {row["Field"]: row["Value"] for row in printed}


@pytest.fixture(scope="module")
def cli(glare: Path, server: Server) -> Cli:
    return Cli(glare, server)


def test_glare_cli_life_cycle(cli: Cli, server: Server, tmp_path: Path) -> None:
    created = cli.artifact(
        "create", "images", "cli-image", "--artifact-version", "1.0",
        "--property", "container_format=bare", "--property", "disk_format=raw",
    )  # fmt: skip
    assert (created["status"], created["version"], created["owner"]) == (
        "drafted", "1.0.0", "proj-a",
    )  # fmt: skip
    image_id = created["id"]

    data = tmp_path / "disk.raw"
    data.write_bytes(DATA)
    uploaded = cli.artifact("upload", "images", "cli-image", "--file", str(data))
    assert uploaded["size"] == len(DATA)
    assert uploaded["md5"] == hashlib.md5(DATA).hexdigest()

    listed = cli.ok("list", "images")
    assert [(row["Id"], row["Name"], row["Status"]) for row in listed] == [
        (image_id, "cli-image", "drafted")
    ]
    assert cli.artifact("show", "images", "cli-image")["image"] not in (None, "None")

    crashed = cli.run("download", "images", "cli-image", "--file", str(tmp_path / "out.raw"))
    assert crashed.returncode == 1
    assert "'generator' object has no attribute 'next'" in crashed.stderr
    fetched = requests.get(
        f"{server.url}/artifacts/images/{image_id}/image",
        headers={"X-Auth-Token": OWNER},
        timeout=30,
    )
    assert fetched.content == DATA
    assert fetched.headers["Content-MD5"] == hashlib.md5(DATA).hexdigest()

    assert cli.artifact("activate", "images", "cli-image")["status"] == "active"
    refused = cli.run("deactivate", "images", "cli-image")
    assert refused.returncode == 1
    assert "403" in refused.stderr + refused.stdout
    assert cli.artifact("deactivate", "images", "cli-image", token=ADMIN)["status"] == (
        "deactivated"
    )
    assert cli.artifact("reactivate", "images", "cli-image", token=ADMIN)["status"] == "active"
    published = cli.artifact("publish", "images", "cli-image", token=ADMIN)
    assert published["visibility"] == "public"
    assert cli.ok("list", "images", token=OTHER)[0]["Id"] == image_id

    cli.artifact("create", "images", "cli-external")
    located = cli.artifact(
        "location", "images", "cli-external", "--url", EXTERNAL, "--md5", "not-a-digest"
    )
    assert (located["url"], located["external"], located["md5"]) == (
        EXTERNAL, True, "not-a-digest",
    )  # fmt: skip
    removed = cli.run("remove-location", "images", "cli-external")
    assert removed.returncode == 1
    assert "cannot unpack non-iterable NoneType object" in removed.stderr
    assert cli.artifact("show", "images", "cli-external")["image"] in (None, "None")

    cli.ok("list", "images")
    deleted = cli.run("delete", "images", "cli-external")
    assert deleted.returncode == 0, deleted.stderr
    owner_refused = cli.run("delete", "images", "cli-image")
    assert owner_refused.returncode == 1, "an owner may not delete its public artifact"
    assert cli.run("delete", "images", "cli-image", token=ADMIN).returncode == 0
    assert cli.ok("list", "images", token=ADMIN) == []
