"""Replay every conversation recorded against the real Glare 5.0.1 against our server.

Each recording runs on an empty database (SQLite and PostgreSQL), in-process through falcon's
test client with Glare's list limits, and must get the same answers, normalised as in
:mod:`tests.compat.transcript`, except at exchanges marked with a deviation listed in
docs/glare-v1-wire.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry, discover_types
from artifacts.engine.services import build_services
from tests.compat.replay import load, recordings, replay

GLARE_TYPES = (
    "images",
    "heat_templates",
    "heat_environments",
    "tosca_templates",
    "murano_packages",
)
WIRE_DOC = Path(__file__).parents[2] / "docs" / "glare-v1-wire.md"
RECORDINGS = recordings("glare")


@pytest.fixture(scope="module")
def glare_types() -> TypeRegistry:
    """Exactly the types the Glare peer serves, so /schemas documents the same set."""
    return TypeRegistry(discover_types(GLARE_TYPES))


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
        return result.status_code, dict(result.headers), result.content

    return send


@pytest.mark.parametrize("recording", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_replay_matches_glare(
    recording: Path,
    database: Database,
    glare_types: TypeRegistry,
    clock: Callable[[], dt.datetime],
    tmp_path: Path,
) -> None:
    # The Glare peer serves no Glance API, so neither do we here: the version document is then
    # Glare's alone (with the Glance door on it also lists Glance's versions; docs/glance-v2.md).
    settings = Settings(
        data_dir=tmp_path, default_list_limit=25, max_list_limit=1000, glance_api=False
    )
    services = build_services(settings, types=glare_types, database=database, clock=clock)
    client = falcon.testing.TestClient(create_app(settings, services))
    problems = replay(load(recording), _send_through(client))
    assert not problems, f"{len(problems)} answers differ from Glare's:\n" + "\n".join(problems)


def listed_deviations(doc: Path = WIRE_DOC) -> set[str]:
    """The ids in the Deviations section of a protocol's doc: lines ``- `id`: reason``."""
    text = doc.read_text()
    section = text.split("\n## Deviations", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([a-z0-9-]+)`", section, flags=re.MULTILINE))


def marked_deviations(paths: list[Path]) -> dict[str, list[str]]:
    """Deviation id → the exchanges (``recording#n``) marked with it."""
    used: dict[str, list[str]] = {}
    for path in paths:
        for number, exchange in enumerate(load(path)["exchanges"], 1):
            if "deviation" in exchange:
                used.setdefault(exchange["deviation"], []).append(f"{path.stem}#{number}")
            else:
                assert "expected_ours" not in exchange, f"{path.stem}#{number}: no deviation id"
    return used


def test_every_marked_deviation_is_listed_and_every_listed_one_is_used() -> None:
    listed = listed_deviations()
    used = marked_deviations(RECORDINGS)
    unlisted = {d: where for d, where in used.items() if d not in listed}
    assert not unlisted, f"deviations marked but not listed in {WIRE_DOC.name}: {unlisted}"
    assert listed <= set(used), f"listed but never marked: {sorted(listed - set(used))}"
