"""What a resumable (tus) upload costs next to a plain PUT, on the filesystem store.

Starts `artifacts serve` (2 workers unless ``--workers``, SQLite) on a free loopback port,
writes a file of random bytes, and times, each into a fresh image:

1. a plain ``PUT`` of the whole file;
2. a tus upload in one ``PATCH``;
3. a tus upload in 64 MiB ``PATCH``es;
4. a tus upload whose connection is reset at 50 %, then resumed from the offset HEAD reports.

For each it reports the wall time from the first byte to the blob being active and the
MB/s that gives, and for the tus ones how long the last ``PATCH`` took after its last byte
was sent (the finish: a read-back through the digests unless the PATCHes landed in the
process that kept them, which one worker guarantees). The digests the server recorded
are checked against the file's. Usage::

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/resumable.py --size 1GiB
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from artifacts.devserver import run_server

UNITS = {"MiB": 1024**2, "GiB": 1024**3}
HEADERS = {"X-Project-Id": "bench", "X-User-Id": "u1"}
TUS = {"Tus-Resumable": "1.0.0"}
BLOCK = 1024 * 1024


class Api:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def call(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600, blocksize=BLOCK)
        conn.request(method, path, body=body, headers={**HEADERS, **(headers or {})})  # type: ignore[arg-type]
        response = conn.getresponse()
        response.read()
        conn.close()
        return response

    def image(self) -> str:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        body = json.dumps(
            {
                "name": f"bench-{time.monotonic_ns()}",
                "disk_format": "raw",
                "container_format": "bare",
            }
        ).encode()
        conn.request(
            "POST",
            "/artifacts/images",
            body=body,
            headers={**HEADERS, "Content-Type": "application/json"},
        )
        artifact_id = str(json.loads(conn.getresponse().read())["id"])
        conn.close()
        return artifact_id

    def sha256(self, artifact_id: str) -> str:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.request("GET", f"/artifacts/images/{artifact_id}", headers=HEADERS)
        value = str(json.loads(conn.getresponse().read())["image"]["sha256"])
        conn.close()
        return value

    def open_upload(self, artifact_id: str, size: int) -> str:
        made = self.call(
            "POST",
            f"/artifacts/images/{artifact_id}/image",
            headers={**TUS, "Upload-Length": str(size)},
        )
        assert made.status == 201, made.status
        return str(made.headers["Location"])

    def patch(self, upload: str, path: Path, offset: int, length: int) -> float:
        """Send [offset, offset+length); return seconds from the last byte sent to the answer."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        conn.putrequest("PATCH", upload)
        for name, value in {**HEADERS, **TUS, "Content-Type": "application/offset+octet-stream",
                            "Upload-Offset": str(offset), "Content-Length": str(length)}.items():  # fmt: skip
            conn.putheader(name, value)
        conn.endheaders()
        with open(path, "rb") as file:
            file.seek(offset)
            left = length
            while left:
                chunk = file.read(min(BLOCK, left))
                conn.send(chunk)
                left -= len(chunk)
        sent = time.perf_counter()
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 204, response.status
        return time.perf_counter() - sent

    def drop(self, upload: str, path: Path, offset: int, length: int, send: int) -> None:
        sock = socket.create_connection((self.host, self.port))
        head = "".join(f"{k}: {v}\r\n" for k, v in {**HEADERS, **TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset), "Content-Length": str(length)}.items())  # fmt: skip
        sock.sendall(f"PATCH {upload} HTTP/1.1\r\nHost: {self.host}\r\n{head}\r\n".encode())
        with open(path, "rb") as file:
            file.seek(offset)
            left = send
            while left:
                chunk = file.read(min(BLOCK, left))
                sock.sendall(chunk)
                left -= len(chunk)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def offset_when_free(self, upload: str, path: Path) -> int:
        while True:
            head = self.call("HEAD", upload, headers=TUS)
            offset = int(head.headers["Upload-Offset"])
            probe = self.call("PATCH", upload, body=b"", headers={**TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)})  # fmt: skip
            if probe.status == 204:
                return offset
            time.sleep(0.05)


def _timed(label: str, size: int, digest: str, api: Api, run: Callable[[str], str]) -> None:
    artifact_id = api.image()
    start = time.perf_counter()
    note = run(artifact_id)
    elapsed = time.perf_counter() - start
    assert api.sha256(artifact_id) == digest, label
    print(f"{label:<34} {elapsed:7.2f} s  {size / elapsed / 1e6:7.1f} MB/s  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1GiB")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn workers; with 1 every PATCH lands in the process holding the digests",
    )
    args = parser.parse_args()
    number, unit = args.size[:-3], args.size[-3:]
    size = int(number) * UNITS[unit]
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "data.bin"
        digest = hashlib.sha256()
        with open(path, "wb") as out:
            for _ in range(size // BLOCK):
                block = os.urandom(BLOCK)
                digest.update(block)
                out.write(block)
        expected = digest.hexdigest()
        server = run_server(Path(work) / "server", workers=args.workers)
        try:
            api = Api(server.url)
            print(f"{size / 2**20:.0f} MiB, {args.workers} workers, load {os.getloadavg()[0]:.2f}")

            def put(artifact_id: str) -> str:
                with open(path, "rb") as file:
                    answer = api.call("PUT", f"/artifacts/images/{artifact_id}/image", body=file,
                                      headers={"Content-Type": "application/octet-stream",
                                               "Content-Length": str(size)})  # fmt: skip
                assert answer.status == 200, answer.status
                return ""

            def one_patch(artifact_id: str) -> str:
                upload = api.open_upload(artifact_id, size)
                return f"last PATCH after its last byte: {api.patch(upload, path, 0, size):.2f} s"

            def parts(artifact_id: str) -> str:
                upload = api.open_upload(artifact_id, size)
                part, tail = 64 * 2**20, 0.0
                for offset in range(0, size, part):
                    tail = api.patch(upload, path, offset, min(part, size - offset))
                return f"last PATCH after its last byte: {tail:.2f} s"

            def interrupted(artifact_id: str) -> str:
                upload = api.open_upload(artifact_id, size)
                api.drop(upload, path, 0, size, size // 2)
                offset = api.offset_when_free(upload, path)
                tail = api.patch(upload, path, offset, size - offset)
                return (
                    f"resumed at {offset / size:.0%}; last PATCH after its last byte: {tail:.2f} s"
                )

            _timed("PUT", size, expected, api, put)
            _timed("tus, one PATCH", size, expected, api, one_patch)
            _timed("tus, 64 MiB PATCHes", size, expected, api, parts)
            _timed("tus, reset at 50% and resumed", size, expected, api, interrupted)
            print(f"load after {os.getloadavg()[0]:.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
