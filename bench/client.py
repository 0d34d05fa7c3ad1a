"""The `artifacts` command's push and pull of a large image, end to end, with digests verified.

Starts `artifacts serve` on a free loopback port (the tests' start-a-server helper) unless
``--url`` names a running one, writes a file of random bytes, then times, as a user runs them:

1. ``artifacts push images … --activate`` (create, stream with sha256 on the way, verify);
2. ``artifacts pull`` of it to a file (digests verified before the file appears);
3. a pull interrupted part-way (SIGINT), then the same pull again, resuming from FILE.part.

Each client process's own peak RSS is reported (GNU time, /usr/bin/time). Usage::

    .venv-test/bin/python bench/client.py --size 1GiB
    .venv-test/bin/python bench/client.py --size 256MiB --url http://127.0.0.1:9494
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from artifacts.devserver import run_server

UNITS = {"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
ARTIFACTS = Path(sys.executable).with_name("artifacts")
TIME = "/usr/bin/time"


def _size(text: str) -> int:
    match = re.fullmatch(r"(\d+)(KiB|MiB|GiB)?", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of bytes, or with KiB, MiB, GiB")
    return int(match[1]) * UNITS.get(match[2] or "", 1)


@contextmanager
def _server(url: str | None, work: Path) -> Iterator[str]:
    if url:
        yield url
        return
    data_dir = work / "server"
    data_dir.mkdir()
    server = run_server(data_dir, workers=2)
    try:
        yield server.url
    finally:
        server.stop()


def _run(
    args: list[str], env: dict[str, str], interrupt_when: Callable[[], bool] | None = None
) -> tuple[float, int]:
    """Run the client; return (seconds, its own peak RSS in MiB, measured by GNU time).

    Not getrusage: a forked child starts with the parent's resident set, which here holds
    the test helpers' imports, and would report that instead.
    """
    with tempfile.NamedTemporaryFile("r") as rss, tempfile.TemporaryFile("w+") as err:
        command = [TIME, "-f", "%M", "-o", rss.name, str(ARTIFACTS), *args]
        start = time.monotonic()
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )
        if interrupt_when is not None:
            while process.poll() is None and not interrupt_when():
                time.sleep(0.01)
            # To the group: GNU time ignores SIGINT while the client gets it, as from a terminal.
            os.killpg(process.pid, signal.SIGINT)
        returncode = process.wait()
        elapsed = time.monotonic() - start
        if interrupt_when is None and returncode != 0:
            err.seek(0)
            raise SystemExit(f"artifacts {' '.join(args)} failed:\n{err.read()}")
        kib = rss.read().strip().splitlines()
    return elapsed, int(kib[-1]) // 1024 if kib and kib[-1].isdigit() else 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=_size, default=_size("1GiB"))
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--project", default="bench-client")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-client-"))
    try:
        image = work / "image.raw"
        digest = hashlib.sha256()
        with image.open("wb") as out:
            for _ in range(0, args.size, 1 << 20):
                chunk = os.urandom(min(1 << 20, args.size - out.tell()))
                digest.update(chunk)
                out.write(chunk)
        with _server(args.url, work) as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
            env.update(
                ARTIFACTS_URL=url,
                ARTIFACTS_PROJECT=args.project,
                ARTIFACTS_CLIENT_CONFIG=str(work / "none.toml"),
            )
            version = f"1.0.0-b{uuid.uuid4().hex[:8]}"
            ref = f"images/bench@{version}"
            mib = args.size / UNITS["MiB"]
            seconds, rss = _run(
                ["push", "images", "bench", version, str(image), "--activate", "--no-progress",
                 "--set", "disk_format=raw", "--set", "container_format=bare"], env,
            )  # fmt: skip
            print(
                f"push   {mib:8.0f} MiB  {seconds:6.1f} s  {mib / seconds:6.1f} MiB/s  RSS ≤ {rss} MiB"
            )
            copy = work / "copy.raw"
            seconds, rss = _run(["pull", ref, "-o", str(copy), "--no-progress"], env)
            print(
                f"pull   {mib:8.0f} MiB  {seconds:6.1f} s  {mib / seconds:6.1f} MiB/s  RSS ≤ {rss} MiB"
            )
            assert _sha256(copy) == digest.hexdigest()
            copy.unlink()
            part = copy.with_name(copy.name + ".part")

            def a_third_arrived() -> bool:
                return part.exists() and part.stat().st_size >= args.size // 3

            _run(["pull", ref, "-o", str(copy), "--no-progress"], env, a_third_arrived)
            partial = part.stat().st_size
            seconds, _ = _run(["pull", ref, "-o", str(copy), "--no-progress"], env)
            print(f"resume {partial / UNITS['MiB']:8.0f} MiB kept, the rest in {seconds:6.1f} s")
            _run(["rm", ref], env)
        print(f"sha256 {digest.hexdigest()} verified on every pull")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
