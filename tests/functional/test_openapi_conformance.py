"""schemathesis against a real server: generated requests from /openapi.json, for a bounded
budget on each database, must get no server error and only answers the document allows.

The checks are the conformance ones (status codes, content types, bodies and headers as
documented) and "no 5xx". Two of schemathesis's heuristics are left out on purpose:
``positive_data_acceptance`` (the document cannot state every engine rule — SemVer syntax,
the lifecycle, field rules after activation — so valid-looking data is rightly refused) and
``ensure_resource_availability`` (it takes a just-created artifact's empty blob slot for a
resource that must exist). The web catalog's pages are described in the document but not
fuzzed here: they are HTML for people, with their own browser tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.functional.conftest import Server

pytestmark = pytest.mark.functional

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
#: Examples per operation and phase: the budget, about 4,200 requests per database.
MAX_EXAMPLES = 5
SEED = 20261202
#: One worker thread: with two, Hypothesis describing filter lambdas parses source with ``ast``
#: on both threads at once, which CPython 3.11 does not support ("AST constructor recursion
#: depth mismatch"), and the run reports a runtime error of its own instead of the server's.
WORKERS = 1


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    server: Server, tmp_path: Path
) -> None:
    har = tmp_path / "requests.har"
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.url}/openapi.json",
        "--header", "X-Project-Id: schemathesis", "--checks", ",".join(CHECKS),
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", str(WORKERS),
        "--generation-database", "none", "--request-timeout", "30", "--no-color",
        "--report", "har", "--report-har-path", str(har), "--exclude-tag", "web catalog",
    ]  # fmt: skip
    hooks = {"SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("schemathesis_hooks.py"))}
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, **hooks},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    requests = len(json.loads(har.read_text())["log"]["entries"]) if har.exists() else 0
    summary = done.stdout[done.stdout.find("SUMMARY") :]
    # Failures and schemathesis's own errors first: a long report is cut from the middle.
    problems = done.stdout[: done.stdout.find("SUMMARY")]
    problems = problems[problems.find("=====") :]
    logs = server.logs()
    errors = logs[logs.find("Unexpected error") :] if "Unexpected error" in logs else ""
    assert done.returncode == 0, (
        f"{requests} requests\n{problems[:6000]}\n{summary}\n{done.stderr[-4000:]}\n"
        f"server errors logged:\n{errors[:6000]}"
    )
    assert requests > 1000, summary
    print(f"schemathesis: {requests} requests, {summary.splitlines()[-1]}")
