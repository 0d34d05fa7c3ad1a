"""docs/sharing.md's walk-through, run verbatim against real servers (trusted headers, tokens)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.conftest import REPO, Server, start_server

pytestmark = pytest.mark.functional

GUIDE = REPO / "docs" / "sharing.md"
ARTIFACTS_COMMAND = Path(sys.executable).parent / "artifacts"


def _blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.DOTALL)


def _run(script: str, server: Server, env: dict[str, str] | None = None) -> list[str]:
    assert script.startswith("URL=http://127.0.0.1:9494;")
    script = script.replace("URL=http://127.0.0.1:9494", f"URL={server.url}", 1)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout.strip().splitlines()


def _check(lines: list[str]) -> None:
    added, awaiting, pending_show, pending_list, accepted, listed, got, sent = lines[:8]
    assert json.loads(added)["status"] == "pending"
    assert awaiting == "['team-cirros']"
    assert pending_show == "200"
    assert pending_list == "[]"
    assert json.loads(accepted)["status"] == "accepted"
    assert listed == "['team-cirros']"
    assert got.split()[0] == sent.split()[0]
    stranger_list, stranger_show, stranger_blob, stranger_members = lines[8:]
    assert (stranger_list, stranger_show, stranger_blob) == ("[]", "404", "404")
    assert json.loads(stranger_members)["error"]["type"] == "ArtifactNotFound"


def test_sharing_walk_through_works_verbatim(server: Server) -> None:
    _check(_run(_blocks()[0], server))


@pytest.fixture(scope="module")
def tokens_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(
        tmp_path_factory.mktemp("tokens-server"), extra_env={"ARTIFACTS_AUTH_MODE": "tokens"}
    )


def test_sharing_walk_through_works_with_api_tokens(tokens_server: Server) -> None:
    walk_through, identities = _blocks()[:2]
    lines = walk_through.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("A='X-Project-Id"))
    lines[index : index + 1] = identities.strip().splitlines()
    env = {"ARTIFACTS_AUTH_MODE": "tokens", "ARTIFACTS_DATA_DIR": str(tokens_server.data_dir)}
    # The guide calls the service's own .venv (made by ./scripts/serve); the tests run the same
    # command from the environment they run in.
    script = "\n".join(lines).replace(".venv/bin/artifacts", str(ARTIFACTS_COMMAND))
    assert str(ARTIFACTS_COMMAND) in script

    _check(_run(script, tokens_server, env))
