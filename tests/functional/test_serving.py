"""How the buffered worker serves connections: spread over the workers, and blob bodies read
straight from the socket with the connection left exactly where the next request starts."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.functional.conftest import Server, start_server

pytestmark = pytest.mark.functional

OWNER = {"X-Project-Id": "p-serving", "X-User-Id": "u1"}
MIB = 1024 * 1024
TIMEOUT = 30


@pytest.fixture(scope="module")
def three_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("serving"), workers=3)


class _Client:
    """One raw keep-alive connection that keeps whatever arrives past a response."""

    def __init__(self, server: Server) -> None:
        address = urlsplit(server.url)
        self.sock = socket.create_connection((address.hostname, address.port), timeout=TIMEOUT)
        self.pending = b""

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed before a response head")
            self.pending += data
        head, _, rest = self.pending.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])
        }
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed inside a response body")
            rest += data
        self.pending = rest[length:]
        return int(lines[0].split()[1]), headers, rest[:length]

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def closed(self) -> bool:
        try:
            return self.pending == b"" and self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def _worker_connections(server: Server) -> list[int]:
    """Established connections each worker holds on the server's port (from /proc)."""
    port = int(server.url.rsplit(":", 1)[1])
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])
    counts = []
    for pid in server.workers():
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = str(fd.readlink()) if fd.is_symlink() else ""
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        counts.append(len(inodes & established))
    return counts


def _create(server: Server) -> str:
    name = f"serving-{time.monotonic_ns()}"
    body = {"name": name, "disk_format": "raw", "container_format": "bare"}
    response = requests.post(f"{server.url}/artifacts/images", json=body, headers=OWNER, timeout=30)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _put_head(artifact_id: str, length: int, extra: str = "") -> bytes:
    return (
        f"PUT /artifacts/images/{artifact_id}/image HTTP/1.1\r\nHost: x\r\n"
        f"X-Project-Id: {OWNER['X-Project-Id']}\r\nX-User-Id: u1\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n{extra}\r\n"
    ).encode()


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def _hold(server: Server, count: int) -> list[_Client]:
    clients = []
    for _ in range(count):
        client = _Client(server)
        client.sock.sendall(HEALTHZ)
        assert client.response()[0] == 200
        clients.append(client)
    return clients


def test_kept_alive_connections_are_spread_evenly_over_the_workers(three_workers: Server) -> None:
    # A worker takes part once it has loaded the application; until then the others serve.
    # So the connections are opened again until every worker is up (at most 30 s).
    deadline = time.monotonic() + 30
    while True:
        before = _worker_connections(three_workers)
        clients = _hold(three_workers, 12)
        try:
            held = [
                now - was
                for now, was in zip(_worker_connections(three_workers), before, strict=True)
            ]
            if min(held) > 0 or time.monotonic() > deadline:
                break
        finally:
            if min(held) == 0 and time.monotonic() <= deadline:
                for client in clients:
                    client.close()
        time.sleep(1)
    try:
        # gunicorn alone lets whichever worker wakes first take them (often 8 or more on one).
        assert sum(held) == 12
        assert max(held) - min(held) <= 1, held
        for client in clients:  # and every connection still serves
            client.sock.sendall(HEALTHZ)
            assert client.response()[0] == 200
    finally:
        for client in clients:
            client.close()


def test_an_upload_leaves_the_next_pipelined_request_intact(three_workers: Server) -> None:
    data = bytes(range(256)) * (3 * MIB // 256) + b"tail"
    artifact_id = _create(three_workers)
    with _Client(three_workers) as client:
        # The head, the whole body and the next request in one send: the server holds part of
        # the body and the next request in its own buffers before the upload reads the socket.
        client.sock.sendall(_put_head(artifact_id, len(data)) + data + HEALTHZ)
        status, _, body = client.response()
        assert status == 200, body
        assert json.loads(body)["image"]["sha256"] == hashlib.sha256(data).hexdigest()
        status, _, body = client.response()
        assert status == 200
        assert json.loads(body)["status"] == "ok"


def test_pipelined_and_one_by_one_reads_on_one_connection_are_answered_in_order(
    three_workers: Server,
) -> None:
    artifact_id = _create(three_workers)
    show = (
        f"GET /artifacts/images/{artifact_id} HTTP/1.1\r\nHost: x\r\n"
        f"X-Project-Id: {OWNER['X-Project-Id']}\r\nX-User-Id: u1\r\n\r\n"
    ).encode()
    with _Client(three_workers) as client:
        # Three requests in one send: the ones read ahead with the first are answered after it.
        client.sock.sendall(show + HEALTHZ + show)
        answers = [client.response() for _ in range(3)]
        assert [status for status, _, _ in answers] == [200, 200, 200]
        assert json.loads(answers[0][2])["id"] == artifact_id
        assert json.loads(answers[1][2])["status"] == "ok"
        assert json.loads(answers[2][2])["id"] == artifact_id
        # Then one at a time, each after the answer before it, as keep-alive clients send.
        for _ in range(50):
            client.sock.sendall(show)
            status, _, body = client.response()
            assert status == 200
            assert json.loads(body)["id"] == artifact_id
        assert client.pending == b""


def test_an_upload_after_100_continue_is_read_whole(three_workers: Server) -> None:
    data = b"x" * (2 * MIB + 5)
    artifact_id = _create(three_workers)
    with _Client(three_workers) as client:
        client.sock.sendall(_put_head(artifact_id, len(data), "Expect: 100-continue\r\n"))
        assert client.response()[0] == 100
        client.sock.sendall(data)
        status, _, body = client.response()
        assert status == 200, body
        assert json.loads(body)["image"]["size"] == len(data)


def test_an_upload_cut_short_is_refused_and_its_connection_closed(three_workers: Server) -> None:
    artifact_id = _create(three_workers)
    with _Client(three_workers) as client:
        client.sock.sendall(_put_head(artifact_id, 4 * MIB) + b"y" * MIB)
        client.sock.shutdown(socket.SHUT_WR)
        status, _, body = client.response()
        assert status == 400
        assert "ended after 1048576 of 4194304 bytes" in json.loads(body)["error"]["message"]
        assert client.closed()
    shown = requests.get(
        f"{three_workers.url}/artifacts/images/{artifact_id}", headers=OWNER, timeout=30
    )
    assert shown.json()["image"] is None


@pytest.fixture
def reloaded(tmp_path: Path) -> Iterator[Server]:
    """A server of its own: the test replaces its workers."""
    yield from start_server(tmp_path, workers=3)


def _keep_asking(
    url: str, stop: threading.Event, answered: list[int], failures: list[BaseException]
) -> None:
    """Send one request after the other on one keep-alive session until ``stop``."""
    with requests.Session() as session:
        while not stop.is_set():
            try:
                response = session.get(url, headers=OWNER, timeout=TIMEOUT)
            except requests.RequestException as exc:
                failures.append(exc)
                return
            answered.append(response.status_code)


@contextlib.contextmanager
def _clients_asking(server: Server, count: int) -> Iterator[tuple[list[int], list[BaseException]]]:
    """``count`` keep-alive clients showing one image, one request after the other, until the
    block ends; yields the statuses answered and the failures (a client stops at its first)."""
    stop = threading.Event()
    answered: list[int] = []
    failures: list[BaseException] = []
    url = f"{server.url}/artifacts/images/{_create(server)}"
    clients = [
        threading.Thread(target=_keep_asking, args=(url, stop, answered, failures))
        for _ in range(count)
    ]
    for thread in clients:
        thread.start()
    try:
        yield answered, failures
    finally:
        stop.set()
        for thread in clients:
            thread.join(TIMEOUT)


def _reload(server: Server) -> None:
    """SIGHUP, then wait until none of the workers running before it is left."""
    old = set(server.wait_for_workers(3))
    os.kill(server.pid, signal.SIGHUP)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and set(server.workers()) & old:
        time.sleep(0.1)
    server.wait_for_workers(3)


def test_workers_replaced_by_a_reload_under_keep_alive_traffic_lose_no_request(
    reloaded: Server,
) -> None:
    """SIGHUP replaces every worker while clients keep sending: each request is answered."""
    with _clients_asking(reloaded, 4) as (answered, failures):
        for _ in range(2):
            time.sleep(0.5)
            _reload(reloaded)
        time.sleep(0.5)
    assert failures == []
    assert len(answered) > 100
    assert set(answered) == {200}


def test_connections_piled_onto_one_worker_by_a_reload_spread_out_again(
    reloaded: Server,
) -> None:
    """After a reload the clients reconnect to whichever new worker is up first; a worker
    ahead of another by two or more asks one client at a time to reconnect elsewhere."""
    with _clients_asking(reloaded, 12) as (_, failures):
        time.sleep(0.5)
        _reload(reloaded)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            held = _worker_connections(reloaded)
            if sum(held) == 12 and max(held) - min(held) <= 1:
                break
            time.sleep(0.2)
    assert failures == []
    assert sum(held) == 12
    assert max(held) - min(held) <= 1, held
