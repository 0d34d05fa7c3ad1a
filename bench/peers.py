"""The reference peers, Glare 5.0.1 and Glance 33, started for a benchmark and stopped after it.

Both come from ``../shared/tools/`` (see its README): ``start_glare_peer.sh PORT noauth`` and
``start_glance_peer.sh PORT`` install the real services on first use and start them on
127.0.0.1. A peer already answering on the asked port is used as it is and left running; one
this module started is stopped again. Our own server is started with
:func:`artifacts.devserver.run_server`, the helper the tests use too.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artifacts.devserver import process_tree

TOOLS = Path(__file__).resolve().parents[2] / "shared" / "tools"


@dataclass
class Peer:
    """A running peer: its URL, the processes whose CPU and memory are its cost, and a stop."""

    name: str
    url: str
    pids: Callable[[], list[int]]
    stop: Callable[[], None]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3):
            return True
    except OSError:
        return False


def glare(port: int, work: Path) -> Peer:
    """Glare 5.0.1 with header identity (``noauth``), its SQLite database and blobs in ``work``."""
    url = f"http://127.0.0.1:{port}"
    pid_file = work / "glare.pid"
    started = False
    if not _answers(f"{url}/artifacts/images"):
        env = {**os.environ, "GLARE_PEER_FRESH": "1", "GLARE_PEER_WORKDIR": str(work)}
        subprocess.run(
            [str(TOOLS / "start_glare_peer.sh"), str(port), "noauth"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
        )
        started = True
    pid = int(pid_file.read_text().split()[0])

    def stop() -> None:
        if started:
            for child in reversed(process_tree(pid)):
                subprocess.run(["kill", str(child)], check=False)

    return Peer("glare-5.0.1", url, lambda: process_tree(pid), stop)


def glance(port: int, directory: Path, pg_port: int, workers: int = 2) -> Peer:
    """Glance 33 under uWSGI with its private PostgreSQL, whose processes count as its cost.

    Glance keeps its catalog in a database server of its own; our embedded default and Glare
    keep theirs in the serving process (SQLite), so Glance's CPU and memory include the
    PostgreSQL cluster's processes, and :func:`glance_api_pids` gives the API alone.
    """
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GLANCE_PEER_DIR": str(directory),
        "PG_PORT": str(pg_port),
        "WORKERS": str(workers),
    }
    script = str(TOOLS / "start_glance_peer.sh")
    started = False
    if not _answers(f"{url}/healthcheck"):
        subprocess.run([script, str(port)], env=env, check=True, capture_output=True, timeout=900)
        started = True

    def pids() -> list[int]:
        return glance_api_pids(directory) + _postgres_pids(directory)

    def stop() -> None:
        if started:
            subprocess.run([script, "stop"], env=env, check=False, capture_output=True)

    return Peer("glance-33", url, pids, stop)


def glance_api_pids(directory: Path) -> list[int]:
    """The uWSGI master and its workers."""
    return process_tree(int((directory / "uwsgi.pid").read_text().split()[0]))


def _postgres_pids(directory: Path) -> list[int]:
    postmaster = directory / "pg" / "data" / "postmaster.pid"
    return process_tree(int(postmaster.read_text().splitlines()[0]))
