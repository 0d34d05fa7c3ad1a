"""The README's walk-through, run as written (twice: it must be re-runnable) on a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.functional.conftest import REPO, Server

pytestmark = pytest.mark.functional

README_URL = "http://127.0.0.1:9494"


def _walk_through() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Walk-through\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) >= 2
    return "set -euo pipefail\n" + "\n".join(blocks)


def test_the_walk_through_runs_twice(sqlite_server: Server, tmp_path: Path) -> None:
    script = _walk_through().replace(README_URL, sqlite_server.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    # This environment's `artifacts`, where the README puts the one ./scripts/serve installed.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ARTIFACTS_CLIENT_CONFIG"] = str(tmp_path / "no-profile.toml")
    for run in (1, 2):
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"run {run}:\n{done.stdout}\n{done.stderr}"
        sums = re.findall(r"^([0-9a-f]{64})  -$", done.stdout, flags=re.MULTILINE)
        assert len(sums) == 2
        assert sums[0] == sums[1]
        assert "(verified)" in done.stderr
