"""A plugin upgrade rolled out node by node: versions 1.0 and 2.0 of a type serve side by side.

Each node is its own ``artifacts serve`` process with one release of the ``boxes`` plugin
installed (a distribution on its PYTHONPATH whose entry point names
``tests.versioned_types.BoxV1`` or ``BoxV2``), both on one database. Whatever either node writes
must stay readable on the other, nothing may be lost, and ``migrate-types`` then finishes the
job while the new node keeps serving.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.functional.conftest import REPO, Server, start_server

pytestmark = pytest.mark.functional

OWNER = {"X-Project-Id": "p-rolling", "X-User-Id": "u1"}
PATCH = {**OWNER, "Content-Type": "application/json-patch+json"}
TIMEOUT = 30


def install_release(root: Path, version: str, target: str) -> Path:
    """A site directory holding one release of the boxes plugin (metadata + entry point)."""
    site = root / f"boxes-{version}"
    info = site / f"artifact_boxes-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: artifact-boxes\nVersion: {version}\n"
    )
    (info / "entry_points.txt").write_text(f"[artifacts.types]\nboxes = {target}\n")
    return site


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def nodes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server, str]]:
    root = tmp_path_factory.mktemp("rolling")
    if request.param == "postgresql":
        create_database: Callable[[], str] = request.getfixturevalue("pg_databases")
        database_url = create_database()
    else:
        database_url = f"sqlite:///{root / 'shared.db'}"
    old_site = install_release(root, "1.0", "tests.versioned_types:BoxV1")
    new_site = install_release(root, "2.0", "tests.versioned_types:BoxV2")
    (root / "old").mkdir()
    (root / "new").mkdir()
    old = start_server(
        root / "old", database_url, workers=1, extra_env={"PYTHONPATH": str(old_site)}
    )
    new = start_server(
        root / "new", database_url, workers=1, extra_env={"PYTHONPATH": str(new_site)}
    )
    try:
        yield next(old), next(new), database_url
    finally:
        old.close()
        new.close()


def create(server: Server, **fields: object) -> dict:
    result = requests.post(f"{server.url}/artifacts/boxes", json=fields, headers=OWNER, timeout=30)
    assert result.status_code == 201, result.text
    return dict(result.json())


def show(server: Server, artifact_id: str) -> dict:
    result = requests.get(f"{server.url}/artifacts/boxes/{artifact_id}", headers=OWNER, timeout=30)
    assert result.status_code == 200, result.text
    return dict(result.json())


def patch(server: Server, artifact_id: str, field: str, value: object) -> requests.Response:
    operations = [{"op": "replace", "path": f"/{field}", "value": value}]
    return requests.patch(
        f"{server.url}/artifacts/boxes/{artifact_id}", json=operations, headers=PATCH, timeout=30
    )


def test_both_releases_serve_one_database_and_nothing_is_lost(
    nodes: tuple[Server, Server, str],
) -> None:
    old, new, database_url = nodes
    for server, version in ((old, "1.0"), (new, "2.0")):
        schemas = requests.get(f"{server.url}/schemas/boxes", timeout=TIMEOUT).json()["schemas"]
        assert schemas["boxes"]["version"] == version

    from_old = create(old, name="from-old", size=2048, weight="12")
    from_new = create(new, name="from-new", size_kb=512, weight=3)

    # The new node sees old rows upgraded; the old node sees new rows backported.
    assert (show(new, from_old["id"])["size_kb"], show(new, from_old["id"])["weight"]) == (2048, 12)
    assert (show(old, from_new["id"])["size"], show(old, from_new["id"])["weight"]) == (512, "3")

    # The new node rewrites an old row at 2.0; the old node still reads it, but leaves it be.
    assert patch(new, from_old["id"], "label", "moved").status_code == 200
    assert show(old, from_old["id"])["size"] == 2048
    refused = patch(old, from_old["id"], "label", "overwrite")
    assert refused.status_code == 409
    assert refused.json()["error"]["type"] == "NewerSchema"
    assert show(new, from_old["id"])["label"] == "moved"

    # The old node keeps writing its own rows, which the new node keeps reading.
    assert patch(old, from_new["id"], "label", "x").status_code == 409
    another = create(old, name="another", size=1, weight="1")
    assert show(new, another["id"])["size_kb"] == 1

    # migrate-types, run beside the serving new node, brings every row to 2.0.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    env.update(
        PYTHONPATH=str(Path(new.data_dir).parent / "boxes-2.0"),
        ARTIFACTS_DATABASE_URL=database_url,
        ARTIFACTS_DATA_DIR=str(new.data_dir),
    )
    command = [sys.executable, "-m", "artifacts.cli", "db", "migrate-types", "--type", "boxes"]
    done = subprocess.run(
        [*command, "--batch-size", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "upgraded 1, failed 0, newer left alone 0" in done.stdout
    again = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert "upgraded 0" in again.stdout
    listed = requests.get(
        f"{new.url}/artifacts/boxes?sort=size_kb:asc", headers=OWNER, timeout=TIMEOUT
    ).json()["artifacts"]
    assert [item["size_kb"] for item in listed] == [1, 512, 2048]
