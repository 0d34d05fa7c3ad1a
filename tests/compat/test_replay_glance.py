"""Replay every conversation recorded against the real Glance 33 against our Glance door.

As for Glare (:mod:`tests.compat.test_replay`): in process, on an empty SQLite and PostgreSQL
database, and every answer must match, normalised, except at exchanges marked with a deviation
listed in docs/glance-v2.md. One more normalisation: the peer runs without Keystone, as a
project-less admin, so it shows ``owner: null``; we replay as the recorded actors (alice of
project-a, an admin for the admin-only actions), so an image's ``owner`` is compared as null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from api.glance import wire
from artifacts.db.session import Database
from tests.compat import ours
from tests.compat.replay import load, recordings, replay
from tests.compat.test_replay import listed_deviations, marked_deviations

GLANCE_DOC = Path(__file__).parents[2] / "docs" / "glance-v2.md"
RECORDINGS = recordings("glance")


@pytest.mark.parametrize("recording", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_replay_matches_glance(
    recording: Path, database: Database, clock: Callable[[], dt.datetime], tmp_path: Path
) -> None:
    # Glance lists an image's properties in the order they were added, which the images type
    # does not keep between its typed ones (os_distro, ...) and the others: those typed ones
    # are left out of the order held.
    typed_properties = set(wire.TYPED_ATTRIBUTES) - wire.BASE_ATTRIBUTES
    problems = replay(
        load(recording),
        ours.glance_sender(database, tmp_path, clock),
        ordered=lambda key: key not in typed_properties,
    )
    assert not problems, f"{len(problems)} answers differ from Glance's:\n" + "\n".join(problems)


def test_every_marked_deviation_is_listed_and_every_listed_one_is_used() -> None:
    listed = listed_deviations(GLANCE_DOC)
    used = marked_deviations(RECORDINGS)
    unlisted = {d: where for d, where in used.items() if d not in listed}
    assert not unlisted, f"deviations marked but not listed in {GLANCE_DOC.name}: {unlisted}"
    assert listed <= set(used), f"listed but never marked: {sorted(listed - set(used))}"
