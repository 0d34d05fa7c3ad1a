"""The real python-glanceclient (library and ``glance``) and ``openstack image`` against gunicorn.

The clients live in their own virtualenv (``ARTIFACTS_TEST_CLIENTS_VENV``, made by scripts/test).
No Keystone runs here: glanceclient takes ``--os-image-url`` and a trusted-headers token;
openstackclient takes keystoneauth's ``admin_token`` plugin with ``--os-endpoint <url>/v2``, and
its identity endpoint points at a loopback stand-in that answers 403 (so ``image add project``
takes the project id as given, as openstackclient does when Keystone refuses to look it up).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.functional.conftest import REPO, Server, start_server
from tests.http_source import http_source

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


def _run(command: list[str], env: dict[str, str] | None = None, stdin: Path | None = None) -> str:
    """Run a client command; its standard input is ``stdin`` or, without one, closed (the
    glance CLI takes any other standard input for image data)."""
    if stdin is None:
        closed = ["sh", "-c", 'exec "$@" <&-', "sh", *command]
        done = subprocess.run(closed, capture_output=True, timeout=120, env=env, check=False)
    else:
        with stdin.open("rb") as feed:
            done = subprocess.run(
                command, stdin=feed, capture_output=True, timeout=120, env=env, check=False
            )
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, f"{' '.join(command)}\n{stdout}\n{stderr}"
    return stdout


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


def _glance(
    clients: Path, server: Server, token: str, *args: str, stdin: Path | None = None
) -> str:
    command = [
        str(clients / "bin" / "glance"),
        "--os-image-url",
        server.url,
        "--os-auth-token",
        token,
    ]
    return _run([*command, *args], stdin=stdin)


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


def test_openstack_image_create_public_with_a_chosen_id_as_install_guides_do(
    clients: Path, sqlite_server: Server, image_file: Path, no_identity: str
) -> None:
    """``openstack image create --public --file …``: the visibility is sent at creation,
    before the data; the member's ``--community`` likewise, and ``--id`` is kept."""
    env = _openstack_env(sqlite_server, no_identity)
    openstack = [str(clients / "bin" / "openstack")]
    chosen = str(uuid.uuid4())

    create = [
        "image", "create", "--file", str(image_file), "--disk-format", "raw",
        "--container-format", "bare", "--public", "--id", chosen, "osc-public", "-f", "json",
    ]  # fmt: skip
    public = json.loads(_run([*openstack, *create], env={**env, "OS_TOKEN": ADMIN_TOKEN}))
    seen = json.loads(_run([*openstack, "image", "show", chosen, "-f", "json"], env=env))
    community = [
        "image", "create", "--disk-format", "raw", "--container-format", "bare", "--community",
        "osc-community", "-f", "json",
    ]  # fmt: skip
    queued = json.loads(_run([*openstack, *community], env=env))
    refused = subprocess.run(
        [*openstack, "image", "create", "--public", "osc-not-admin"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip

    assert (public["id"], public["visibility"], public["status"]) == (chosen, "public", "active")
    assert seen["visibility"] == "public"
    assert (queued["visibility"], queued["status"]) == ("community", "queued")
    assert refused.returncode != 0
    assert "403" in refused.stderr + refused.stdout


@pytest.fixture(scope="module")
def import_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """A server whose web-download may reach the test's loopback source, and its worker.

    The worker is the real ``artifacts worker`` process on the server's data directory.
    """
    data_dir = tmp_path_factory.mktemp("import-server")
    env = {"ARTIFACTS_IMPORT_ALLOWED_NETWORKS": "127.0.0.0/8", "ARTIFACTS_IMPORT_ALLOWED_PORTS": ""}
    servers = start_server(data_dir, extra_env=env)
    server = next(servers)
    worker_env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    worker_env.update(env, ARTIFACTS_DATA_DIR=str(data_dir), ARTIFACTS_LOG_LEVEL="warning")
    log = (data_dir / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "artifacts.cli", "worker", "--poll-interval", "0.2"],
        cwd=REPO,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield server, data_dir
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
        servers.close()


def _wait_active(clients: Path, server: Server, image_id: str) -> dict[str, str]:
    """``glance image-show`` until the worker has finished the import (a minute at most)."""
    deadline = time.monotonic() + 60
    while True:
        shown = _glance(clients, server, OWNER_TOKEN, "image-show", image_id)
        fields = {
            parts[1].strip(): parts[2].strip()
            for line in shown.splitlines()
            if line.startswith("| ") and len(parts := line.split("|")) > 3
        }
        if fields.get("status") not in ("importing", "uploading", "queued"):
            return fields
        assert time.monotonic() < deadline, f"import still {fields.get('status')}: {shown}"
        time.sleep(0.3)


def _created_id(output: str) -> str:
    return next(
        line.split("|")[2].strip() for line in output.splitlines() if line.startswith("| id ")
    )


def test_glance_cli_imports_with_glance_direct_and_web_download(
    clients: Path, import_server: tuple[Server, Path], image_file: Path
) -> None:
    server, _data_dir = import_server
    common = ["--disk-format", "raw", "--container-format", "bare"]
    direct = _glance(
        clients, server, OWNER_TOKEN, "image-create-via-import", "--name", "via-direct",
        *common, "--import-method", "glance-direct", stdin=image_file,
    )  # fmt: skip
    shown = _wait_active(clients, server, _created_id(direct))
    assert (shown["status"], shown["size"]) == ("active", str(len(IMAGE_DATA)))

    with http_source({"/disk.raw": IMAGE_DATA}) as source:
        fetched = _glance(
            clients, server, OWNER_TOKEN, "image-create-via-import", "--name", "via-web",
            *common, "--import-method", "web-download", "--uri", source.url("/disk.raw"),
        )  # fmt: skip
        image_id = _created_id(fetched)
        shown = _wait_active(clients, server, image_id)
        assert source.requested == ["/disk.raw"]
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(IMAGE_DATA).hexdigest()
    # The same artifact through the Glare API.
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{server.url}/artifacts/images/{image_id}", headers={"X-Auth-Token": OWNER_TOKEN}
        )
    ) as answer:
        assert json.load(answer)["status"] == "active"


def test_glance_cli_web_download_of_a_refused_address_fails_the_task(
    clients: Path, import_server: tuple[Server, Path]
) -> None:
    server, _data_dir = import_server
    with http_source({}) as source:
        uri = source.url("/redirect?to=http://169.254.169.254/latest/meta-data/")
        created = _glance(
            clients, server, OWNER_TOKEN, "image-create-via-import", "--name", "via-refused",
            "--disk-format", "raw", "--container-format", "bare",
            "--import-method", "web-download", "--uri", uri,
        )  # fmt: skip
        image_id = _created_id(created)
        request = urllib.request.Request(
            f"{server.url}/v2/images/{image_id}/tasks", headers={"X-Auth-Token": OWNER_TOKEN}
        )
        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen(request) as answer:
                [task] = json.load(answer)["tasks"]
            if task["status"] in ("success", "failure") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert source.requested == ["/redirect?to=http://169.254.169.254/latest/meta-data/"]
    assert task["status"] == "failure"
    assert "169.254.169.254" in task["message"]
    shown = _glance(clients, server, OWNER_TOKEN, "image-show", image_id)
    assert "queued" in shown


def test_openstack_image_create_import(
    clients: Path, import_server: tuple[Server, Path], image_file: Path, no_identity: str
) -> None:
    server, _data_dir = import_server
    base = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env = {
        **base,
        "OS_AUTH_TYPE": "admin_token",
        "OS_ENDPOINT": f"{server.url}/v2",
        "OS_TOKEN": OWNER_TOKEN,
        "OS_IDENTITY_ENDPOINT_OVERRIDE": no_identity,
    }
    create = [
        str(clients / "bin" / "openstack"), "image", "create", "--import", "--file",
        str(image_file), "--disk-format", "raw", "--container-format", "bare", "osc-imported",
        "-f", "json",
    ]  # fmt: skip
    created = json.loads(_run(create, env=env))
    shown = _wait_active(clients, server, created["id"])
    assert (shown["status"], shown["size"]) == ("active", str(len(IMAGE_DATA)))
