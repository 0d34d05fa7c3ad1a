"""The real python-glanceclient (library and ``glance``) and ``openstack image`` against gunicorn.

The clients live in their own virtualenv (``ARTIFACTS_TEST_CLIENTS_VENV``, made by scripts/test).
No Keystone runs here: glanceclient takes ``--os-image-url`` and a trusted-headers token;
openstackclient takes keystoneauth's ``admin_token`` plugin with ``--os-endpoint <url>/v2``, and
its identity endpoint points at a loopback stand-in that answers 403 (so ``image add project``
takes the project id as given, as openstackclient does when Keystone refuses to look it up).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.functional.conftest import Server

pytestmark = pytest.mark.functional

OWNER_TOKEN = "alice:proj-a:member"
MEMBER_TOKEN = "bob:proj-b:member"
ADMIN_TOKEN = "root:proj-admin:admin"
#: openstackclient's caller has a project of its own: the server is shared by the module.
OSC_TOKEN = "carol:proj-c:member"
IMAGE_DATA = b"not really a disk, but bytes all the same\n" * 512


@pytest.fixture(scope="module")
def clients() -> Path:
    venv = os.environ.get("ARTIFACTS_TEST_CLIENTS_VENV", "")
    if venv and (Path(venv) / "bin" / "openstack").exists():
        return Path(venv)
    if os.environ.get("ARTIFACTS_REQUIRE_CLIENTS"):
        pytest.fail("ARTIFACTS_TEST_CLIENTS_VENV does not hold glanceclient and openstackclient")
    pytest.skip("the OpenStack clients are not installed (scripts/test installs them)")


class _NoIdentity(BaseHTTPRequestHandler):
    """Keystone's version document on /v3, 403 for any lookup."""

    def do_GET(self) -> None:
        host, port = self.server.server_address[:2]
        if self.path.rstrip("/") == "/v3":
            code = 200
            link = {"rel": "self", "href": f"http://{host!s}:{port}/v3/"}
            doc: dict[str, object] = {
                "version": {"id": "v3.14", "status": "stable", "links": [link]}
            }
        else:
            code, doc = 403, {"error": {"code": 403, "message": "no identity service here"}}
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def no_identity() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _NoIdentity)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v3"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("images") / "disk.raw"
    path.write_bytes(IMAGE_DATA)
    return path


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_glanceclient_library_life_cycle(
    clients: Path, sqlite_server: Server, image_file: Path
) -> None:
    script = Path(__file__).with_name("glanceclient_session.py")
    out = _run(
        [
            str(clients / "bin" / "python"),
            str(script),
            sqlite_server.url,
            OWNER_TOKEN,
            str(image_file),
        ]
    )
    seen = json.loads(out)

    assert seen["status"] == "active"
    assert seen["size"] == len(IMAGE_DATA)
    assert seen["checksum"] == seen["md5"]
    assert seen["same_data"] is True
    assert seen["paged"] == ["lib-renamed", "page-a", "page-b", "page-c"]
    assert seen["tagged"] == ["lib-renamed"]
    assert seen["by_property"] == ["lib-renamed"]
    assert (seen["renamed"], seen["flavor"], seen["tags"]) == ("lib-renamed", "small", ["lib-tag"])
    assert "lib-renamed" not in seen["remaining"]


def _glance(clients: Path, server: Server, token: str, *args: str) -> str:
    command = [
        str(clients / "bin" / "glance"),
        "--os-image-url",
        server.url,
        "--os-auth-token",
        token,
    ]
    return _run([*command, *args])


def test_glance_cli_life_cycle_with_members_and_deactivation(
    clients: Path, sqlite_server: Server, image_file: Path, tmp_path: Path
) -> None:
    def glance(*args: str, token: str = OWNER_TOKEN) -> str:
        return _glance(clients, sqlite_server, token, *args)

    created = glance(
        "--os-image-api-version", "2", "image-create", "--name", "cli-image",
        "--disk-format", "raw", "--container-format", "bare",
        "--property", "os_distro=debian", "--file", str(image_file),
    )  # fmt: skip
    image_id = next(
        line.split("|")[2].strip() for line in created.splitlines() if line.startswith("| id ")
    )
    glance("image-update", "--visibility", "shared", "--property", "extra=1", image_id)
    glance("image-tag-update", image_id, "blue")
    glance("member-create", image_id, "proj-b")
    glance("member-update", image_id, "proj-b", "accepted", token=MEMBER_TOKEN)
    as_member = glance("image-list", token=MEMBER_TOKEN)
    glance("image-download", "--file", str(tmp_path / "out"), image_id, token=MEMBER_TOKEN)
    downloaded = (tmp_path / "out").read_bytes()
    glance("image-deactivate", image_id, token=ADMIN_TOKEN)
    shown = glance("image-show", image_id)
    glance("image-reactivate", image_id, token=ADMIN_TOKEN)
    filtered = glance("image-list", "--property-filter", "os_distro=debian", "--tag", "blue")
    glance("image-delete", image_id)
    after = glance("image-list")

    assert image_id in as_member
    assert downloaded == IMAGE_DATA
    assert "deactivated" in shown
    assert image_id in filtered
    assert image_id not in after


def _openstack_env(server: Server, no_identity: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    return {
        **base,
        "OS_AUTH_TYPE": "admin_token",
        "OS_ENDPOINT": f"{server.url}/v2",
        "OS_TOKEN": OSC_TOKEN,
        "OS_IDENTITY_ENDPOINT_OVERRIDE": no_identity,
    }


def test_openstack_image_life_cycle(
    clients: Path, sqlite_server: Server, image_file: Path, no_identity: str, tmp_path: Path
) -> None:
    env = _openstack_env(sqlite_server, no_identity)

    def openstack(*args: str, token: str = OSC_TOKEN) -> str:
        return _run([str(clients / "bin" / "openstack"), *args], env={**env, "OS_TOKEN": token})

    create = [
        "image", "create", "--file", str(image_file), "--disk-format", "raw",
        "--container-format", "bare", "--property", "hw_disk_bus=virtio", "osc-image",
    ]  # fmt: skip
    created = json.loads(openstack(*create, "-f", "json"))
    image_id = created["id"]
    listed = json.loads(openstack("image", "list", "-f", "json"))
    openstack("image", "save", "--file", str(tmp_path / "saved"), image_id)
    openstack(
        "image", "set", "--name", "osc-renamed", "--min-ram", "512", "--property", "k=v",
        "--tag", "green", "--shared", image_id,
    )  # fmt: skip
    openstack("image", "add", "project", image_id, "proj-b")
    members = json.loads(openstack("image", "member", "list", image_id, "-f", "json"))
    shown = json.loads(openstack("image", "show", image_id, "-f", "json"))
    openstack("image", "delete", image_id)
    after = json.loads(openstack("image", "list", "-f", "json"))

    assert created["status"] == "active"
    assert created["size"] == len(IMAGE_DATA)
    assert [item["ID"] for item in listed] == [image_id]
    assert (tmp_path / "saved").read_bytes() == IMAGE_DATA
    assert [(m["Member ID"], m["Status"]) for m in members] == [("proj-b", "pending")]
    assert shown["name"] == "osc-renamed"
    assert shown["min_ram"] == 512
    assert shown["visibility"] == "shared"
    assert shown["tags"] == ["green"]
    assert shown["properties"]["k"] == "v"
    assert shown["properties"]["hw_disk_bus"] == "virtio"
    assert after == []


def test_openstack_protected_and_hidden_images(
    clients: Path, sqlite_server: Server, image_file: Path, no_identity: str
) -> None:
    env = {**_openstack_env(sqlite_server, no_identity), "OS_TOKEN": "dave:proj-d:member"}
    openstack = [str(clients / "bin" / "openstack")]

    create = [
        "image", "create", "--file", str(image_file), "--disk-format", "raw",
        "--container-format", "bare", "--protected", "osc-guarded", "-f", "json",
    ]  # fmt: skip
    image_id = json.loads(_run([*openstack, *create], env=env))["id"]
    _run([*openstack, "image", "set", "--hidden", image_id], env=env)
    listed = json.loads(_run([*openstack, "image", "list", "-f", "json"], env=env))
    hidden = json.loads(_run([*openstack, "image", "list", "--hidden", "-f", "json"], env=env))
    refused = subprocess.run(
        [*openstack, "image", "delete", image_id],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    _run([*openstack, "image", "set", "--unprotected", "--unhidden", image_id], env=env)
    unhidden = json.loads(_run([*openstack, "image", "list", "-f", "json"], env=env))
    _run([*openstack, "image", "delete", image_id], env=env)

    assert listed == []
    assert [item["ID"] for item in hidden] == [image_id]
    assert refused.returncode != 0
    assert "protected" in refused.stderr + refused.stdout
    assert [item["ID"] for item in unhidden] == [image_id]
