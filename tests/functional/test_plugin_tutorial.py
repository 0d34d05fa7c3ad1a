"""docs/plugins.md's tutorial, run block by block as a plugin author runs it.

The tutorial promises that its blocks run as written from a clone whose ``.venv`` was made as
``./scripts/serve`` makes it. The test makes such a ``.venv`` in a directory of its own (so the
tutorial's ``../artifact-playbooks`` lands in the test's temporary directory), runs the blocks
in order, and checks what the tutorial says they give: the type listed at version 1.1 and the
tutorial's own tests passing, one of them through a real gunicorn server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.functional.conftest import REPO

pytestmark = pytest.mark.functional

TUTORIAL_TESTS = 5


def _tutorial_blocks() -> list[str]:
    text = (REPO / "docs" / "plugins.md").read_text()
    tutorial = text.split("\n## 5. ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", tutorial, flags=re.DOTALL)
    assert len(blocks) == 4, "the tutorial's shell blocks moved: update this test"
    return blocks


def _service_venv(clone: Path) -> None:
    """``.venv`` holding the client and the service, installed as ``./scripts/serve`` does."""
    venv = clone / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "-e", str(REPO / "client"), "-e", str(REPO)],
        check=True, timeout=900,
    )  # fmt: skip


def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    clone = tmp_path / "artifact-repo"
    clone.mkdir()
    _service_venv(clone)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    env.pop("VIRTUAL_ENV", None)
    outputs = []
    for number, block in enumerate(_tutorial_blocks(), 1):
        done = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + block],
            cwd=clone, env=env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"block {number}:\n{block}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    install_and_run = outputs[-1]
    assert re.search(r"^playbooks\s+1\.1\b", install_and_run, flags=re.MULTILINE), install_and_run
    assert f"{TUTORIAL_TESTS} passed" in install_and_run, install_and_run
