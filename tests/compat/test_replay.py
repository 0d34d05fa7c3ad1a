"""Replay every conversation recorded against the real Glare 5.0.1 against our server.

Each recording runs on an empty database (SQLite and PostgreSQL), in process through falcon's
test client with Glare's types and list limits, and must get the same answers, normalised as in
:mod:`tests.compat.transcript`, except at exchanges marked with a deviation listed in
docs/glare-v1-wire.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from tests.compat import ours
from tests.compat.replay import GLOBAL_DEVIATIONS, load, recordings, replay

WIRE_DOC = Path(__file__).parents[2] / "docs" / "glare-v1-wire.md"
RECORDINGS = recordings("glare")


@pytest.fixture(scope="module")
def glare_types() -> TypeRegistry:
    return ours.glare_types()


@pytest.mark.parametrize("recording", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_replay_matches_glare(
    recording: Path, database: Database, glare_types: TypeRegistry, tmp_path: Path
) -> None:
    problems = replay(load(recording), ours.sender(database, glare_types, tmp_path))
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
    used = {name: ["every image document"] for name in GLOBAL_DEVIATIONS}
    used.update(marked_deviations(RECORDINGS))
    unlisted = {d: where for d, where in used.items() if d not in listed}
    assert not unlisted, f"deviations marked but not listed in {WIRE_DOC.name}: {unlisted}"
    assert listed <= set(used), f"listed but never marked: {sorted(listed - set(used))}"
