"""Replay every conversation recorded against the real Glance 33 against our Glance door.

As for Glare (:mod:`tests.compat.test_replay`): in process, on an empty SQLite and PostgreSQL
database, and every answer must match, normalised, except at exchanges marked with a deviation
listed in docs/glance-v2.md. One more normalisation: the peer runs without Keystone, as a
project-less admin, so it shows ``owner: null``; we replay as the recorded actors (alice of
project-a, an admin for the admin-only actions), so an image's ``owner`` is compared as null.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry, discover_types
from artifacts.engine.services import build_services
from tests.compat.replay import load, recordings, replay
from tests.compat.test_replay import listed_deviations, marked_deviations

GLANCE_DOC = Path(__file__).parents[2] / "docs" / "glance-v2.md"
RECORDINGS = recordings("glance")


@pytest.fixture(scope="module")
def image_types() -> TypeRegistry:
    return TypeRegistry(discover_types(("images",)))


def _without_owner(value: Any) -> Any:
    """An image document (or a list of them) with its owner shown as the peer shows it."""
    if isinstance(value, dict):
        out = {k: _without_owner(v) for k, v in value.items()}
        if "owner" in out and str(out.get("self", "")).startswith("/v2/images/"):
            out["owner"] = None
        return out
    if isinstance(value, list):
        return [_without_owner(v) for v in value]
    return value


def _send_through(
    client: falcon.testing.TestClient,
) -> Callable[..., tuple[int, dict[str, str], bytes]]:
    def send(
        method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        route, _, query = path.partition("?")
        result = client.simulate_request(
            method, route, query_string=query or None, headers=headers, body=body or None
        )
        content = result.content
        if "json" in result.headers.get("Content-Type", "") and content:
            content = json.dumps(_without_owner(json.loads(content))).encode()
        return result.status_code, dict(result.headers), content

    return send


@pytest.mark.parametrize("recording", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_replay_matches_glance(
    recording: Path,
    database: Database,
    image_types: TypeRegistry,
    clock: Callable[[], dt.datetime],
    tmp_path: Path,
) -> None:
    # One filesystem store named as the peer's ("fs"), so /v2/info/stores reads the same.
    settings = Settings(
        data_dir=tmp_path,
        default_list_limit=25,
        max_list_limit=1000,
        stores={"fs": {"driver": "filesystem", "root": str(tmp_path / "blobs")}},
        default_store="fs",
    )
    services = build_services(settings, types=image_types, database=database, clock=clock)
    client = falcon.testing.TestClient(create_app(settings, services))
    problems = replay(load(recording), _send_through(client))
    assert not problems, f"{len(problems)} answers differ from Glance's:\n" + "\n".join(problems)


def test_every_marked_deviation_is_listed_and_every_listed_one_is_used() -> None:
    listed = listed_deviations(GLANCE_DOC)
    used = marked_deviations(RECORDINGS)
    unlisted = {d: where for d, where in used.items() if d not in listed}
    assert not unlisted, f"deviations marked but not listed in {GLANCE_DOC.name}: {unlisted}"
    assert listed <= set(used), f"listed but never marked: {sorted(listed - set(used))}"
