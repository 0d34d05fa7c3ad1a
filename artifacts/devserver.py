"""A real ``artifacts serve`` (gunicorn) on a free loopback port, for tests and benchmarks.

The one way this repository starts a server and waits for it: the functional tests, the plugin
author's kit (:mod:`artifacts.testing`) and ``bench/`` all use :func:`run_server`, so a change
to how the service starts or says it is ready (``/healthz``) is made here once. It needs only
the standard library, so a benchmark's load generator does not import pytest or the service.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment of asking."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, parents first (Linux ``/proc``; ``[pid]`` elsewhere)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in process_tree(int(child)))]


class ServerFailed(RuntimeError):
    """The server exited, or did not answer ``/healthz`` in time; the message holds its log."""


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    data_dir: Path
    stopped: bool = field(default=False, init=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def logs(self, tail: int | None = None) -> str:
        text = self.log.read_text(errors="replace")
        return text[-tail:] if tail else text

    def workers(self) -> list[int]:
        """The gunicorn workers' pids (our child is gunicorn's master: ``serve`` execs it)."""
        return process_tree(self.process.pid)[1:]

    def wait_for_workers(self, count: int, timeout: float = 10.0) -> list[int]:
        """Wait until ``count`` workers run (gunicorn forks them after the master answers)."""
        deadline = time.monotonic() + timeout
        while len(workers := self.workers()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return workers

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop); the whole tree is killed if it takes over 30 s."""
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in reversed(process_tree(self.process.pid)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()


def run_server(
    data_dir: Path,
    *,
    workers: int | None = 2,
    env: Mapping[str, str] = {},
    config: Path | None = None,
    args: Sequence[str] = (),
    python: str = sys.executable,
    log: Path | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
) -> RunningServer:
    """Start ``artifacts serve`` and return once ``/healthz`` answers 200.

    The server sees none of the caller's ``ARTIFACTS_*`` variables, only ``env``, so a test's
    or benchmark's environment cannot leak into the service it measures. ``workers=None``
    leaves the worker count to the configuration (``config`` or ``env``); ``python`` is the
    interpreter whose installed ``artifacts`` is served.
    """
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = log or data_dir / "server.log"
    server_env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    server_env.update(ARTIFACTS_DATA_DIR=str(data_dir), ARTIFACTS_LOG_LEVEL="warning")
    server_env.update(env)
    command = [python, "-m", "artifacts.cli"]
    if config is not None:
        command += ["--config", str(config)]
    command += ["serve", "--bind", f"127.0.0.1:{port}", *args]
    if workers is not None:
        command += ["--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=server_env, stdout=out, stderr=subprocess.STDOUT
        )
    server = RunningServer(f"http://127.0.0.1:{port}", process, log, data_dir)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise ServerFailed(
                f"artifacts serve exited with {process.returncode}:\n{server.logs()}"
            )
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=5):  # loopback only
                return server
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise ServerFailed(
                    f"artifacts serve did not answer within {timeout:.0f} s:\n{server.logs()}"
                ) from None
            time.sleep(0.1)
